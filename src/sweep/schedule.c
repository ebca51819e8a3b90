/* Running candidates over MPI ranks (see schedule.h). */
#include "sweep/schedule.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_ROW = 101, TAG_CHOSEN = 102, TAG_DONE = 103 };

/* Estimated cost of a unit in candidate evaluations. */
static double unit_cost(const sweep_plan *p, long u, long max_steps) {
    (void)p;
    return u < p->n_fixed ? 1.0 : (double)(max_steps < 8 ? max_steps : 8);
}

long sweep_dynamic_index(const sweep_plan *p, long k, int step, long max_steps) {
    return p->n_fixed + k * max_steps + step;
}

int sweep_in_shard(const sweep_plan *p, long u, long max_steps) {
    if (p->shard_n <= 1) return 1;
    long n = p->n_fixed + p->n_searches;
    double *cost = malloc(sizeof *cost * (size_t)n);
    int *owner = malloc(sizeof *owner * (size_t)n);
    int in = 0;
    if (cost && owner) {
        for (long i = 0; i < n; i++) cost[i] = unit_cost(p, i, max_steps);
        cs_comm virt = comm_serial();
        virt.size = p->shard_n;
        comm_balance(&virt, n, cost, owner, NULL);
        in = owner[u] == p->shard_k;
    }
    free(cost);
    free(owner);
    return in;
}

/* ---- rows travelling to rank 0 ---- */

typedef struct run_state {
    sweep_env *e;
    const sweep_plan *p;
    sweep_sink *sink;
    long search; /* the dynamic search being run */
    int ranks_done, status;
    cs_error err;
} run_state;

static size_t row_bytes(const sweep_env *e) {
    return sizeof(sweep_row) + sizeof(sweep_layer_row) * (size_t)e->strips->n_layers +
           (size_t)e->strips->n_strips;
}

/* Rank 0: take every message waiting (or, with wait, block for the next one). */
static void drain(run_state *s, int wait) {
    sweep_env *e = s->e;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (wait)
            MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st), flag = 1;
        else
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) return;
        int count;
        MPI_Get_count(&st, MPI_BYTE, &count);
        char *buf = malloc((size_t)count + 1);
        if (!buf) {
            s->status = cs_fail(&s->err, CS_ERR_RUNTIME, "out of memory receiving a result");
            return;
        }
        MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (st.MPI_TAG == TAG_ROW && s->status == CS_OK) {
            const sweep_row *row = (const sweep_row *)buf;
            const sweep_layer_row *ls = (const sweep_layer_row *)(buf + sizeof(sweep_row));
            const uint8_t *bits = (const uint8_t *)(ls + e->strips->n_layers);
            s->status = s->sink->row(s->sink->ctx, row, ls, bits, &s->err);
        } else if (st.MPI_TAG == TAG_CHOSEN && s->status == CS_OK) {
            long v[2];
            memcpy(v, buf, sizeof v);
            s->status = s->sink->chosen(s->sink->ctx, v[0], (int)v[1], &s->err);
        } else if (st.MPI_TAG == TAG_DONE) {
            int rc;
            memcpy(&rc, buf, sizeof rc);
            s->ranks_done++;
            if (rc != CS_OK && s->status == CS_OK) {
                s->status = rc;
                cs_fail(&s->err, rc, "rank %d failed; see its message above", st.MPI_SOURCE);
            }
        }
        free(buf);
        wait = 0;
    }
}

static void tick(void *ctx) {
    drain(ctx, 0);
}

/* Deliver a finished row: directly on rank 0, as a message elsewhere. */
static int deliver(run_state *s, const sweep_row *row, const sweep_layer_row *layers,
                   const uint8_t *bits, cs_error *err) {
    sweep_env *e = s->e;
    if (e->comm->rank == 0) {
        int rc = s->sink->row(s->sink->ctx, row, layers, bits, err);
        if (e->comm->size > 1) drain(s, 0);
        return rc;
    }
    size_t n = row_bytes(e);
    char *buf = malloc(n);
    if (!buf) return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    memcpy(buf, row, sizeof *row);
    memcpy(buf + sizeof *row, layers, sizeof *layers * (size_t)e->strips->n_layers);
    memcpy(buf + sizeof *row + sizeof *layers * (size_t)e->strips->n_layers, bits,
           (size_t)e->strips->n_strips);
    MPI_Send(buf, (int)n, MPI_BYTE, 0, TAG_ROW, MPI_COMM_WORLD);
    free(buf);
    return CS_OK;
}

