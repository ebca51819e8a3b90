/* Origin and packed mappings of one layer (DESIGN §5) and their utilization (E11).
 *
 * Both mappings produce crossbars ("tiles") through one emitter: a tile is a list of row
 * slots, each bound to one input slice (kernel position p, channels c0..c0+h-1), times a list
 * of weight columns, each bound to one filter, plus which (slot, column) blocks hold a strip
 * segment. The emitter counts what the energy model needs and, when a cell map is attached,
 * writes every cell, so the validator checks exactly the layout that is counted.
 * README.md explains the packer and why it never allocates more crossbars than origin. */
#include <stdlib.h>
#include <string.h>

#include "xbar/xbar.h"

/* Combinations of positions tried exhaustively per crossbar before the packer falls back to
 * growing the slot set one position at a time. */
#define PACK_MAX_COMBOS 1024

int xbar_group_of(const xbar_params *hw, long bits) {
    for (int g = 0; g < hw->n_groups; g++)
        if (hw->groups[g].bits == bits) return g;
    return -1;
}

long xbar_slices(const xbar_params *hw, long bits) {
    return (bits + hw->cell_bits - 1) / hw->cell_bits;
}

long xbar_weight_cols(const xbar_params *hw, long bits) {
    long s = xbar_slices(hw, bits);
    return s > 0 ? hw->cols / s : 0;
}

long xbar_capacity(const xbar_params *hw, const xbar_layer *l, long bits) {
    /* a weight column holds one filter and every column sees the same row slots, so a
     * crossbar never holds more than M useful columns */
    long qb = xbar_weight_cols(hw, bits);
    if (qb > l->M) qb = l->M;
    if (l->C >= hw->rows) return qb;
    long k = hw->rows / l->C, k2 = (long)l->K * l->K;
    return qb * (k < k2 ? k : k2);
}

int xbar_align_units(const xbar_params *hw, const xbar_layer *l) {
    return l->C >= hw->rows ? l->K * l->K : 1;
}

/* ---------- the tile emitter ---------- */

typedef struct slot {
    int p, c0, h, row0;
} slot;

typedef struct mctx {
    const xbar_params *hw;
    const xbar_layer *l;
    const uint8_t *bits;
    const int8_t *gidx; /* bits value -> group, -1 */
    int g, K2;
    long R, Q, S, Qb;
    xbar_group_stats *st;
    xbar_cellmap *map; /* NULL: count only */
    cs_error *err;
} mctx;

static int in_group(const mctx *x, long m, int p) {
    return x->gidx[x->bits[m * x->K2 + p]] == x->g;
}

static void set_cell(xbar_cellmap *map, long xi, long row, long col, int32_t m, int32_t c, int p,
                     int t) {
    xbar_cell *cell = &map->cells[(xi * map->rows + row) * map->cols + col];
    cell->m = m;
    cell->c = c;
    cell->p = (int16_t)p;
    cell->slice = (int16_t)t;
}

/* One crossbar: slots x filters, used[s * nc + j] marks the (slot, column) blocks that hold
 * the segment of strip (filt[j], slots[s].p). Nothing is allocated when no block is used. */
static int emit_tile(mctx *x, const slot *sl, int ns, const int32_t *filt, int nc,
                     const uint8_t *used) {
    long cells = 0;
    for (int s = 0; s < ns; s++) {
        int any = 0;
        for (int j = 0; j < nc; j++)
            if (used[s * nc + j]) any = 1, cells += sl[s].h;
        if (any) x->st->used_rows += sl[s].h;
    }
    if (cells == 0) return CS_OK;
    for (int j = 0; j < nc; j++) {
        int any = 0;
        for (int s = 0; s < ns && !any; s++) any = used[s * nc + j];
        if (any) x->st->weight_cols++, x->st->active_cols += x->S;
    }
    x->st->crossbars++;
    x->st->used_cells += cells * x->S;
    if (!x->map) return CS_OK;
    long xi = xbar_cellmap_add(x->map, x->err);
    if (xi < 0) return CS_ERR_RUNTIME;
    for (int s = 0; s < ns; s++)
        for (int j = 0; j < nc; j++) {
            if (!used[s * nc + j]) continue;
            for (int r = 0; r < sl[s].h; r++)
                for (long t = 0; t < x->S; t++)
                    set_cell(x->map, xi, sl[s].row0 + r, j * x->S + t, filt[j], sl[s].c0 + r,
                             sl[s].p, (int)t);
        }
    return CS_OK;
}

