/* Configuration loading: defaults, @include relative to the including file, --set,
 * canonical form and hash, error locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/config.h"

static char dir[1024];

static void write_file(const char *rel, const char *text) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "%s/test_config", CS_TEST_TMP);
    mkdir(dir, 0755);
    char sub[1100];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0755);
    return 0;
}

static cs_config *load(const char *rel, cs_error *err) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    cs_config *c = malloc(sizeof *c);
    assert_non_null(c);
    cs_error_clear(err);
    int rc = config_load(path, c, err);
    if (rc != CS_OK) {
        free(c);
        return NULL;
    }
    return c;
}

static void test_defaults_match_design(void **state) {
    (void)state;
    cs_config *c = malloc(sizeof *c);
    config_defaults(c);
    /* DESIGN §9 defaults */
    assert_string_equal(c->model.file, "data/models/resnet20-fmnist.h5");
    assert_int_equal(c->sensitivity.max_probes, 100);
    assert_int_equal(c->sensitivity.min_probes, 10);
    assert_true(c->sensitivity.tol == 1e-3);
    assert_int_equal(c->sensitivity.calib_samples, 512);
    assert_int_equal(c->quant.high_bits, 8);
    assert_int_equal(c->quant.low_bits, 4);
    assert_int_equal(c->sweep.cr.n, 21);
    assert_true(c->sweep.cr.v[20] == 1.0 && c->sweep.cr.v[10] == 0.5);
    assert_int_equal(c->sweep.hap_ratios.n, 3);
    assert_int_equal(c->xbar.n_groups, 2);
    assert_int_equal(c->xbar.groups[0].bits, 8);
    assert_int_equal(c->xbar.groups[0].adc_levels, 256);
    assert_int_equal(c->xbar.groups[1].cols_per_adc, 2);
    cs_error err;
    assert_int_equal(config_validate(c, &err), CS_OK);
    free(c);
}

static void test_include_relative_to_including_file(void **state) {
    (void)state;
    write_file("other.cfg", "fim = { samples = 77; };\n");
    write_file("sub/piece.cfg", "@include \"../other.cfg\"\nsensitivity = { max_probes = 42; };\n");
    write_file("main.cfg", "# top\n@include \"sub/piece.cfg\"\ntrain = { epochs = 2; };\n");
    cs_error err;
    cs_config *c = load("main.cfg", &err);
    assert_non_null(c);
    assert_int_equal(c->sensitivity.max_probes, 42);
    assert_int_equal(c->fim.samples, 77);
    assert_int_equal(c->train.epochs, 2);
    /* origins name the file and line that set each key */
    char where[2048];
    config_where(c, "sensitivity.max_probes", where, sizeof where);
    assert_non_null(strstr(where, "sub/piece.cfg:2"));
    config_where(c, "fim.samples", where, sizeof where);
    assert_non_null(strstr(where, "other.cfg:1"));
    free(c);
}

static void test_error_in_included_file_reports_its_line(void **state) {
    (void)state;
    write_file("sub/bad.cfg", "\n\nsensitivity = { tol = 5.0; };\n");
    write_file("inc_bad.cfg", "@include \"sub/bad.cfg\"\n");
    cs_error err;
    assert_null(load("inc_bad.cfg", &err));
    assert_int_equal(err.code, CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "sub/bad.cfg:3: sensitivity.tol"));
}

static void test_canonical_round_trip_and_hash(void **state) {
    (void)state;
    write_file("rt.cfg",
               "sweep = { cr = [0.1, 0.25, 0.9]; methods = [\"magnitude\", \"random\"]; };\n"
               "quant = { exclude = [\"conv1\", \"fc\"]; };\n");
    cs_error err;
    cs_config *c = load("rt.cfg", &err);
    assert_non_null(c);
    char *text = config_canonical(c, 1, &err);
    assert_non_null(text);
    write_file("rt2.cfg", text);
    cs_config *d = load("rt2.cfg", &err);
    assert_non_null(d);
    char *text2 = config_canonical(d, 1, &err);
    assert_string_equal(text, text2);
    char h1[65], h2[65];
    assert_int_equal(config_hash(c, h1, &err), CS_OK);
    assert_int_equal(config_hash(d, h2, &err), CS_OK);
    assert_string_equal(h1, h2);
    /* the output section does not change the run id; any other value does */
    assert_int_equal(config_set(d, "output.file=\"elsewhere.h5\"", &err), CS_OK);
    assert_int_equal(config_hash(d, h2, &err), CS_OK);
    assert_string_equal(h1, h2);
    assert_int_equal(config_set(d, "sensitivity.seed=2", &err), CS_OK);
    assert_int_equal(config_hash(d, h2, &err), CS_OK);
    assert_string_not_equal(h1, h2);
    /* keys come out sorted: data before fim before model ... */
    const char *pd = strstr(text, "data = {"), *pf = strstr(text, "fim = {");
    const char *pm = strstr(text, "model = {"), *px = strstr(text, "xbar = {");
    assert_true(pd && pf && pm && px && pd < pf && pf < pm && pm < px);
    free(text);
    free(text2);
    free(c);
    free(d);
}

