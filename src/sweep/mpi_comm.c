/* cs_comm over MPI_COMM_WORLD. Byte counts larger than INT_MAX are sent in pieces. */
#include "sweep/mpi_comm.h"

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static int mpi_fail(cs_error *err, int rc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return cs_fail(err, CS_ERR_RUNTIME, "MPI %s failed: %s", what, msg);
}

static int mpi_allgatherv(cs_comm *c, const void *send, size_t n, void **recv, size_t *counts,
                          cs_error *err) {
    if (n > INT_MAX) return cs_fail(err, CS_ERR_RUNTIME, "MPI message of %zu bytes too large", n);
    int mine = (int)n;
    int *cnt = cs_alloc((size_t)c->size, sizeof *cnt, err);
    int *disp = cs_alloc((size_t)c->size, sizeof *disp, err);
    if (!cnt || !disp) {
        free(cnt);
        free(disp);
        return CS_ERR_RUNTIME;
    }
    int rc = MPI_Allgather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, MPI_COMM_WORLD);
    long total = 0;
    for (int r = 0; r < c->size && rc == MPI_SUCCESS; r++) {
        disp[r] = (int)total;
        total += cnt[r];
        counts[r] = (size_t)cnt[r];
    }
    if (rc == MPI_SUCCESS && total > INT_MAX) {
        free(cnt);
        free(disp);
        return cs_fail(err, CS_ERR_RUNTIME, "MPI gather of %ld bytes too large", total);
    }
    *recv = rc == MPI_SUCCESS ? cs_alloc((size_t)(total ? total : 1), 1, err) : NULL;
    if (rc == MPI_SUCCESS && *recv)
        rc = MPI_Allgatherv(send, mine, MPI_BYTE, *recv, cnt, disp, MPI_BYTE, MPI_COMM_WORLD);
    free(cnt);
    free(disp);
    if (rc != MPI_SUCCESS) {
        free(*recv);
        *recv = NULL;
        return mpi_fail(err, rc, "allgatherv");
    }
    return *recv ? CS_OK : CS_ERR_RUNTIME;
}

static int mpi_bcast(cs_comm *c, void *buf, size_t n, int root, cs_error *err) {
    (void)c;
    for (size_t off = 0; off < n;) {
        int chunk = n - off > (size_t)INT_MAX ? INT_MAX : (int)(n - off);
        int rc = MPI_Bcast((char *)buf + off, chunk, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "bcast");
        off += (size_t)chunk;
    }
    return CS_OK;
}

static int mpi_allreduce_max(cs_comm *c, int *v, cs_error *err) {
    (void)c;
    int rc = MPI_Allreduce(MPI_IN_PLACE, v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CS_OK : mpi_fail(err, rc, "allreduce");
}

static int mpi_allreduce_sum(cs_comm *c, double *v, long n, cs_error *err) {
    (void)c;
    for (long off = 0; off < n;) {
        int chunk = n - off > INT_MAX ? INT_MAX : (int)(n - off);
        int rc = MPI_Allreduce(MPI_IN_PLACE, v + off, chunk, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "allreduce");
        off += chunk;
    }
    return CS_OK;
}

static int mpi_allreduce_sum_f(cs_comm *c, float *v, long n, cs_error *err) {
    (void)c;
    for (long off = 0; off < n;) {
        int chunk = n - off > INT_MAX ? INT_MAX : (int)(n - off);
        int rc = MPI_Allreduce(MPI_IN_PLACE, v + off, chunk, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "allreduce");
        off += chunk;
    }
    return CS_OK;
}

static int started_here(int set) {
    /* MPI state lives in the MPI library; this only remembers whether we called MPI_Init */
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return set ? init : init && !fin;
}

int mpi_comm_start(int *argc, char ***argv, cs_comm *out, cs_error *err) {
    int init = 0;
    MPI_Initialized(&init);
    if (!init) {
        int rc = MPI_Init(argc, argv);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "init");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    memset(out, 0, sizeof *out);
    MPI_Comm_rank(MPI_COMM_WORLD, &out->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &out->size);
    out->allgatherv = mpi_allgatherv;
    out->bcast = mpi_bcast;
    out->allreduce_max = mpi_allreduce_max;
    out->allreduce_sum = mpi_allreduce_sum;
    out->allreduce_sum_f = mpi_allreduce_sum_f;
    return CS_OK;
}

void mpi_comm_stop(void) {
    if (started_here(0)) MPI_Finalize();
}

void mpi_comm_abort(int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
}