static int dynamic_point(void *ctx, const sweep_row *row, const sweep_layer_row *layers,
                         const uint8_t *bits, cs_error *err) {
    run_state *s = ctx;
    sweep_row r = *row;
    r.index = sweep_dynamic_index(s->p, s->search, row->step, s->e->so->dynamic_max_steps);
    sweep_layer_row *ls = malloc(sizeof *ls * (size_t)s->e->strips->n_layers);
    if (!ls) return cs_fail(err, CS_ERR_RUNTIME, "out of memory");
    for (int q = 0; q < s->e->strips->n_layers; q++) ls[q] = layers[q], ls[q].index = r.index;
    int rc = deliver(s, &r, ls, bits, err);
    free(ls);
    return rc;
}

static int dynamic_lookup(void *ctx, const sweep_cand *search, int step, double cr, double *d) {
    run_state *s = ctx;
    (void)search;
    if (!s->p->lookup) return 0;
    sweep_cand c = s->p->searches[s->search];
    c.target = cr;
    return s->p->lookup(
        s->p->lookup_ctx, &c,
        (int)sweep_dynamic_index(s->p, s->search, step, s->e->so->dynamic_max_steps), cr, d);
}

static int run_search(run_state *s, long k, cs_error *err) {
    int chosen = -1;
    s->search = k;
    int rc =
        sweep_dynamic(s->e, &s->p->searches[k], dynamic_point, dynamic_lookup, s, &chosen, err);
    if (rc) return rc;
    if (s->e->comm->rank == 0) return s->sink->chosen(s->sink->ctx, k, chosen, err);
    long v[2] = {k, chosen};
    MPI_Send(v, (int)sizeof v, MPI_BYTE, 0, TAG_CHOSEN, MPI_COMM_WORLD);
    return CS_OK;
}

static int run_fixed(run_state *s, long u, cs_error *err) {
    sweep_env *e = s->e;
    uint8_t *bits = cs_alloc((size_t)e->strips->n_strips, 1, err);
    sweep_layer_row *ls = cs_alloc((size_t)e->strips->n_layers, sizeof *ls, err);
    sweep_row row;
    int rc = bits && ls ? sweep_candidate(e, &s->p->fixed[u], u, -1, &row, ls, bits, err)
                        : CS_ERR_RUNTIME;
    if (rc == CS_OK) rc = deliver(s, &row, ls, bits, err);
    free(bits);
    free(ls);
    return rc;
}

int sweep_run(sweep_env *e, const sweep_plan *p, sweep_sink *sink, cs_error *err) {
    long n = p->n_fixed + p->n_searches, todo = 0, max_steps = e->so->dynamic_max_steps;
    long *units = cs_alloc((size_t)n + 1, sizeof *units, err);
    double *cost = cs_alloc((size_t)n + 1, sizeof *cost, err);
    int *owner = cs_alloc((size_t)n + 1, sizeof *owner, err);
    int rc = units && cost && owner ? CS_OK : CS_ERR_RUNTIME;
    for (long u = 0; u < n && rc == CS_OK; u++) {
        int done = u < p->n_fixed ? p->fixed_done[u] : p->search_done[u - p->n_fixed];
        if (done || !sweep_in_shard(p, u, max_steps)) continue;
        units[todo] = u;
        cost[todo++] = unit_cost(p, u, max_steps);
    }
    if (rc == CS_OK) rc = comm_balance(e->comm, todo, cost, owner, err);
    run_state s = {e, p, sink, -1, 0, CS_OK, {0, ""}};
    if (e->comm->size > 1 && e->comm->rank == 0) {
        e->tick = tick;
        e->tick_ctx = &s;
    }
    /* dynamic searches first: they are the longest units */
    for (int pass = 0; pass < 2; pass++)
        for (long i = 0; i < todo && rc == CS_OK && s.status == CS_OK; i++) {
            long u = units[i];
            if (owner[i] != e->comm->rank || (pass == 0) != (u >= p->n_fixed)) continue;
            if (e->stop && *e->stop) break; /* asked to stop: finish what is written, no more */
            rc = u >= p->n_fixed ? run_search(&s, u - p->n_fixed, err) : run_fixed(&s, u, err);
        }
    e->tick = NULL;
    if (e->comm->size > 1) {
        if (e->comm->rank != 0) {
            MPI_Send(&rc, (int)sizeof rc, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
        } else {
            while (s.ranks_done < e->comm->size - 1) drain(&s, 1);
            if (rc == CS_OK && s.status != CS_OK) {
                rc = s.status;
                *err = s.err;
            }
        }
    } else if (rc == CS_OK && s.status != CS_OK) {
        rc = s.status;
        *err = s.err;
    }
    free(units);
    free(cost);
    free(owner);
    return comm_agree(e->comm, rc, err);
}