/* n strips of one input slice (p, c0..c0+h-1), filters filt[0..n): ceil(n / Q_b) crossbars of
 * one slot each, filters in order. The common case, counted without building tiles. */
static int emit_slice(mctx *x, int p, int c0, int h, const int32_t *filt, long n) {
    if (n == 0) return CS_OK;
    long nx = (n + x->Qb - 1) / x->Qb;
    x->st->crossbars += nx;
    x->st->used_cells += n * h * x->S;
    x->st->weight_cols += n;
    x->st->active_cols += n * x->S;
    x->st->used_rows += nx * h;
    if (!x->map) return CS_OK;
    for (long k = 0; k < nx; k++) {
        long xi = xbar_cellmap_add(x->map, x->err);
        if (xi < 0) return CS_ERR_RUNTIME;
        long nj = n - k * x->Qb < x->Qb ? n - k * x->Qb : x->Qb;
        for (long j = 0; j < nj; j++)
            for (int r = 0; r < h; r++)
                for (long t = 0; t < x->S; t++)
                    set_cell(x->map, xi, r, j * x->S + t, filt[k * x->Qb + j], c0 + r, p, (int)t);
    }
    return CS_OK;
}

/* ---------- origin ---------- */

/* The unrolled matrix [C*K^2 rows, row = p*C + c] x M in R x Q_b tiles; a block is used when
 * its strip is in the group. */
static int map_origin(mctx *x) {
    const xbar_layer *l = x->l;
    long rows_u = (long)l->C * x->K2;
    long n_slots_max = x->R / l->C + 2;
    slot *sl = cs_alloc((size_t)n_slots_max, sizeof *sl, x->err);
    int32_t *filt = cs_alloc((size_t)x->Qb, sizeof *filt, x->err);
    uint8_t *used = cs_alloc((size_t)(n_slots_max * x->Qb), 1, x->err);
    int rc = sl && filt && used ? CS_OK : CS_ERR_RUNTIME;
    for (long r0 = 0; rc == CS_OK && r0 < rows_u; r0 += x->R) {
        long r1 = r0 + x->R < rows_u ? r0 + x->R : rows_u;
        int ns = 0;
        for (long row = r0; row < r1; ns++) {
            int p = (int)(row / l->C), c = (int)(row % l->C);
            long h = l->C - c < r1 - row ? l->C - c : r1 - row;
            sl[ns] = (slot){p, c, (int)h, (int)(row - r0)};
            row += h;
        }
        for (long m0 = 0; rc == CS_OK && m0 < l->M; m0 += x->Qb) {
            int nc = (int)(l->M - m0 < x->Qb ? l->M - m0 : x->Qb);
            for (int j = 0; j < nc; j++) filt[j] = (int32_t)(m0 + j);
            for (int s = 0; s < ns; s++)
                for (int j = 0; j < nc; j++)
                    used[s * nc + j] = (uint8_t)in_group(x, m0 + j, sl[s].p);
            rc = emit_tile(x, sl, ns, filt, nc, used);
        }
    }
    free(sl);
    free(filt);
    free(used);
    return rc;
}

/* ---------- packed ---------- */