static void test_set_overrides_and_validates(void **state) {
    (void)state;
    cs_config *c = malloc(sizeof *c);
    config_defaults(c);
    cs_error err;
    assert_int_equal(config_set(c, "sensitivity.max_probes=20", &err), CS_OK);
    assert_int_equal(c->sensitivity.max_probes, 20);
    assert_int_equal(config_set(c, "sensitivity.method=magnitude", &err), CS_OK);
    assert_int_equal(c->sensitivity.method, SENS_MAGNITUDE);
    assert_int_equal(config_set(c, "sweep.tau=[0.5, 1e-3]", &err), CS_OK);
    assert_int_equal(c->sweep.tau.n, 2);
    assert_int_equal(c->sweep.cr.kind, GRID_NONE); /* a tau grid replaces the CR grid */
    /* validated like the file, and the message names the --set argument */
    assert_int_equal(config_set(c, "sensitivity.max_probes=0", &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "--set sensitivity.max_probes=0"));
    /* cross-key checks run after all overrides: order does not matter */
    assert_int_equal(config_set(c, "sensitivity.min_probes=50", &err), CS_OK);
    assert_int_equal(config_validate(c, &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "exceeds"));
    assert_non_null(strstr(err.msg, "--set sensitivity.min_probes=50"));
    assert_int_equal(config_set(c, "sensitivity.max_probes=60", &err), CS_OK);
    assert_int_equal(config_validate(c, &err), CS_OK);
    assert_int_equal(config_set(c, "sensitivity.maxprobes=3", &err), CS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "did you mean sensitivity.max_probes"));
    assert_int_equal(config_set(c, "no_equals_sign", &err), CS_ERR_INPUT);
    free(c);
}

static void test_integers_beyond_32_bits_are_not_wrapped(void **state) {
    (void)state;
    /* libconfig 1.5 reads 4294967297 as 1; cimsweep must reject it, not accept 1 */
    write_file("wrap.cfg", "sensitivity = { max_probes = 4294967297; };\n");
    cs_error err;
    assert_null(load("wrap.cfg", &err));
    assert_non_null(strstr(err.msg, "got 4294967297"));
    write_file("big.cfg", "data = { eval_samples = 99999999999999999999999; };\n");
    assert_null(load("big.cfg", &err));
    assert_non_null(strstr(err.msg, "too large"));
}

static void test_unknown_key_suggestions(void **state) {
    (void)state;
    write_file("typo.cfg", "\nsensitivity = { calib_sample = 5; };\n");
    cs_error err;
    assert_null(load("typo.cfg", &err));
    assert_non_null(strstr(err.msg, "typo.cfg:2: unknown key sensitivity.calib_sample"));
    assert_non_null(strstr(err.msg, "did you mean sensitivity.calib_samples"));
    write_file("moved.cfg", "sweep = { seed = 3; };\n");
    assert_null(load("moved.cfg", &err));
    assert_non_null(strstr(err.msg, "unknown key sweep.seed"));
    assert_int_equal(config_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(config_edit_distance("", "abc"), 3);
    assert_int_equal(config_edit_distance("same", "same"), 0);
}

static void test_later_settings_override_included_ones(void **state) {
    (void)state;
    write_file("base.cfg", "sensitivity = { max_probes = 40; tol = 0.01; };\n"
                           "sweep = { tau = [0.5, 0.7]; methods = [\"magnitude\"]; };\n");
    write_file("over.cfg", "@include \"base.cfg\"\n"
                           "sensitivity = { max_probes = 60; };\n"
                           "sweep = { cr = [0.25]; };\n");
    cs_error err;
    cs_config *c = load("over.cfg", &err);
    assert_non_null(c);
    assert_int_equal(c->sensitivity.max_probes, 60); /* overridden */
    assert_true(c->sensitivity.tol == 0.01);         /* kept from the include */
    assert_int_equal(c->sweep.methods.v[0], SENS_MAGNITUDE);
    assert_int_equal(c->sweep.cr.n, 1); /* a later CR grid replaces the included tau grid */
    assert_int_equal(c->sweep.tau.kind, GRID_NONE);
    char where[2048];
    config_where(c, "sensitivity.max_probes", where, sizeof where);
    assert_non_null(strstr(where, "over.cfg:2"));
    free(c);
}

static void test_grid_range_values(void **state) {
    (void)state;
    write_file("grid.cfg", "sweep = { cr = { from = 0.2; to = 0.6; steps = 5; }; };\n");
    cs_error err;
    cs_config *c = load("grid.cfg", &err);
    assert_non_null(c);
    double want[5] = {0.2, 0.3, 0.4, 0.5, 0.6};
    assert_int_equal(c->sweep.cr.n, 5);
    for (int i = 0; i < 5; i++)
        assert_true(c->sweep.cr.v[i] > want[i] - 1e-12 && c->sweep.cr.v[i] < want[i] + 1e-12);
    free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_design),
        cmocka_unit_test(test_include_relative_to_including_file),
        cmocka_unit_test(test_error_in_included_file_reports_its_line),
        cmocka_unit_test(test_canonical_round_trip_and_hash),
        cmocka_unit_test(test_set_overrides_and_validates),
        cmocka_unit_test(test_integers_beyond_32_bits_are_not_wrapped),
        cmocka_unit_test(test_unknown_key_suggestions),
        cmocka_unit_test(test_grid_range_values),
        cmocka_unit_test(test_later_settings_override_included_ones),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
