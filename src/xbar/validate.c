/* Explicit cell maps and their validator: the two validity rules of DESIGN §5 checked cell by
 * cell, plus coverage (every weight slice of the group stored exactly once). */
#include <stdlib.h>
#include <string.h>

#include "xbar/xbar.h"

int xbar_cellmap_init(xbar_cellmap *map, const xbar_params *hw, int group, long n_xbars,
                      cs_error *err) {
    memset(map, 0, sizeof *map);
    map->group = group;
    map->rows = hw->rows;
    map->cols = hw->cols;
    for (long i = 0; i < n_xbars; i++)
        if (xbar_cellmap_add(map, err) < 0) {
            xbar_cellmap_free(map);
            return CS_ERR_RUNTIME;
        }
    return CS_OK;
}

long xbar_cellmap_add(xbar_cellmap *map, cs_error *err) {
    long per = map->rows * map->cols;
    if (map->n_xbars == map->cap) {
        long cap = map->cap ? 2 * map->cap : 8;
        xbar_cell *c = cs_realloc(map->cells, (size_t)(cap * per), sizeof *c, err);
        if (!c) return -1;
        map->cells = c;
        map->cap = cap;
    }
    xbar_cell *x = map->cells + map->n_xbars * per;
    for (long i = 0; i < per; i++) x[i] = (xbar_cell){-1, -1, -1, -1};
    return map->n_xbars++;
}

void xbar_cellmap_free(xbar_cellmap *map) {
    free(map->cells);
    memset(map, 0, sizeof *map);
}

static const xbar_cell *cell_at(const xbar_cellmap *map, long x, long r, long q) {
    return &map->cells[(x * map->rows + r) * map->cols + q];
}

/* Rules 1 and 2 on one crossbar; fills its counts. */
static int check_xbar(const xbar_cellmap *map, long x, xbar_cell_counts *cnt, cs_error *err) {
    long used = 0;
    for (long r = 0; r < map->rows; r++) {
        const xbar_cell *first = NULL;
        for (long q = 0; q < map->cols; q++) {
            const xbar_cell *c = cell_at(map, x, r, q);
            if (c->m < 0) continue;
            used++;
            if (!first) {
                first = c;
            } else if (c->p != first->p || c->c != first->c) {
                return cs_fail(err, CS_ERR_RUNTIME,
                               "crossbar %ld, row %ld: rule 1 broken: cells multiply input "
                               "(p %d, c %d) and input (p %d, c %d)",
                               x, r, first->p, first->c, c->p, c->c);
            }
        }
        if (first) cnt->used_rows++;
    }
    for (long q = 0; q < map->cols; q++) {
        const xbar_cell *first = NULL;
        for (long r = 0; r < map->rows; r++) {
            const xbar_cell *c = cell_at(map, x, r, q);
            if (c->m < 0) continue;
            if (!first) {
                first = c;
            } else if (c->m != first->m || c->slice != first->slice) {
                return cs_fail(err, CS_ERR_RUNTIME,
                               "crossbar %ld, column %ld: rule 2 broken: one ADC sample sums "
                               "filter %d slice %d and filter %d slice %d",
                               x, q, first->m, first->slice, c->m, c->slice);
            }
        }
        if (first) cnt->active_cols++;
    }
    if (used == 0)
        return cs_fail(err, CS_ERR_RUNTIME, "crossbar %ld: allocated but holds no weight", x);
    cnt->crossbars++;
    cnt->used_cells += used;
    return CS_OK;
}

int xbar_validate_cells(const xbar_params *hw, const xbar_layer *l, const uint8_t *bits,
                        const xbar_cellmap *map, xbar_cell_counts *counts, cs_error *err) {
    xbar_cell_counts cnt;
    memset(&cnt, 0, sizeof cnt);
    if (map->group < 0 || map->group >= hw->n_groups || map->rows != hw->rows ||
        map->cols != hw->cols)
        return cs_fail(err, CS_ERR_RUNTIME, "cell map does not match the crossbar geometry");
    const long gbits = hw->groups[map->group].bits, S = xbar_slices(hw, gbits);
    const long K2 = (long)l->K * l->K, n_w = (long)l->M * l->C * K2;
    for (long x = 0; x < map->n_xbars; x++) {
        int rc = check_xbar(map, x, &cnt, err);
        if (rc) return rc;
    }
    /* coverage: seen[(m*K2 + p)*C + c] counts slices */
    uint8_t *seen = cs_alloc((size_t)(n_w * S), 1, err);
    if (!seen) return CS_ERR_RUNTIME;
    int rc = CS_OK;
    for (long i = 0; rc == CS_OK && i < map->n_xbars * map->rows * map->cols; i++) {
        const xbar_cell *c = &map->cells[i];
        if (c->m < 0) continue;
        long x = i / (map->rows * map->cols);
        if (c->m >= l->M || c->p < 0 || c->p >= K2 || c->c < 0 || c->c >= l->C || c->slice < 0 ||
            c->slice >= S) {
            rc = cs_fail(err, CS_ERR_RUNTIME,
                         "crossbar %ld: cell holds filter %d, position %d, channel %d, slice %d, "
                         "outside the layer",
                         x, c->m, c->p, c->c, c->slice);
        } else if (bits[(long)c->m * K2 + c->p] != gbits) {
            rc = cs_fail(err, CS_ERR_RUNTIME,
                         "crossbar %ld: strip (filter %d, position %d) is %d-bit, not in the "
                         "%ld-bit group",
                         x, c->m, c->p, bits[(long)c->m * K2 + c->p], gbits);
        } else if (seen[(((long)c->m * K2 + c->p) * l->C + c->c) * S + c->slice]++) {
            rc = cs_fail(err, CS_ERR_RUNTIME,
                         "crossbar %ld: weight (filter %d, position %d, channel %d) slice %d "
                         "stored twice",
                         x, c->m, c->p, c->c, c->slice);
        }
    }
    for (long m = 0; rc == CS_OK && m < l->M; m++)
        for (long p = 0; rc == CS_OK && p < K2; p++) {
            if (bits[m * K2 + p] != gbits) continue;
            for (long c = 0; rc == CS_OK && c < l->C; c++)
                for (long t = 0; rc == CS_OK && t < S; t++)
                    if (!seen[((m * K2 + p) * l->C + c) * S + t])
                        rc = cs_fail(err, CS_ERR_RUNTIME,
                                     "weight (filter %ld, position %ld, channel %ld) slice %ld "
                                     "of the %ld-bit group is not stored",
                                     m, p, c, t, gbits);
        }
    free(seen);
    if (rc == CS_OK && counts) *counts = cnt;
    return rc;
}
