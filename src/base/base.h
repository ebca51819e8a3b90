/* base: status codes, error context, checked allocation, timing and progress.
 *
 * Every library function that can fail returns an int status (CS_OK, CS_ERR_RUNTIME or
 * CS_ERR_INPUT) and fills a cs_error with a message that names the file, line or argument
 * at fault. Only the CLI turns a status into an exit code (0, 1, 2 as DESIGN §8 says). */
#ifndef CS_BASE_H
#define CS_BASE_H

#include <stddef.h>
#include <stdint.h>

enum {
    CS_OK = 0,
    CS_ERR_RUNTIME = 1, /* out of memory, I/O failure, numerical breakdown */
    CS_ERR_INPUT = 2    /* bad usage, config, or input file */
};

typedef struct cs_error {
    int code;
    char msg[1024];
} cs_error;

/* Record a failure in err (may be NULL) and return code, so callers write
 * `return cs_fail(err, CS_ERR_INPUT, "%s: bad magic", path);`. */
int cs_fail(cs_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with more context ("while loading X: ") and return its code. */
int cs_wrap(cs_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clear an error record. */
void cs_error_clear(cs_error *err);

/* Checked allocation: returns NULL and fills err on failure. n*size overflow is checked.
 * Memory from cs_alloc is zeroed; cs_alloc_aligned returns 64-byte aligned memory
 * (free with free()). */
void *cs_alloc(size_t n, size_t size, cs_error *err);
void *cs_alloc_aligned(size_t n, size_t size, cs_error *err);
void *cs_realloc(void *p, size_t n, size_t size, cs_error *err);
char *cs_strdup(const char *s, cs_error *err);

/* Small fixed-capacity lists used by option structs (so options stay plain copyable data). */
#define CS_LIST_MAX 64
#define CS_NAME_MAX 128
#define CS_PATH_MAX 1024
typedef struct cs_int_list {
    int n;
    int v[CS_LIST_MAX];
} cs_int_list;
typedef struct cs_real_list {
    int n;
    double v[CS_LIST_MAX];
} cs_real_list;
typedef struct cs_name_list {
    int n;
    char v[CS_LIST_MAX][CS_NAME_MAX];
} cs_name_list;

/* Index of name in a NULL-terminated table, or -1. */
int cs_name_index(const char *const *names, const char *name);

/* Monotonic wall clock in seconds. */
double cs_now(void);

/* Progress line on stderr, rate-limited to one line every interval_s seconds unless final.
 * Quiet when stderr is not wanted (quiet != 0). */
typedef struct cs_progress {
    const char *what;
    double t_start, t_last, interval_s;
    long total;
    int quiet;
} cs_progress;

void cs_progress_start(cs_progress *p, const char *what, long total, int quiet);
/* Report done/total with an ETA and an extra free-text detail. */
void cs_progress_update(cs_progress *p, long done, const char *detail, int final);

/* Format seconds as "1h02m", "3m05s" or "12.3s". */
void cs_format_duration(double s, char *buf, size_t n);

#endif
