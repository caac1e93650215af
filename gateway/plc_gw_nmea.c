#include "plc_gw_nmea.h"

#include <stdlib.h>
#include <string.h>

#include "plc_err.h"

#define MAX_FIELDS 20
#define NMEA_MAX 82 /* characters of a sentence, $ to LF (NMEA 0183) */

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A plain decimal number (digits, one point, a leading minus: no exponent, no inf or nan)
 * filling the whole field, at most 15 characters; 0 when empty or not one. */
static int number(const char *f, double *out)
{
    const size_t len = strlen(f);
    if (!len || len > 15 || strspn(f + (*f == '-'), "0123456789.") != len - (*f == '-') ||
        strchr(f, '.') != strrchr(f, '.'))
        return 0;
    char *end;
    *out = strtod(f, &end);
    return *end == 0;
}

/* ddmm.mmmm (or dddmm.mmmm) and its hemisphere as signed degrees. */
static int coordinate(const char *v, const char *hemi, int lon, double *out)
{
    double x;
    if (!number(v, &x) || x < 0 || x >= 18100 || strlen(hemi) != 1)
        return 0; /* (beyond 180 degrees: refused before the cast to int can overflow) */
    const double deg = (double)(int)(x / 100), min = x - deg * 100;
    if (min >= 60 || deg > (lon ? 180 : 90))
        return 0;
    double d = deg + min / 60;
    if (d > (lon ? 180 : 90))
        return 0;
    if (*hemi == (lon ? 'W' : 'S'))
        d = -d;
    else if (*hemi != (lon ? 'E' : 'N'))
        return 0;
    *out = d;
    return 1;
}

int plc_gw_nmea_parse(const char *s, size_t len, plc_gw_fix *fix)
{
    while (len && (s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    if (len < 9 || len > NMEA_MAX || s[0] != '$' || s[len - 3] != '*')
        return PLC_ERR_CRC;
    unsigned sum = 0;
    for (size_t i = 1; i < len - 3; i++) {
        if (s[i] < 0x20 || s[i] > 0x7E)
            return PLC_ERR_FORMAT;
        sum ^= (unsigned char)s[i];
    }
    const int hi = hex(s[len - 2]), lo = hex(s[len - 1]);
    if (hi < 0 || lo < 0 || (unsigned)(hi << 4 | lo) != sum)
        return PLC_ERR_CRC;
    char buf[NMEA_MAX + 1];
    memcpy(buf, s + 1, len - 4);
    buf[len - 4] = 0;
    char *f[MAX_FIELDS];
    unsigned n = 0;
    for (char *p = buf; n < MAX_FIELDS;) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = 0;
    }
    if (strlen(f[0]) != 5)
        return PLC_ERR_FORMAT;
    const char *type = f[0] + 2; /* after the talker */
    plc_gw_fix x = {0};
    if (strcmp(type, "GGA") == 0) {
        if (n < 10)
            return PLC_ERR_FORMAT;
        double q;
        if (!number(f[6], &q))
            return PLC_ERR_FORMAT;
        if (q == 0)
            return PLC_ERR_UNSUPPORTED; /* no fix */
        if (!coordinate(f[2], f[3], 0, &x.latitude) || !coordinate(f[4], f[5], 1, &x.longitude))
            return PLC_ERR_FORMAT;
        double sats;
        if (number(f[7], &sats) && sats >= 0 && sats <= 99)
            x.satellites = (unsigned)sats;
        x.has_altitude = number(f[9], &x.altitude_m);
    } else if (strcmp(type, "RMC") == 0) {
        if (n < 7)
            return PLC_ERR_FORMAT;
        if (strcmp(f[2], "A") != 0)
            return PLC_ERR_UNSUPPORTED; /* V: no fix */
        if (!coordinate(f[3], f[4], 0, &x.latitude) || !coordinate(f[5], f[6], 1, &x.longitude))
            return PLC_ERR_FORMAT;
    } else {
        return PLC_ERR_UNSUPPORTED;
    }
    *fix = x;
    return PLC_OK;
}

int plc_gw_nmea_feed(plc_gw_nmea *r, const uint8_t *data, size_t len, plc_gw_fix *fix)
{
    int got = 0;
    for (size_t i = 0; i < len; i++) {
        const char c = (char)data[i];
        if (c == '$') { /* a sentence starts: one in hand was cut short */
            if (r->n && r->line[0] == '$') {
                r->sentences++;
                r->bad++;
            }
            r->n = 0;
            r->overlong = 0;
        }
        if (c != '\n') {
            if (r->n < NMEA_MAX)
                r->line[r->n++] = c;
            else
                r->overlong = 1;
            continue;
        }
        if (r->n && r->line[0] == '$') {
            r->sentences++;
            plc_gw_fix x;
            const int rc = r->overlong ? PLC_ERR_FORMAT : plc_gw_nmea_parse(r->line, r->n, &x);
            if (rc == PLC_OK) {
                *fix = x;
                r->fixes++;
                got = 1;
            } else if (rc != PLC_ERR_UNSUPPORTED) {
                r->bad++;
            }
        }
        r->n = 0;
        r->overlong = 0;
    }
    return got;
}
