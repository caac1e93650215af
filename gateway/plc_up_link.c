#define _GNU_SOURCE
#include "plc_up_link.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "plc_err.h"

/* "name = value" of one line, trimmed; 0 when the line is not that. */
static int key_line(char *line, const char *name, char out[41])
{
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    const size_t n = strlen(name);
    if (strncmp(p, name, n) != 0)
        return 0;
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, " \t\r\n"); /* Z85 has "#": comments are whole lines */
    if (len != PLC_UP_Z85_LEN)
        return -1;
    memcpy(out, p, len);
    out[len] = 0;
    return 1;
}

int plc_up_key_read(const char *path, char pub[41], char sec[41], char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PLC_ERR_IO;
    }
    char line[256], p[41] = "", s[41] = "";
    int bad = 0;
    while (fgets(line, sizeof(line), f)) {
        const int a = key_line(line, "public", p), b = key_line(line, "secret", s);
        if (a < 0 || b < 0)
            bad = 1;
    }
    fclose(f);
    uint8_t raw[32];
    if (bad || (p[0] && !zmq_z85_decode(raw, p)) || (s[0] && !zmq_z85_decode(raw, s))) {
        snprintf(err, errlen, "%s: a key is not 40 Z85 characters", path);
        return PLC_ERR_FORMAT;
    }
    if (sec && !s[0]) {
        snprintf(err, errlen, "%s: no \"secret = \" line (a secret key file, plc-keygen's .key)",
                 path);
        return PLC_ERR_FORMAT;
    }
    if (s[0]) { /* the public key follows from the secret one */
        char derived[41];
        if (zmq_curve_public(derived, s) != 0) {
            snprintf(err, errlen, "%s: CURVE not available (%s)", path, zmq_strerror(errno));
            return PLC_ERR_UNSUPPORTED;
        }
        if (p[0] && strcmp(p, derived) != 0) {
            snprintf(err, errlen, "%s: the public key is not the secret key's", path);
            return PLC_ERR_FORMAT;
        }
        memcpy(p, derived, sizeof(derived));
    }
    if (!p[0]) {
        snprintf(err, errlen, "%s: no \"public = \" line", path);
        return PLC_ERR_FORMAT;
    }
    memcpy(pub, p, 41);
    if (sec)
        memcpy(sec, s, 41);
    return PLC_OK;
}

static int write_file(const char *path, int mode, const char *text, char *err, size_t errlen)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return PLC_ERR_IO;
    }
    const size_t n = strlen(text);
    const int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        snprintf(err, errlen, "%s: write failed", path);
        unlink(path);
        return PLC_ERR_IO;
    }
    return PLC_OK;
}

int plc_up_keygen(const char *base, char pub[41], char *err, size_t errlen)
{
    char p[41], s[41];
    if (zmq_curve_keypair(p, s) != 0) {
        snprintf(err, errlen, "CURVE not available (%s)", zmq_strerror(errno));
        return PLC_ERR_UNSUPPORTED;
    }
    char path[512], text[256];
    snprintf(path, sizeof(path), "%s.key", base);
    snprintf(text, sizeof(text),
             "# plcstack CURVE secret key (plc-keygen): keep it private\npublic = %s\nsecret = %s\n",
             p, s);
    int rc = write_file(path, 0600, text, err, errlen);
    if (rc != PLC_OK)
        return rc;
    snprintf(path, sizeof(path), "%s.pub", base);
    snprintf(text, sizeof(text), "# plcstack CURVE public key (plc-keygen)\npublic = %s\n", p);
    rc = write_file(path, 0644, text, err, errlen);
    if (rc == PLC_OK && pub)
        memcpy(pub, p, 41);
    return rc;
}

int plc_up_send(void *sock, const uint8_t *id, size_t id_len, const plc_up_env *e)
{
    uint8_t *buf;
    size_t len;
    int rc = plc_up_encode(e, &buf, &len);
    if (rc != PLC_OK)
        return rc;
    rc = PLC_OK;
    if (id && zmq_send(sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        rc = PLC_ERR_IO;
    if (rc == PLC_OK && zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0)
        rc = PLC_ERR_IO;
    free(buf);
    return rc;
}

int64_t plc_up_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t plc_up_local_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    return ((int64_t)ts.tv_sec + tm.tm_gmtoff) * 1000 + ts.tv_nsec / 1000000;
}
