#include "plc_samplefile.h"

#include <errno.h>
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
            float v = x[i] * 32767.0f;
            v = v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v);
            put_le(f, (uint32_t)(uint16_t)(int16_t)v, 2);
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

int plc_samplefile_load(const char *path, plc_sample_format fmt, float **out, size_t *count,
                        char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, PLC_ERR_IO, strerror(errno), path);
    int bytes = fmt == PLC_FMT_S16 ? 2 : 4, is_float = fmt == PLC_FMT_F32;
    if (fmt == PLC_FMT_WAV) {
        uint8_t h[12], ch[8];
        int have_fmt = 0;
        if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) {
            fclose(f);
            return fail(err, errlen, PLC_ERR_FORMAT, "not a WAV file", path);
        }
        for (;;) {
            if (fread(ch, 1, 8, f) != 8) {
                fclose(f);
                return fail(err, errlen, PLC_ERR_FORMAT, "WAV file has no data chunk", path);
            }
            uint32_t sz = ch[4] | ch[5] << 8 | ch[6] << 16 | (uint32_t)ch[7] << 24;
            if (!memcmp(ch, "fmt ", 4)) {
                uint8_t fm[16];
                if (sz < 16 || fread(fm, 1, 16, f) != 16) {
                    fclose(f);
                    return fail(err, errlen, PLC_ERR_FORMAT, "bad WAV fmt chunk", path);
                }
                unsigned tag = fm[0] | fm[1] << 8, chans = fm[2] | fm[3] << 8,
                         bits = fm[14] | fm[15] << 8;
                if (chans != 1 || !((tag == 1 && bits == 16) || (tag == 3 && bits == 32))) {
                    fclose(f);
                    return fail(err, errlen, PLC_ERR_FORMAT, "WAV must be mono 16-bit PCM or 32-bit float", path);
                }
                bytes = (int)bits / 8;
                is_float = tag == 3;
                have_fmt = 1;
                fseek(f, (long)(sz - 16 + (sz & 1)), SEEK_CUR);
            } else if (!memcmp(ch, "data", 4)) {
                if (!have_fmt) {
                    fclose(f);
                    return fail(err, errlen, PLC_ERR_FORMAT, "WAV data before fmt", path);
                }
                break;
            } else {
                fseek(f, (long)(sz + (sz & 1)), SEEK_CUR);
            }
        }
    }
    size_t cap = 1 << 16, n = 0;
    float *x = malloc(cap * sizeof(float));
    uint8_t p[4];
    while (x && fread(p, 1, (size_t)bytes, f) == (size_t)bytes) {
        if (n == cap) {
            float *nx = realloc(x, 2 * cap * sizeof(float));
            if (!nx) {
                free(x);
                x = NULL;
                break;
            }
            x = nx;
            cap *= 2;
        }
        if (is_float) {
            uint32_t u = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&x[n++], &u, 4);
        } else {
            x[n++] = (float)(int16_t)(p[0] | p[1] << 8) / 32768.0f;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!x)
        return fail(err, errlen, PLC_ERR_NOMEM, "out of memory", path);
    if (bad) {
        free(x);
        return fail(err, errlen, PLC_ERR_IO, "read error", path);
    }
    *out = x;
    *count = n;
    return PLC_OK;
}

