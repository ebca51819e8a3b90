/* comm: the few collective operations the compute modules need, behind function pointers.
 *
 * sens/ distributes work units over ranks but must not depend on MPI (DESIGN §1: only sweep/
 * and cli/ use MPI). It talks to a cs_comm; comm_serial() is the one-process implementation
 * and sweep/ provides the MPI one. Every collective returns CS_OK on all ranks or an error on
 * all ranks (a rank that fails contributes its status, so nobody waits forever). */
#ifndef CS_COMM_H
#define CS_COMM_H

#include <stddef.h>

#include "base/base.h"

typedef struct cs_comm cs_comm;

struct cs_comm {
    int rank, size;
    void *ctx;
    /* Every rank sends n bytes; recv gets all ranks' bytes concatenated in rank order.
     * counts[r] receives rank r's byte count. recv is allocated here (free with free()). */
    int (*allgatherv)(cs_comm *c, const void *send, size_t n, void **recv, size_t *counts,
                      cs_error *err);
    /* Broadcast n bytes from root. */
    int (*bcast)(cs_comm *c, void *buf, size_t n, int root, cs_error *err);
    /* Max of an int over ranks (status agreement). */
    int (*allreduce_max)(cs_comm *c, int *v, cs_error *err);
    /* Element-wise sum of n doubles over ranks, in place. Used for counts and for training,
     * never for results that must not depend on the rank count. */
    int (*allreduce_sum)(cs_comm *c, double *v, long n, cs_error *err);
    /* The same for floats (gradients of data-parallel training). */
    int (*allreduce_sum_f)(cs_comm *c, float *v, long n, cs_error *err);
};

/* A communicator of one process. */
cs_comm comm_serial(void);

/* Agree on a status: every rank passes its own; returns the worst (max) on all ranks.
 * If another rank failed and this one did not, err says so. */
int comm_agree(cs_comm *c, int status, cs_error *err);

/* Share work-unit results: unit u (0 <= u < n_units) was computed by rank owner[u] into
 * bufs[u] (unit_bytes[u] bytes, allocated by the caller on every rank). Afterwards every rank
 * holds every unit's bytes in bufs[u]. Units are packed in unit order, so the result does
 * not depend on the number of ranks. */
int comm_share_units(cs_comm *c, long n_units, const int *owner, void **bufs,
                     const size_t *unit_bytes, cs_error *err);

/* Owner of unit u under a balanced static rule: units sorted by cost are dealt to the rank
 * with the least assigned cost (ties to the lowest rank). owner[] receives the result. */
int comm_balance(const cs_comm *c, long n_units, const double *cost, int *owner, cs_error *err);

#endif