/* Work space of the multi-slot packer. */
typedef struct pack_ws {
    uint8_t *U; /* M x K2: strip segment not yet placed */
    long *left; /* per position: segments not yet placed */
    int *pos, *P, *best, *idx;
    int32_t *filt;
    uint8_t *used;
    long *hist;
    slot *sl;
} pack_ws;

/* Sum of the Q_b largest per-filter counts of unplaced segments over positions P. */
static long top_sum(const mctx *x, const pack_ws *w, const int *P, int k) {
    memset(w->hist, 0, (size_t)(k + 1) * sizeof *w->hist);
    for (long m = 0; m < x->l->M; m++) {
        int u = 0;
        for (int i = 0; i < k; i++) u += w->U[m * x->K2 + P[i]];
        w->hist[u]++;
    }
    long sum = 0, need = x->Qb;
    for (int v = k; v >= 1 && need > 0; v--) {
        long take = w->hist[v] < need ? w->hist[v] : need;
        sum += take * v;
        need -= take;
    }
    return sum;
}

static long n_choose_k(long n, long k) {
    long c = 1;
    for (long i = 1; i <= k; i++) {
        c = c * (n - k + i) / i;
        if (c > PACK_MAX_COMBOS) return PACK_MAX_COMBOS + 1;
    }
    return c;
}

/* Choose the slot set of the next crossbar: the k positions whose best Q_b filters cover the
 * most unplaced segments; exhaustive over combinations when there are few, else greedy
 * growth. Ties go to the lexicographically smallest set. */
static void choose_slots(const mctx *x, pack_ws *w, int np, int k) {
    long best = -1;
    if (n_choose_k(np, k) <= PACK_MAX_COMBOS) {
        for (int i = 0; i < k; i++) w->idx[i] = i;
        for (;;) {
            for (int i = 0; i < k; i++) w->P[i] = w->pos[w->idx[i]];
            long s = top_sum(x, w, w->P, k);
            if (s > best) best = s, memcpy(w->best, w->P, (size_t)k * sizeof *w->P);
            int i = k - 1;
            while (i >= 0 && w->idx[i] == np - k + i) i--;
            if (i < 0) break;
            w->idx[i]++;
            for (int j = i + 1; j < k; j++) w->idx[j] = w->idx[j - 1] + 1;
        }
        return;
    }
    int first = 0;
    for (int i = 1; i < np; i++)
        if (w->left[w->pos[i]] > w->left[w->pos[first]]) first = i;
    w->best[0] = w->pos[first];
    for (int n = 1; n < k; n++) {
        long bs = -1;
        int bp = -1;
        for (int i = 0; i < np; i++) {
            int q = w->pos[i], taken = 0;
            for (int j = 0; j < n; j++) taken |= w->best[j] == q;
            if (taken) continue;
            w->best[n] = q;
            long s = top_sum(x, w, w->best, n + 1);
            if (s > bs) bs = s, bp = q;
        }
        w->best[n] = bp;
    }
    /* keep slots in position order */
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && w->best[j - 1] > w->best[j]; j--) {
            int t = w->best[j];
            w->best[j] = w->best[j - 1];
            w->best[j - 1] = t;
        }
}

/* Emit one crossbar over slot set P (k positions): the Q_b filters with the most unplaced
 * segments in P (ties: lower filter), or every filter with one when all_filters. */
