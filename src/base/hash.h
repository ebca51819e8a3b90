/* hash: SHA-256 (FIPS 180-4) for run ids, cache keys and file identity. */
#ifndef CS_HASH_H
#define CS_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
/* Finish and write the digest as 64 lowercase hex characters plus NUL. */
void sha256_final_hex(sha256_ctx *c, char hex[65]);

/* Hex digest of a memory block. */
void sha256_hex(const void *data, size_t n, char hex[65]);

/* Hex digest of a whole file; CS_ERR_INPUT if it cannot be read. */
int sha256_file_hex(const char *path, char hex[65], cs_error *err);

#endif
