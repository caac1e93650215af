#define _DEFAULT_SOURCE /* cfmakeraw */
#include "plc_gw_serial.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "plc_dlt645.h"

struct plc_gw_serial {
    int fd;
    plc_dlt645_extractor x;
};

static speed_t speed_of(unsigned baud)
{
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    default: return 0;
    }
}

int plc_gw_serial_settings(unsigned baud, char parity, struct termios *t)
{
    const speed_t sp = speed_of(baud);
    if (!sp || (parity != 'E' && parity != 'O' && parity != 'N'))
        return PLC_ERR_ARG;
    cfmakeraw(t);
    t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    t->c_cflag |= CS8 | CLOCAL | CREAD; /* 8 data bits, 1 stop bit */
    if (parity != 'N')
        t->c_cflag |= PARENB | (parity == 'O' ? PARODD : 0);
    t->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t->c_cc[VMIN] = 0;
    t->c_cc[VTIME] = 0;
    return cfsetispeed(t, sp) == 0 && cfsetospeed(t, sp) == 0 ? PLC_OK : PLC_ERR_ARG;
}

plc_gw_serial *plc_gw_serial_open(const char *path, unsigned baud, char parity, char *err,
                                  size_t errlen)
{
    struct termios want;
    if (plc_gw_serial_settings(baud, parity, &want) != PLC_OK) {
        snprintf(err, errlen, "%s: %u baud parity %c not supported", path, baud, parity);
        return NULL;
    }
    const int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        snprintf(err, errlen, "%s: not a serial line (%s)", path, strerror(errno));
        close(fd);
        return NULL;
    }
    plc_gw_serial_settings(baud, parity, &t);
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    plc_gw_serial *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->fd = fd;
    plc_dlt645_extractor_init(&s->x);
    return s;
}

void plc_gw_serial_close(plc_gw_serial *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s);
}

int plc_gw_serial_fd(const plc_gw_serial *s)
{
    return s->fd;
}

int plc_gw_serial_write(plc_gw_serial *s, const uint8_t *frame, size_t len)
{
    size_t done = 0;
    while (done < len) {
        const ssize_t n = write(s->fd, frame + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return PLC_ERR_IO; /* a full output queue at 2400 baud: the line is stuck */
        done += (size_t)n;
    }
    return PLC_OK;
}

int plc_gw_serial_poll(plc_gw_serial *s, plc_gw_serial_fn fn, void *user)
{
    int frames = 0;
    for (;;) {
        uint8_t buf[256];
        const ssize_t n = read(s->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EIO))
            break; /* nothing now (EIO: a pty whose other side is closed) */
        if (n < 0)
            return PLC_ERR_IO;
        if (n == 0)
            break;
        size_t off = 0;
        while (off < (size_t)n) {
            const size_t took = plc_dlt645_extractor_feed(&s->x, buf + off, (size_t)n - off);
            off += took;
            plc_dlt645_frame f;
            int got = 0;
            while (plc_dlt645_extractor_next(&s->x, &f)) {
                got = 1;
                uint8_t out[PLC_DLT645_MAX_FRAME];
                const int len = plc_dlt645_encode(&f, 0, out, sizeof(out));
                if (len > 0) {
                    fn(user, out, (size_t)len);
                    frames++;
                }
            }
            if (!took && !got) { /* the extractor could take nothing and gave nothing */
                s->x.garbage_bytes += s->x.len;
                s->x.len = 0;
            }
        }
    }
    return frames;
}

uint64_t plc_gw_serial_skipped(const plc_gw_serial *s)
{
    return s->x.garbage_bytes + s->x.bad_frames;
}
