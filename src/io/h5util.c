/* Checked HDF5 helpers. */
#include "io/h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void h5_quiet(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

int h5_open_read(const char *path, hid_t *file, cs_error *err) {
    h5_quiet();
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return cs_fail(err, CS_ERR_INPUT, "%s: is a directory", path);
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) return cs_fail(err, CS_ERR_INPUT, "%s: not an HDF5 file (or truncated)", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0) return cs_fail(err, CS_ERR_INPUT, "%s: damaged or truncated HDF5 file", path);
    return CS_OK;
}

int h5_create(const char *path, hid_t *file, cs_error *err) {
    h5_quiet();
    *file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (*file < 0) return cs_fail(err, CS_ERR_RUNTIME, "%s: cannot create HDF5 file", path);
    return CS_OK;
}

static int attr_write(hid_t obj, const char *name, hid_t type, const void *v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, v) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc ? CS_ERR_RUNTIME : CS_OK;
}

int h5_attr_write_str(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    int rc = attr_write(obj, name, t, value);
    H5Tclose(t);
    return rc;
}

int h5_attr_write_long(hid_t obj, const char *name, long value) {
    int64_t v = value;
    return attr_write(obj, name, H5T_NATIVE_INT64, &v);
}

int h5_attr_write_double(hid_t obj, const char *name, double value) {
    return attr_write(obj, name, H5T_NATIVE_DOUBLE, &value);
}

int h5_attr_exists(hid_t obj, const char *name) {
    return H5Aexists(obj, name) > 0;
}

static hid_t attr_open(hid_t obj, const char *name, const char *path, cs_error *err) {
    if (H5Aexists(obj, name) <= 0) {
        cs_fail(err, CS_ERR_INPUT, "%s: attribute '%s' is missing", path, name);
        return -1;
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) cs_fail(err, CS_ERR_INPUT, "%s: cannot read attribute '%s'", path, name);
    return a;
}

int h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t n, const char *path,
                     cs_error *err) {
    hid_t a = attr_open(obj, name, path, err);
    if (a < 0) return CS_ERR_INPUT;
    hid_t ft = H5Aget_type(a);
    int rc = CS_OK;
    if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) > 0) {
        rc = cs_fail(err, CS_ERR_INPUT, "%s: attribute '%s' is not a fixed-length string", path,
                     name);
    } else {
        size_t sz = H5Tget_size(ft);
        char *tmp = cs_alloc(sz + 1, 1, err);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        if (!tmp || H5Aread(a, mt, tmp) < 0)
            rc = cs_fail(err, CS_ERR_INPUT, "%s: cannot read attribute '%s'", path, name);
        else
            snprintf(buf, n, "%s", tmp);
        H5Tclose(mt);
        free(tmp);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

static int attr_read_num(hid_t obj, const char *name, hid_t mt, void *v, const char *path,
                         cs_error *err) {
    hid_t a = attr_open(obj, name, path, err);
    if (a < 0) return CS_ERR_INPUT;
    hid_t ft = H5Aget_type(a);
    hid_t sp = H5Aget_space(a);
    int rc = CS_OK;
    H5T_class_t cl = H5Tget_class(ft);
    if ((cl != H5T_INTEGER && cl != H5T_FLOAT) || H5Sget_simple_extent_npoints(sp) != 1 ||
        H5Aread(a, mt, v) < 0)
        rc = cs_fail(err, CS_ERR_INPUT, "%s: attribute '%s' is not a number", path, name);
    H5Sclose(sp);
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int h5_attr_read_long(hid_t obj, const char *name, long *v, const char *path, cs_error *err) {
    int64_t x = 0;
    int rc = attr_read_num(obj, name, H5T_NATIVE_INT64, &x, path, err);
    *v = (long)x;
    return rc;
}

int h5_attr_read_double(hid_t obj, const char *name, double *v, const char *path, cs_error *err) {
    return attr_read_num(obj, name, H5T_NATIVE_DOUBLE, v, path, err);
}

hid_t h5_lcpl(void) {
    hid_t p = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(p, 1);
    return p;
}

static int write_ds(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int ndim,
                    const hsize_t *dims, const void *data) {
    hsize_t one = 1;
    hid_t sp = ndim > 0 ? H5Screate_simple(ndim, dims, NULL) : H5Screate_simple(1, &one, NULL);
    hid_t lcpl = h5_lcpl();
    hid_t d = H5Dcreate2(loc, name, ftype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(sp);
    return rc ? CS_ERR_RUNTIME : CS_OK;
}

int h5_write_f32(hid_t loc, const char *name, int ndim, const hsize_t *dims, const float *data) {
    return write_ds(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ndim, dims, data);
}

int h5_write_f64(hid_t loc, const char *name, int ndim, const hsize_t *dims, const double *data) {
    return write_ds(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ndim, dims, data);
}

int h5_write_i64(hid_t loc, const char *name, int ndim, const hsize_t *dims, const int64_t *data) {
    return write_ds(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, ndim, dims, data);
}

int h5_write_u8(hid_t loc, const char *name, int ndim, const hsize_t *dims, const uint8_t *data) {
    return write_ds(loc, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, ndim, dims, data);
}

long h5_count(hid_t loc, const char *name) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    long n = (long)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    H5Dclose(d);
    return n;
}

int h5_read(hid_t loc, const char *name, hid_t mem_type, void *data, long count, const char *path,
            cs_error *err) {
    long n = h5_count(loc, name);
    if (n < 0) return cs_fail(err, CS_ERR_INPUT, "%s: dataset '%s' is missing", path, name);
    if (n != count)
        return cs_fail(err, CS_ERR_INPUT, "%s: dataset '%s' has %ld elements, expected %ld", path,
                       name, n, count);
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    int bad = d < 0 || H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
    if (d >= 0) H5Dclose(d);
    if (bad) return cs_fail(err, CS_ERR_INPUT, "%s: cannot read dataset '%s'", path, name);
    return CS_OK;
}

int h5_write_text(hid_t loc, const char *name, const char *text) {
    hsize_t n = strlen(text) + 1;
    return write_ds(loc, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &n, text);
}

int h5_read_text(hid_t loc, const char *name, char **text, const char *path, cs_error *err) {
    long n = h5_count(loc, name);
    if (n < 1) return cs_fail(err, CS_ERR_INPUT, "%s: dataset '%s' is missing", path, name);
    char *buf = cs_alloc((size_t)n + 1, 1, err);
    if (!buf) return CS_ERR_RUNTIME;
    int rc = h5_read(loc, name, H5T_NATIVE_UINT8, buf, n, path, err);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    return CS_OK;
}

void h5_temp_name(const char *path, char *tmp, size_t n) {
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
}

int h5_commit_file(const char *tmp, const char *dst, cs_error *err) {
    int fd = open(tmp, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    if (rename(tmp, dst) != 0) {
        int e = errno;
        unlink(tmp);
        return cs_fail(err, CS_ERR_RUNTIME, "%s: cannot replace: %s", dst, strerror(e));
    }
    return CS_OK;
}
