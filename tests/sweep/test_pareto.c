/* Pareto fronts and hypervolumes on hand-made point sets with known answers, ties and
 * duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sweep/sweep.h"

static sweep_row pt(long index, double top1, double energy, double latency) {
    sweep_row r;
    memset(&r, 0, sizeof r);
    r.index = index;
    r.status = 1;
    r.top1 = top1;
    r.energy_j = energy;
    r.latency_s = latency;
    return r;
}

static void test_front_with_ties_and_duplicates(void **state) {
    (void)state;
    sweep_row rows[8] = {
        pt(4, 92, 2.0, 5),  /* B */
        pt(0, 90, 1.0, 9),  /* A */
        pt(2, 91, 3.0, 1),  /* dominated in energy by B; best latency */
        pt(3, 92, 2.0, 6),  /* a duplicate of B in energy: index 4 stays? no, lowest index 3 */
        pt(5, 85, 1.0, 2),  /* same energy as A, lower top-1: dominated */
        pt(6, 95, 8.0, 8),  /* the most accurate */
        pt(7, NAN, 0.5, 1), /* not computed: ignored */
        pt(8, 99, 0.1, 1),  /* not done: ignored */
    };
    rows[7].status = 0;
    long front[8];
    long n = sweep_pareto(rows, 8, 0, front);
    assert_int_equal(n, 3);
    assert_int_equal(rows[front[0]].index, 0); /* A (1.0 J, 90) */
    assert_int_equal(rows[front[1]].index, 3); /* the tie of 2.0 J and 92 %: lowest index */
    assert_int_equal(rows[front[2]].index, 6); /* 8.0 J, 95 */
    /* hypervolume against (80 %, 10 J): [1,2) x 10 + [2,8) x 12 + [8,10) x 15 = 112 */
    double hv = sweep_hypervolume(rows, front, n, 0, 80, 10);
    assert_true(fabs(hv - 112) < 1e-12);
    /* latency front: (1 s, 91) then (5 s, 92) then (8 s, 95) - B's duplicate at 6 s is worse */
    n = sweep_pareto(rows, 8, 1, front);
    assert_int_equal(n, 3);
    assert_int_equal(rows[front[0]].index, 2);
    assert_int_equal(rows[front[1]].index, 4);
    assert_int_equal(rows[front[2]].index, 6);
    double ref_top1, ref_cost;
    sweep_reference(rows, 8, 0, &ref_top1, &ref_cost);
    assert_true(ref_top1 == 85 && fabs(ref_cost - 8.8) < 1e-12);
}

static void test_front_does_not_depend_on_row_order(void **state) {
    (void)state;
    sweep_row a[5] = {pt(0, 90, 1, 1), pt(1, 90, 1, 1), pt(2, 93, 2, 2), pt(3, 93, 2, 2),
                      pt(4, 80, 3, 3)};
    sweep_row b[5] = {a[3], a[2], a[4], a[1], a[0]};
    long fa[5], fb[5];
    long na = sweep_pareto(a, 5, 0, fa), nb = sweep_pareto(b, 5, 0, fb);
    assert_int_equal(na, nb);
    for (long k = 0; k < na; k++) assert_int_equal(a[fa[k]].index, b[fb[k]].index);
    assert_int_equal(a[fa[0]].index, 0);
    assert_int_equal(a[fa[1]].index, 2);
    /* an empty set has an empty front and no volume */
    assert_int_equal(sweep_pareto(a, 0, 0, fa), 0);
    assert_true(sweep_hypervolume(a, fa, 0, 0, 0, 1) == 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_front_with_ties_and_duplicates),
        cmocka_unit_test(test_front_does_not_depend_on_row_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
