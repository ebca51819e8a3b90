/* Layer lists: NeuroSim's NetWork.csv and the conv / linear layers of a built network. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/nn.h"
#include "xbar/xbar.h"

#define CSV_FIELDS      8
#define CSV_MAX_VALUE   1048576L
#define CSV_MAX_LAYERS  100000
#define CSV_MAX_KERNEL  181 /* K^2 fits the 16-bit position of a cell */
#define CSV_MAX_WEIGHTS 4294967296.0

static const char *const CSV_NAMES[CSV_FIELDS] = {"IFM_H", "IFM_W", "C",    "Kh",
                                                  "Kw",    "M",     "pool", "stride"};
static const char CSV_EXPECT[] = "8 comma-separated integers IFM_H,IFM_W,C,Kh,Kw,M,pool,stride";

static void trim(char **s, char **e) {
    while (*s < *e && isspace((unsigned char)**s)) (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

/* Parse one data line into v[8]; line_no for messages. */
static int parse_line(const char *path, long line_no, char *line, long v[CSV_FIELDS],
                      cs_error *err) {
    int nf = 1;
    for (char *q = line; *q; q++) nf += *q == ',';
    if (nf != CSV_FIELDS)
        return cs_fail(err, CS_ERR_INPUT, "%s:%ld: expected %s, got %d field%s", path, line_no,
                       CSV_EXPECT, nf, nf == 1 ? "" : "s");
    char *s = line;
    for (int f = 0; f < CSV_FIELDS; f++) {
        char *e = strchr(s, ',');
        if (!e) e = s + strlen(s);
        char *next = *e ? e + 1 : e;
        trim(&s, &e);
        char tok[64];
        size_t n = (size_t)(e - s) < sizeof tok - 1 ? (size_t)(e - s) : sizeof tok - 1;
        memcpy(tok, s, n);
        tok[n] = '\0';
        char *end = tok;
        errno = 0;
        long val = n ? strtol(tok, &end, 10) : 0;
        int min = f == 6 ? 0 : 1;
        if (n == 0 || *end != '\0' || (size_t)(e - s) >= sizeof tok - 1)
            return cs_fail(err, CS_ERR_INPUT,
                           "%s:%ld: field %d (%s): expected %s integer, got '%s'", path, line_no,
                           f + 1, CSV_NAMES[f], min ? "a positive" : "a non-negative", tok);
        if (errno == ERANGE || val < min || val > CSV_MAX_VALUE)
            return cs_fail(err, CS_ERR_INPUT,
                           "%s:%ld: field %d (%s): expected an integer in [%d, %ld], got %s", path,
                           line_no, f + 1, CSV_NAMES[f], min, CSV_MAX_VALUE, tok);
        v[f] = val;
        s = next;
    }
    if (v[6] > 1)
        return cs_fail(err, CS_ERR_INPUT, "%s:%ld: field 7 (pool): expected 0 or 1, got %ld", path,
                       line_no, v[6]);
    if (v[3] != v[4])
        return cs_fail(err, CS_ERR_INPUT, "%s:%ld: expected a square kernel (Kh = Kw), got %ldx%ld",
                       path, line_no, v[3], v[4]);
    if (v[3] > v[0] || v[4] > v[1])
        return cs_fail(err, CS_ERR_INPUT,
                       "%s:%ld: expected a kernel no larger than the input map, got a %ldx%ld "
                       "kernel on a %ldx%ld map",
                       path, line_no, v[3], v[4], v[0], v[1]);
    if (v[3] > CSV_MAX_KERNEL)
        return cs_fail(err, CS_ERR_INPUT, "%s:%ld: expected a kernel of at most %d, got %ld", path,
                       line_no, CSV_MAX_KERNEL, v[3]);
    if ((double)v[2] * (double)v[3] * (double)v[4] * (double)v[5] > CSV_MAX_WEIGHTS)
        return cs_fail(err, CS_ERR_INPUT, "%s:%ld: expected a layer of at most %.0f weights", path,
                       line_no, CSV_MAX_WEIGHTS);
    return CS_OK;
}

int xbar_read_network_csv(const char *path, xbar_layer **layers, int *n, cs_error *err) {
    *layers = NULL;
    *n = 0;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s (expected a NeuroSim NetWork.csv)",
                       path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return cs_fail(err, CS_ERR_INPUT, "%s: is a directory, expected a NeuroSim NetWork.csv",
                       path);
    FILE *f = fopen(path, "r");
    if (!f)
        return cs_fail(err, CS_ERR_INPUT, "%s: cannot open: %s (expected a NeuroSim NetWork.csv)",
                       path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long line_no = 0;
    int rc = CS_OK, count = 0, alloc = 0;
    xbar_layer *ls = NULL;
    while (rc == CS_OK && getline(&line, &cap, f) >= 0) {
        line_no++;
        char *s = line, *e = line + strlen(line);
        trim(&s, &e);
        *e = '\0';
        if (s == e || *s == '#') continue; /* blank lines and comments */
        long v[CSV_FIELDS];
        rc = parse_line(path, line_no, s, v, err);
        if (rc) break;
        if (count == CSV_MAX_LAYERS) {
            rc = cs_fail(err, CS_ERR_INPUT, "%s:%ld: expected at most %d layers", path, line_no,
                         CSV_MAX_LAYERS);
            break;
        }
        if (count == alloc) {
            int na = alloc ? 2 * alloc : 16;
            xbar_layer *nl = cs_realloc(ls, (size_t)na, sizeof *nl, err);
            if (!nl) {
                rc = CS_ERR_RUNTIME;
                break;
            }
            ls = nl;
            alloc = na;
        }
        xbar_layer *l = &ls[count];
        memset(l, 0, sizeof *l);
        snprintf(l->name, sizeof l->name, "L%d", count + 1);
        l->H = (int)v[0];
        l->W = (int)v[1];
        l->C = (int)v[2];
        l->K = (int)v[3];
        l->M = (int)v[5];
        l->stride = (int)v[7];
        /* same padding (K/2 on each side): Ho = ceil(H / stride) */
        l->Ho = (l->H - 1) / l->stride + 1;
        l->Wo = (l->W - 1) / l->stride + 1;
        count++;
    }
    if (rc == CS_OK && ferror(f))
        rc = cs_fail(err, CS_ERR_INPUT, "%s: read error: %s", path, strerror(errno));
    if (rc == CS_OK && count == 0)
        rc = cs_fail(err, CS_ERR_INPUT, "%s:%ld: expected lines of %s, got %s", path,
                     line_no > 0 ? line_no : 1, CSV_EXPECT,
                     line_no > 0 ? "no layer" : "an empty file");
    free(line);
    fclose(f);
    if (rc) {
        free(ls);
        return rc;
    }
    *layers = ls;
    *n = count;
    return CS_OK;
}

int xbar_layers_from_net(const struct nn_net *net, xbar_layer **layers, int *n, cs_error *err) {
    *layers = NULL;
    *n = 0;
    int count = 0;
    for (int i = 0; i < net->n_layers; i++)
        count += net->layers[i].kind == NN_CONV || net->layers[i].kind == NN_LINEAR;
    xbar_layer *ls = cs_alloc((size_t)count, sizeof *ls, err);
    if (!ls) return CS_ERR_RUNTIME;
    int k = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const nn_layer *nl = &net->layers[i];
        if (nl->kind != NN_CONV && nl->kind != NN_LINEAR) continue;
        xbar_layer *l = &ls[k++];
        snprintf(l->name, sizeof l->name, "%s", nl->name);
        l->C = nl->C;
        l->M = nl->M;
        l->K = nl->K;
        l->stride = nl->stride;
        l->H = nl->H;
        l->W = nl->W;
        l->Ho = nl->Ho;
        l->Wo = nl->Wo;
    }
    *layers = ls;
    *n = count;
    return CS_OK;
}