static int emit_slot_set(mctx *x, pack_ws *w, const int *P, int k, int c0, int h, long m_from,
                         long *m_next) {
    const long M = x->l->M;
    int nc = 0;
    if (m_next) {
        /* all remaining filters in order, Q_b at a time */
        long m = m_from;
        for (; m < M && nc < x->Qb; m++) {
            int any = 0;
            for (int i = 0; i < k && !any; i++) any = w->U[m * x->K2 + P[i]];
            if (any) w->filt[nc++] = (int32_t)m;
        }
        *m_next = m;
    } else {
        for (int v = k; v >= 1 && nc < x->Qb; v--)
            for (long m = 0; m < M && nc < x->Qb; m++) {
                int u = 0;
                for (int i = 0; i < k; i++) u += w->U[m * x->K2 + P[i]];
                if (u == v) w->filt[nc++] = (int32_t)m;
            }
        /* columns in filter order */
        for (int i = 1; i < nc; i++)
            for (int j = i; j > 0 && w->filt[j - 1] > w->filt[j]; j--) {
                int32_t t = w->filt[j];
                w->filt[j] = w->filt[j - 1];
                w->filt[j - 1] = t;
            }
    }
    if (nc == 0) return CS_OK;
    for (int s = 0; s < k; s++) {
        w->sl[s] = (slot){P[s], c0, h, s * h};
        for (int j = 0; j < nc; j++) {
            uint8_t *u = &w->U[w->filt[j] * x->K2 + P[s]];
            w->used[s * nc + j] = *u;
            if (*u) w->left[P[s]]--;
            *u = 0;
        }
    }
    return emit_tile(x, w->sl, k, w->filt, nc, w->used);
}

/* Segments of height h < R (channels c0..c0+h-1) of the group's strips, k = floor(R/h) row
 * slots per crossbar. lists[p*M..] / cnt[p]: filters with a strip at position p. */
static int pack_slots(mctx *x, const int32_t *lists, const long *cnt, int c0, int h) {
    const long M = x->l->M;
    const int K2 = x->K2;
    int k = (int)(x->R / h);
    if (k <= 1) {
        for (int p = 0; p < K2; p++) {
            int rc = emit_slice(x, p, c0, h, lists + (long)p * M, cnt[p]);
            if (rc) return rc;
        }
        return CS_OK;
    }
    if (k > K2) k = K2;
    pack_ws w;
    memset(&w, 0, sizeof w);
    w.U = cs_alloc((size_t)(M * K2), 1, x->err);
    w.left = cs_alloc((size_t)K2, sizeof *w.left, x->err);
    w.pos = cs_alloc((size_t)K2, sizeof *w.pos, x->err);
    w.P = cs_alloc((size_t)K2, sizeof *w.P, x->err);
    w.best = cs_alloc((size_t)K2, sizeof *w.best, x->err);
    w.idx = cs_alloc((size_t)K2, sizeof *w.idx, x->err);
    w.filt = cs_alloc((size_t)x->Qb, sizeof *w.filt, x->err);
    w.used = cs_alloc((size_t)(K2 * x->Qb), 1, x->err);
    w.hist = cs_alloc((size_t)K2 + 1, sizeof *w.hist, x->err);
    w.sl = cs_alloc((size_t)K2, sizeof *w.sl, x->err);
    int rc = w.U && w.left && w.pos && w.P && w.best && w.idx && w.filt && w.used && w.hist && w.sl
                 ? CS_OK
                 : CS_ERR_RUNTIME;
    for (int p = 0; rc == CS_OK && p < K2; p++) {
        w.left[p] = cnt[p];
        for (long i = 0; i < cnt[p]; i++) w.U[(long)lists[p * M + i] * K2 + p] = 1;
    }
    while (rc == CS_OK) {
        int np = 0;
        for (int p = 0; p < K2; p++)
            if (w.left[p] > 0) w.pos[np++] = p;
        if (np == 0) break;
        if (np <= k) {
            /* every remaining position fits in one slot set: each filter needs one column */
            long m = 0;
            while (rc == CS_OK && m < M) rc = emit_slot_set(x, &w, w.pos, np, c0, h, m, &m);
            break;
        }
        choose_slots(x, &w, np, k);
        rc = emit_slot_set(x, &w, w.best, k, c0, h, 0, NULL);
    }
    free(w.U);
    free(w.left);
    free(w.pos);
    free(w.P);
    free(w.best);
    free(w.idx);
    free(w.filt);
    free(w.used);
    free(w.hist);
    free(w.sl);
    return rc;
}

