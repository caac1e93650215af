#include "plc_samplefile.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"

int plc_samplefile_parse_format(const char *name)
{
    if (!strcmp(name, "f32"))
        return PLC_FMT_F32;
    if (!strcmp(name, "s16"))
        return PLC_FMT_S16;
    if (!strcmp(name, "wav"))
        return PLC_FMT_WAV;
    return -1;
}

static void put_le(FILE *f, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xFF), f);
}

int plc_samplefile_write(const char *path, plc_sample_format fmt, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return PLC_ERR_IO;
    if (fmt == PLC_FMT_WAV) { /* 16-bit PCM */
        fwrite("RIFF", 1, 4, f);
        put_le(f, (uint32_t)(36 + 2 * n), 4);
        fwrite("WAVEfmt ", 1, 8, f);
        put_le(f, 16, 4);
        put_le(f, 1, 2);
        put_le(f, 1, 2);
        put_le(f, 400000, 4);
        put_le(f, 800000, 4);
        put_le(f, 2, 2);
        put_le(f, 16, 2);
        fwrite("data", 1, 4, f);
        put_le(f, (uint32_t)(2 * n), 4);
    }
    for (size_t i = 0; i < n; i++) {
        if (fmt == PLC_FMT_F32) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            put_le(f, u, 4);
        } else {
            float v = x[i] * 32768.0f; /* full scale 1.0 = 32768, as on reading */
            v = v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v);
            put_le(f, (uint32_t)(uint16_t)(int16_t)lrintf(v), 2);
        }
    }
    int bad = ferror(f);
    return fclose(f) || bad ? PLC_ERR_IO : PLC_OK;
}

/* Fails with a message. */
static int fail(char *err, size_t errlen, int rc, const char *msg, const char *path)
{
    snprintf(err, errlen, "%s: %s", msg, path);
    return rc;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads a WAV header up to the start of its data chunk: sample size, float or not, and the
 * data size in bytes. */
static int read_wav_header(FILE *f, int *bytes, int *is_float, uint64_t *data_bytes,
                           const char **why)
{
    uint8_t h[12], ch[8];
    int have_fmt = 0;
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) {
        *why = "not a WAV file";
        return PLC_ERR_FORMAT;
    }
    for (;;) {
        if (fread(ch, 1, 8, f) != 8) {
            *why = "WAV file has no data chunk";
            return PLC_ERR_FORMAT;
        }
        const uint32_t sz = le32(ch + 4);
        if (!memcmp(ch, "fmt ", 4)) {
            uint8_t fm[16];
            if (sz < 16 || fread(fm, 1, 16, f) != 16) {
                *why = "bad WAV fmt chunk";
                return PLC_ERR_FORMAT;
            }
            const unsigned tag = fm[0] | fm[1] << 8, chans = fm[2] | fm[3] << 8,
                           bits = fm[14] | fm[15] << 8;
            if (chans != 1 || !((tag == 1 && bits == 16) || (tag == 3 && bits == 32))) {
                *why = "WAV must be mono 16-bit PCM or 32-bit float";
                return PLC_ERR_FORMAT;
            }
            if (le32(fm + 4) != 400000) { /* another rate would be read as the wrong band */
                *why = "WAV sample rate must be 400000 Hz (the PHY's)";
                return PLC_ERR_FORMAT;
            }
            *bytes = (int)bits / 8;
            *is_float = tag == 3;
            have_fmt = 1;
            if (fseek(f, (long)(sz - 16 + (sz & 1)), SEEK_CUR)) {
                *why = "bad WAV fmt chunk";
                return PLC_ERR_FORMAT;
            }
        } else if (!memcmp(ch, "data", 4)) {
            if (!have_fmt) {
                *why = "WAV data before fmt";
                return PLC_ERR_FORMAT;
            }
            /* a writer that streamed may leave 0 or 0xFFFFFFFF: then the data runs to the end */
            *data_bytes = sz == 0 || sz == 0xFFFFFFFFu ? UINT64_MAX : sz;
            return PLC_OK;
        } else if (fseek(f, (long)(sz + (sz & 1)), SEEK_CUR)) {
            *why = "WAV file has no data chunk";
            return PLC_ERR_FORMAT;
        }
    }
}

int plc_samplefile_read(FILE *f, plc_sample_format fmt, float **out, size_t *count,
                        const char **why)
{
    int bytes = fmt == PLC_FMT_S16 ? 2 : 4, is_float = fmt == PLC_FMT_F32;
    uint64_t left = UINT64_MAX; /* bytes of samples: raw files run to the end */
    *why = NULL;
    if (fmt == PLC_FMT_WAV) {
        const int rc = read_wav_header(f, &bytes, &is_float, &left, why);
        if (rc != PLC_OK)
            return rc;
    }
    size_t cap = 1 << 16, n = 0;
    float *x = malloc(cap * sizeof(float));
    uint8_t p[4];
    size_t got = 0;
    int rc = PLC_OK;
    while (x && left >= (uint64_t)bytes && (got = fread(p, 1, (size_t)bytes, f)) == (size_t)bytes) {
        if (left != UINT64_MAX)
            left -= (uint64_t)bytes;
        if (n == cap) {
            float *nx = realloc(x, 2 * cap * sizeof(float));
            if (!nx) {
                rc = PLC_ERR_NOMEM;
                *why = "out of memory";
                break;
            }
            x = nx;
            cap *= 2;
        }
        if (is_float) {
            const uint32_t u = le32(p);
            memcpy(&x[n], &u, 4);
            if (!isfinite(x[n])) { /* a NaN would poison the receiver's averages */
                rc = PLC_ERR_FORMAT;
                *why = "a sample is not a finite number";
                break;
            }
            n++;
        } else {
            x[n++] = (float)(int16_t)(p[0] | p[1] << 8) / 32768.0f;
        }
        got = 0;
    }
    if (!x) {
        rc = PLC_ERR_NOMEM;
        *why = "out of memory";
    } else if (rc == PLC_OK && ferror(f)) {
        rc = PLC_ERR_IO;
        *why = "read error";
    } else if (rc == PLC_OK && got != 0) {
        rc = PLC_ERR_FORMAT;
        *why = "the file ends inside a sample (cut short?)";
    } else if (rc == PLC_OK && left != UINT64_MAX && left != 0) {
        rc = PLC_ERR_FORMAT;
        *why = left < (uint64_t)bytes ? "WAV data size is not a whole number of samples"
                                      : "WAV data chunk is shorter than its header says";
    }
    if (rc != PLC_OK) {
        free(x);
        return rc;
    }
    *out = x;
    *count = n;
    return PLC_OK;
}

int plc_samplefile_load(const char *path, plc_sample_format fmt, float **out, size_t *count,
                        char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, PLC_ERR_IO, strerror(errno), path);
    const char *why = NULL;
    const int rc = plc_samplefile_read(f, fmt, out, count, &why);
    fclose(f);
    return rc == PLC_OK ? PLC_OK : fail(err, errlen, rc, why, path);
}
