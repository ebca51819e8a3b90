/* h5util: small checked wrappers over the HDF5 C API (private to io/). HDF5's own error
 * printing is switched off; failures become cs_error messages naming the file and object. */
#ifndef CS_H5UTIL_H
#define CS_H5UTIL_H

#include <hdf5.h>

#include "base/base.h"

/* Silence HDF5's automatic error stack printing (once per process; idempotent). */
void h5_quiet(void);

/* Open an existing HDF5 file read-only, with a clear error for missing / non-HDF5 files. */
int h5_open_read(const char *path, hid_t *file, cs_error *err);

/* Create a file for writing (truncating). */
int h5_create(const char *path, hid_t *file, cs_error *err);

int h5_attr_write_str(hid_t obj, const char *name, const char *value);
int h5_attr_write_long(hid_t obj, const char *name, long value);
int h5_attr_write_double(hid_t obj, const char *name, double value);

/* Read attributes; CS_ERR_INPUT naming path/name when missing or of the wrong kind. */
int h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t n, const char *path,
                     cs_error *err);
int h5_attr_read_long(hid_t obj, const char *name, long *v, const char *path, cs_error *err);
int h5_attr_read_double(hid_t obj, const char *name, double *v, const char *path, cs_error *err);
int h5_attr_exists(hid_t obj, const char *name);

/* Write an n-dimensional dataset of floats / doubles / int64 / uint8 (created, not extended). */
int h5_write_f32(hid_t loc, const char *name, int ndim, const hsize_t *dims, const float *data);
int h5_write_f64(hid_t loc, const char *name, int ndim, const hsize_t *dims, const double *data);
int h5_write_i64(hid_t loc, const char *name, int ndim, const hsize_t *dims, const int64_t *data);
int h5_write_u8(hid_t loc, const char *name, int ndim, const hsize_t *dims, const uint8_t *data);

/* Read a dataset of `count` elements, checking its element count (and rank when ndim > 0
 * with dims). mem_type is H5T_NATIVE_FLOAT etc. */
int h5_read(hid_t loc, const char *name, hid_t mem_type, void *data, long count, const char *path,
            cs_error *err);

/* Number of elements of a dataset, or -1 if absent. */
long h5_count(hid_t loc, const char *name);

/* Write a string dataset (variable text such as the resolved config). */
int h5_write_text(hid_t loc, const char *name, const char *text);
/* Read a string dataset into a malloc'd buffer. */
int h5_read_text(hid_t loc, const char *name, char **text, const char *path, cs_error *err);

/* Create intermediate groups as needed (link-creation property list). */
hid_t h5_lcpl(void);

/* A temporary name next to path, unique per process ("path.tmp.<pid>"), so concurrent
 * writers of the same file (shards sharing a cache) never collide. */
void h5_temp_name(const char *path, char *tmp, size_t n);

/* Atomically replace dst by src (rename after fsync). */
int h5_commit_file(const char *tmp, const char *dst, cs_error *err);

#endif