/* Per group: full-height segments (strips of R or more channels) one input slice per
 * crossbar, filled with Q_b filters each; the remaining segments (or whole strips shorter than
 * R) stacked in row slots by pack_slots. */
static int map_packed(mctx *x) {
    const xbar_layer *l = x->l;
    const long M = l->M;
    int32_t *lists = cs_alloc((size_t)(M * x->K2), sizeof *lists, x->err);
    long *cnt = cs_alloc((size_t)x->K2, sizeof *cnt, x->err);
    int rc = lists && cnt ? CS_OK : CS_ERR_RUNTIME;
    for (long m = 0; rc == CS_OK && m < M; m++)
        for (int p = 0; p < x->K2; p++)
            if (in_group(x, m, p)) lists[(long)p * M + cnt[p]++] = (int32_t)m;
    long n_full = l->C / x->R;
    int rem = (int)(l->C % x->R);
    for (int p = 0; rc == CS_OK && p < x->K2; p++)
        for (long seg = 0; rc == CS_OK && seg < n_full; seg++)
            rc = emit_slice(x, p, (int)(seg * x->R), (int)x->R, lists + (long)p * M, cnt[p]);
    if (rc == CS_OK && rem > 0) rc = pack_slots(x, lists, cnt, (int)(n_full * x->R), rem);
    free(lists);
    free(cnt);
    return rc;
}

/* ---------- one layer ---------- */

static int check_layer(const xbar_params *hw, const xbar_layer *l, cs_error *err) {
    if (l->C < 1 || l->M < 1 || l->K < 1 || l->stride < 1 || l->H < 1 || l->W < 1 || l->Ho < 1 ||
        l->Wo < 1)
        return cs_fail(err, CS_ERR_INPUT, "layer %s: expected positive sizes", l->name);
    if ((long)l->K * l->K > 32767)
        return cs_fail(err, CS_ERR_INPUT, "layer %s: kernel %dx%d too large", l->name, l->K, l->K);
    if (hw->n_groups < 1 || hw->rows < 1 || hw->cols < 1 || hw->cell_bits < 1)
        return cs_fail(err, CS_ERR_INPUT, "xbar: no crossbar geometry or groups");
    return CS_OK;
}

/* bits value -> group index; every strip's width must have a group (0 = not mapped). */
static int group_table(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits,
                       int8_t gidx[256], cs_error *err) {
    memset(gidx, -1, 256);
    for (int g = hw->n_groups - 1; g >= 0; g--)
        if (hw->groups[g].bits >= 1 && hw->groups[g].bits <= 255) {
            if (xbar_weight_cols(hw, hw->groups[g].bits) < 1)
                return cs_fail(err, CS_ERR_INPUT,
                               "xbar: %ld-bit weights need more than %ld columns",
                               hw->groups[g].bits, hw->cols);
            gidx[hw->groups[g].bits] = (int8_t)g;
        }
    long n = (long)l->M * l->K * l->K;
    for (long s = 0; s < n; s++)
        if (bits[s] != 0 && gidx[bits[s]] < 0)
            return cs_fail(err, CS_ERR_INPUT,
                           "layer %s: strip %ld has %d-bit weights, but xbar.groups has no "
                           "group for them",
                           l->name, s, bits[s]);
    return CS_OK;
}

static void ctx_init(mctx *x, const xbar_params *hw, const xbar_layer *l, const uint8_t *bits,
                     const int8_t *gidx, int g, xbar_group_stats *st, xbar_cellmap *map,
                     cs_error *err) {
    memset(x, 0, sizeof *x);
    x->hw = hw;
    x->l = l;
    x->bits = bits;
    x->gidx = gidx;
    x->g = g;
    x->K2 = l->K * l->K;
    x->R = hw->rows;
    x->Q = hw->cols;
    x->S = xbar_slices(hw, hw->groups[g].bits);
    x->Qb = xbar_weight_cols(hw, hw->groups[g].bits);
    x->st = st;
    x->map = map;
    x->err = err;
}

