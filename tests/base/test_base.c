/* Counter-based random streams (Philox4x32-10 known answers), SHA-256 (FIPS 180-4 test
 * vectors), the JSON writer and the work-unit helpers of comm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/comm.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/rng.h"

static void test_philox_known_answer(void **state) {
    (void)state;
    /* Random123 kat_vectors: philox4x32 10 rounds, counter 0, key 0 */
    rng_stream r;
    rng_init(&r, 0, 0, 0);
    uint32_t want[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
    for (int i = 0; i < 4; i++) assert_true(rng_u32(&r) == want[i]);
}

static void test_streams_are_keyed_not_stateful(void **state) {
    (void)state;
    rng_stream a, b, c;
    rng_init(&a, 7, RNG_PROBE, 3);
    rng_init(&b, 7, RNG_PROBE, 3);
    rng_init(&c, 7, RNG_PROBE, 4);
    int same = 1, diff = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t x = rng_u32(&a), y = rng_u32(&b), z = rng_u32(&c);
        same &= x == y;
        diff += x != z;
    }
    assert_true(same);
    assert_true(diff > 95);
    /* uniform draws lie in [0, 1) with the right mean; Rademacher values are +-1, balanced */
    double s = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        s += u;
    }
    assert_true(fabs(s / 100000 - 0.5) < 0.01);
    float v[10000];
    rng_rademacher(&a, v, 10000);
    double m = 0;
    for (int i = 0; i < 10000; i++) {
        assert_true(v[i] == 1.0f || v[i] == -1.0f);
        m += v[i];
    }
    assert_true(fabs(m / 10000) < 0.05);
    for (int i = 0; i < 1000; i++) assert_true(rng_below(&a, 7) < 7);
}

static void test_sha256_vectors(void **state) {
    (void)state;
    char hex[65];
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* streaming in odd pieces equals one call */
    sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < strlen(two); i += 5)
        sha256_update(&c, two + i, strlen(two) - i < 5 ? strlen(two) - i : 5);
    char hex2[65];
    sha256_final_hex(&c, hex2);
    assert_string_equal(hex, hex2);
}

static void test_json_writer(void **state) {
    (void)state;
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    json_writer w;
    json_begin(&w, f);
    json_object_begin(&w);
    json_kv_string(&w, "a", "x\"y\n");
    json_kv_number(&w, "b", 1.5);
    json_kv_number(&w, "nan", NAN);
    json_key(&w, "list");
    json_array_begin(&w);
    json_int(&w, 1);
    json_bool(&w, 0);
    json_array_end(&w);
    json_object_end(&w);
    json_end(&w);
    fclose(f);
    assert_string_equal(buf, "{\"a\":\"x\\\"y\\n\",\"b\":1.5,\"nan\":null,\"list\":[1,false]}\n");
}

static void test_balance_and_share(void **state) {
    (void)state;
    cs_comm c = comm_serial();
    c.size = 3; /* only comm_balance looks at the size */
    double cost[7] = {5, 1, 1, 1, 4, 2, 2};
    int owner[7];
    assert_int_equal(comm_balance(&c, 7, cost, owner, NULL), CS_OK);
    double load[3] = {0, 0, 0};
    for (int u = 0; u < 7; u++) load[owner[u]] += cost[u];
    for (int r = 0; r < 3; r++) assert_true(load[r] >= 5 && load[r] <= 6);
    /* the rule is deterministic: the same again */
    int again[7];
    comm_balance(&c, 7, cost, again, NULL);
    assert_memory_equal(owner, again, sizeof owner);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answer),
        cmocka_unit_test(test_streams_are_keyed_not_stateful),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_balance_and_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
