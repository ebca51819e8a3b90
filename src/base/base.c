#include "base/base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int cs_fail(cs_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int cs_wrap(cs_error *err, const char *fmt, ...) {
    if (!err) return CS_ERR_RUNTIME;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
    if (err->code == CS_OK) err->code = CS_ERR_RUNTIME;
    return err->code;
}

void cs_error_clear(cs_error *err) {
    if (!err) return;
    err->code = CS_OK;
    err->msg[0] = '\0';
}

void *cs_alloc(size_t n, size_t size, cs_error *err) {
    if (n == 0 || size == 0) n = size = 1;
    if (n > SIZE_MAX / size) {
        cs_fail(err, CS_ERR_RUNTIME, "allocation of %zu x %zu bytes overflows", n, size);
        return NULL;
    }
    void *p = calloc(n, size);
    if (!p) cs_fail(err, CS_ERR_RUNTIME, "out of memory allocating %zu bytes", n * size);
    return p;
}

void *cs_alloc_aligned(size_t n, size_t size, cs_error *err) {
    if (n == 0 || size == 0) n = size = 1;
    if (n > (SIZE_MAX - 64) / size) {
        cs_fail(err, CS_ERR_RUNTIME, "allocation of %zu x %zu bytes overflows", n, size);
        return NULL;
    }
    /* Large buffers (activations of a whole batch) go on 2 MB boundaries and ask for
     * transparent huge pages: the passes sweep them repeatedly, and with 4 kB pages TLB misses
     * made throughput vary by a third from run to run. */
    size_t align = n * size >= (4u << 20) ? (2u << 20) : 64;
    size_t bytes = (n * size + align - 1) / align * align;
    void *p = aligned_alloc(align, bytes);
    if (!p) {
        cs_fail(err, CS_ERR_RUNTIME, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    if (align > 64) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 0, bytes);
    return p;
}

void *cs_realloc(void *p, size_t n, size_t size, cs_error *err) {
    if (n == 0 || size == 0) n = size = 1;
    if (n > SIZE_MAX / size) {
        cs_fail(err, CS_ERR_RUNTIME, "allocation of %zu x %zu bytes overflows", n, size);
        return NULL;
    }
    void *q = realloc(p, n * size);
    if (!q) cs_fail(err, CS_ERR_RUNTIME, "out of memory allocating %zu bytes", n * size);
    return q;
}

char *cs_strdup(const char *s, cs_error *err) {
    size_t n = strlen(s) + 1;
    char *d = cs_alloc(n, 1, err);
    if (d) memcpy(d, s, n);
    return d;
}

double cs_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cs_format_duration(double s, char *buf, size_t n) {
    if (s < 0 || s != s) s = 0;
    if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%.1fs", s);
}

void cs_progress_start(cs_progress *p, const char *what, long total, int quiet) {
    p->what = what;
    p->total = total;
    p->quiet = quiet;
    p->interval_s = 2.0;
    p->t_start = p->t_last = cs_now();
}

void cs_progress_update(cs_progress *p, long done, const char *detail, int final) {
    if (p->quiet) return;
    double now = cs_now();
    if (!final && now - p->t_last < p->interval_s) return;
    p->t_last = now;
    double el = now - p->t_start;
    char eta[32] = "?", elapsed[32];
    if (done > 0 && p->total > 0)
        cs_format_duration(el / done * (p->total - done), eta, sizeof eta);
    cs_format_duration(el, elapsed, sizeof elapsed);
    if (final)
        fprintf(stderr, "[%s] %ld/%ld done in %s%s%s\n", p->what, done, p->total, elapsed,
                detail ? "  " : "", detail ? detail : "");
    else
        fprintf(stderr, "[%s] %ld/%ld  elapsed %s  ETA %s%s%s\n", p->what, done, p->total, elapsed,
                eta, detail ? "  " : "", detail ? detail : "");
    fflush(stderr);
}

int cs_name_index(const char *const *names, const char *name) {
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}
