#include "plc_pcap.h"

#include <stdio.h>
#include <stdlib.h>

#include "plc_err.h"

struct plc_pcap {
    FILE *f;
    int failed;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; /* little endian: readers detect the order from the magic */
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

plc_pcap *plc_pcap_open(const char *path, uint32_t linktype)
{
    plc_pcap *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->f = fopen(path, "wb");
    if (!p->f) {
        free(p);
        return NULL;
    }
    uint8_t h[24];
    put32(h, 0xA1B2C3D4u);
    h[4] = 2; /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    put32(h + 8, 0);      /* GMT offset */
    put32(h + 12, 0);     /* timestamp accuracy */
    put32(h + 16, 65535); /* snapshot length */
    put32(h + 20, linktype);
    p->failed = fwrite(h, sizeof(h), 1, p->f) != 1;
    return p;
}

int plc_pcap_write(plc_pcap *p, uint64_t t_us, const uint8_t *data, size_t len)
{
    if (!p || (!data && len) || len > 65535)
        return PLC_ERR_ARG;
    uint8_t h[16];
    put32(h, (uint32_t)(t_us / 1000000u));
    put32(h + 4, (uint32_t)(t_us % 1000000u));
    put32(h + 8, (uint32_t)len);
    put32(h + 12, (uint32_t)len);
    if (fwrite(h, sizeof(h), 1, p->f) != 1 || (len && fwrite(data, len, 1, p->f) != 1))
        p->failed = 1;
    return p->failed ? PLC_ERR_IO : PLC_OK;
}

int plc_pcap_close(plc_pcap *p)
{
    if (!p)
        return PLC_ERR_ARG;
    const int bad = p->failed | (fclose(p->f) != 0);
    free(p);
    return bad ? PLC_ERR_IO : PLC_OK;
}
