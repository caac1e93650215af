#include "plc_pertable.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plc_err.h"

int plc_pertable_load(plc_pertable *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open PER table %s (scripts/per.sh writes it)", path);
        return PLC_ERR_IO;
    }
    char why[200] = "";
    const int rc = plc_pertable_read(t, f, why, sizeof(why));
    fclose(f);
    if (rc != PLC_OK)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

int plc_pertable_read(plc_pertable *t, FILE *f, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    char line[256];
    plc_pertable_curve *cur = NULL;
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "line %d: not text or longer than %zu characters", lineno,
                     sizeof(line) - 2);
            return PLC_ERR_FORMAT;
        }
        char mode[16], noise[32];
        unsigned len;
        double snr, per;
        long frames, errors, fals;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (line[0] == '"') { /* a block header; only AWGN curves are kept */
            cur = NULL;
            if (sscanf(line, "\"%15s %u B %31[^\"]\"", mode, &len, noise) == 3 &&
                (!strcmp(noise, "awgn") || !strcmp(noise, "awgn-sco")) &&
                plc_mode_parse(mode) >= 0) {
                if (t->n == PLC_PERTABLE_MAX_CURVES) {
                    snprintf(err, errlen, "line %d: more than %d AWGN curves", lineno,
                             PLC_PERTABLE_MAX_CURVES);
                    return PLC_ERR_FORMAT;
                }
                cur = &t->curve[t->n++];
                cur->mod = (plc_modulation)plc_mode_parse(mode);
                cur->len = len;
            }
            continue;
        }
        if (sscanf(line, "%lf %ld %ld %lf %ld", &snr, &frames, &errors, &per, &fals) != 5) {
            snprintf(err, errlen, "line %d: expected 'snr frames errors per false'", lineno);
            return PLC_ERR_FORMAT;
        }
        if (!cur || frames <= 0)
            continue; /* a curve not kept, or a point nothing was measured at */
        if (!(per >= 0.0 && per <= 1.0) || !isfinite(snr) ||
            (cur->n && !(snr > cur->snr_db[cur->n - 1]))) {
            snprintf(err, errlen, "line %d: PER outside 0..1 or SNR not increasing", lineno);
            return PLC_ERR_FORMAT;
        }
        if (cur->n == PLC_PERTABLE_MAX_POINTS) {
            snprintf(err, errlen, "line %d: more than %d points in a curve", lineno,
                     PLC_PERTABLE_MAX_POINTS);
            return PLC_ERR_FORMAT;
        }
        cur->snr_db[cur->n] = snr;
        cur->per[cur->n++] = per;
    }
    if (t->n == 0) {
        snprintf(err, errlen, "holds no AWGN curve");
        return PLC_ERR_FORMAT;
    }
    return PLC_OK;
}

static double curve_per(const plc_pertable_curve *c, double snr)
{
    if (c->n == 0 || snr < c->snr_db[0])
        return 1.0;
    for (unsigned i = 1; i < c->n; i++) {
        if (snr <= c->snr_db[i]) {
            /* log-linear between points; a measured 0 counts as half an error */
            const double floor_per = 0.5 / 1000.0;
            const double a = log10(fmax(c->per[i - 1], floor_per));
            const double b = log10(fmax(c->per[i], floor_per));
            const double u = (snr - c->snr_db[i - 1]) / (c->snr_db[i] - c->snr_db[i - 1]);
            const double p = pow(10.0, a + u * (b - a));
            return c->per[i] == 0 && u == 1.0 ? 0.0 : p;
        }
    }
    return c->per[c->n - 1] == 0 ? 0.0 : c->per[c->n - 1];
}

/* The measured sizes of a mode just below and just above len (NULL where none). */
static void bracket(const plc_pertable *t, plc_modulation mod, size_t len,
                    const plc_pertable_curve **lo, const plc_pertable_curve **hi)
{
    *lo = *hi = NULL;
    for (unsigned i = 0; i < t->n; i++) {
        const plc_pertable_curve *c = &t->curve[i];
        if (c->mod != mod)
            continue;
        if (c->len <= len && (!*lo || c->len > (*lo)->len))
            *lo = c;
        if (c->len >= len && (!*hi || c->len < (*hi)->len))
            *hi = c;
    }
}

double plc_pertable_per(const plc_pertable *t, plc_modulation mod, size_t len, double sinr_db)
{
    const plc_pertable_curve *lo, *hi;
    bracket(t, mod, len, &lo, &hi);
    if (!lo && !hi)
        return 1.0;
    if (!lo || !hi || lo == hi)
        return curve_per(lo ? lo : hi, sinr_db);
    /* between two sizes: log(PER) linear in the length */
    const double a = curve_per(lo, sinr_db), b = curve_per(hi, sinr_db);
    if (a <= 0.0 || b <= 0.0 || a >= 1.0 || b >= 1.0) {
        const double u = (double)(len - lo->len) / (double)(hi->len - lo->len);
        return a + u * (b - a);
    }
    const double u = (double)(len - lo->len) / (double)(hi->len - lo->len);
    return pow(10.0, log10(a) + u * (log10(b) - log10(a)));
}

double plc_pertable_floor_db(const plc_pertable *t, plc_modulation mod, size_t len)
{
    const plc_pertable_curve *lo, *hi;
    bracket(t, mod, len, &lo, &hi);
    double floor_db = INFINITY;
    if (lo && lo->n)
        floor_db = lo->snr_db[0];
    if (hi && hi->n && hi->snr_db[0] < floor_db)
        floor_db = hi->snr_db[0];
    return floor_db;
}
