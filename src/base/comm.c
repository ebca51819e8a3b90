#include "base/comm.h"

#include <stdlib.h>
#include <string.h>

static int serial_allgatherv(cs_comm *c, const void *send, size_t n, void **recv, size_t *counts,
                             cs_error *err) {
    (void)c;
    *recv = cs_alloc(n ? n : 1, 1, err);
    if (!*recv) return CS_ERR_RUNTIME;
    if (n) memcpy(*recv, send, n);
    counts[0] = n;
    return CS_OK;
}

static int serial_bcast(cs_comm *c, void *buf, size_t n, int root, cs_error *err) {
    (void)c, (void)buf, (void)n, (void)root, (void)err;
    return CS_OK;
}

static int serial_allreduce_max(cs_comm *c, int *v, cs_error *err) {
    (void)c, (void)v, (void)err;
    return CS_OK;
}

static int serial_allreduce_sum(cs_comm *c, double *v, long n, cs_error *err) {
    (void)c, (void)v, (void)n, (void)err;
    return CS_OK;
}

static int serial_allreduce_sum_f(cs_comm *c, float *v, long n, cs_error *err) {
    (void)c, (void)v, (void)n, (void)err;
    return CS_OK;
}

cs_comm comm_serial(void) {
    cs_comm c = {0,
                 1,
                 NULL,
                 serial_allgatherv,
                 serial_bcast,
                 serial_allreduce_max,
                 serial_allreduce_sum,
                 serial_allreduce_sum_f};
    return c;
}

int comm_agree(cs_comm *c, int status, cs_error *err) {
    int worst = status;
    cs_error tmp;
    if (c->allreduce_max(c, &worst, &tmp) != CS_OK) {
        if (err) *err = tmp;
        return CS_ERR_RUNTIME;
    }
    if (worst != CS_OK && status == CS_OK)
        cs_fail(err, worst, "another rank failed (status %d); see its message above", worst);
    return worst;
}

int comm_share_units(cs_comm *c, long n_units, const int *owner, void **bufs,
                     const size_t *unit_bytes, cs_error *err) {
    if (c->size == 1) return CS_OK;
    size_t mine = 0;
    for (long u = 0; u < n_units; u++)
        if (owner[u] == c->rank) mine += unit_bytes[u];
    char *send = cs_alloc(mine ? mine : 1, 1, err);
    size_t *counts = cs_alloc((size_t)c->size, sizeof *counts, err);
    if (!send || !counts) {
        free(send);
        free(counts);
        return CS_ERR_RUNTIME;
    }
    size_t off = 0;
    for (long u = 0; u < n_units; u++)
        if (owner[u] == c->rank) {
            memcpy(send + off, bufs[u], unit_bytes[u]);
            off += unit_bytes[u];
        }
    void *recv = NULL;
    int rc = c->allgatherv(c, send, mine, &recv, counts, err);
    free(send);
    if (rc != CS_OK) {
        free(counts);
        return rc;
    }
    /* rank r's block holds its units in unit order */
    size_t *start = cs_alloc((size_t)c->size, sizeof *start, err);
    if (!start) {
        free(counts);
        free(recv);
        return CS_ERR_RUNTIME;
    }
    for (int r = 1; r < c->size; r++) start[r] = start[r - 1] + counts[r - 1];
    for (long u = 0; u < n_units; u++) {
        int r = owner[u];
        if (r != c->rank) memcpy(bufs[u], (char *)recv + start[r], unit_bytes[u]);
        start[r] += unit_bytes[u];
    }
    free(start);
    free(counts);
    free(recv);
    return CS_OK;
}

typedef struct unit_cost {
    long u;
    double cost;
} unit_cost;

static int by_cost_desc(const void *a, const void *b) {
    const unit_cost *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->u < y->u ? -1 : (x->u > y->u);
}

int comm_balance(const cs_comm *c, long n_units, const double *cost, int *owner, cs_error *err) {
    unit_cost *uc = cs_alloc((size_t)n_units, sizeof *uc, err);
    double *load = cs_alloc((size_t)c->size, sizeof *load, err);
    if (!uc || !load) {
        free(uc);
        free(load);
        return CS_ERR_RUNTIME;
    }
    for (long u = 0; u < n_units; u++) uc[u] = (unit_cost){u, cost ? cost[u] : 1.0};
    qsort(uc, (size_t)n_units, sizeof *uc, by_cost_desc);
    for (long i = 0; i < n_units; i++) {
        int best = 0;
        for (int r = 1; r < c->size; r++)
            if (load[r] < load[best]) best = r;
        owner[uc[i].u] = best;
        load[best] += uc[i].cost;
    }
    free(uc);
    free(load);
    return CS_OK;
}