/* Counts of one group under a mapping; packed keeps origin's layout in the rare cases
 * (stacked row slots) where that needs fewer crossbars, so packed never allocates more. */
static int map_group(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits,
                     const int8_t *gidx, int g, int mapping, xbar_group_stats *st,
                     xbar_cellmap *map, cs_error *err) {
    mctx x;
    xbar_group_stats a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (mapping == XBAR_MAP_PACKED && l->C % hw->rows != 0) {
        ctx_init(&x, hw, l, bits, gidx, g, &a, NULL, err);
        int rc = map_packed(&x);
        ctx_init(&x, hw, l, bits, gidx, g, &b, NULL, err);
        if (rc == CS_OK) rc = map_origin(&x);
        if (rc) return rc;
        if (b.crossbars < a.crossbars ||
            (b.crossbars == a.crossbars && b.active_cols < a.active_cols))
            mapping = XBAR_MAP_ORIGIN;
    }
    ctx_init(&x, hw, l, bits, gidx, g, st, map, err);
    return mapping == XBAR_MAP_ORIGIN ? map_origin(&x) : map_packed(&x);
}

int xbar_map_layer(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits, int mapping,
                   xbar_layer_stats *out, cs_error *err) {
    memset(out, 0, sizeof *out);
    int rc = check_layer(hw, l, err);
    if (rc) return rc;
    int8_t gidx[256];
    rc = group_table(hw, l, bits, gidx, err);
    if (rc) return rc;
    if (mapping < 0) mapping = hw->mapping;
    const int K2 = l->K * l->K;
    /* strips, filters and aligned filters per group */
    for (long m = 0; m < l->M; m++) {
        unsigned present = 0;
        long top = 0;
        for (int p = 0; p < K2; p++) {
            int b = bits[m * K2 + p];
            if (!b) continue;
            out->g[gidx[b]].strips++;
            present |= 1u << gidx[b];
            if (b > top) top = b;
        }
        for (int g = 0; g < hw->n_groups; g++)
            if (present >> g & 1) {
                out->g[g].filters++;
                if (hw->groups[g].bits < top) out->g[g].aligned++;
            }
    }
    double V = xbar_positions(hw, l);
    for (int g = 0; g < hw->n_groups; g++) {
        xbar_group_stats *st = &out->g[g];
        st->capacity = xbar_capacity(hw, l, hw->groups[g].bits);
        st->positions = V;
        if (st->strips) {
            rc = map_group(hw, l, bits, gidx, g, mapping, st, NULL, err);
            if (rc) return cs_wrap(err, "layer %s: ", l->name);
        }
        st->alloc_cells = st->crossbars * hw->rows * hw->cols;
        xbar_group_cost(hw, g, st);
        out->energy_j += st->energy_adc_j + st->energy_accum_j + st->energy_other_j;
        if (st->latency_s > out->latency_s) out->latency_s = st->latency_s;
    }
    return CS_OK;
}

int xbar_map_cells(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits, int mapping,
                   int group, xbar_cellmap *map, cs_error *err) {
    int rc = check_layer(hw, l, err);
    if (rc) return rc;
    if (group < 0 || group >= hw->n_groups)
        return cs_fail(err, CS_ERR_INPUT, "xbar: no group %d", group);
    int8_t gidx[256];
    rc = group_table(hw, l, bits, gidx, err);
    if (rc == CS_OK) rc = xbar_cellmap_init(map, hw, group, 0, err);
    if (rc) return rc;
    xbar_group_stats st;
    memset(&st, 0, sizeof st);
    rc = map_group(hw, l, bits, gidx, group, mapping < 0 ? hw->mapping : mapping, &st, map, err);
    if (rc) xbar_cellmap_free(map);
    return rc;
}
