/* Frame security: CCM* ENC-MIC-32 of a frame's payload with the MHR as authenticated data
 * (plc_mac_sec.h has the nonce), and the outgoing frame counter: never reused, persisted
 * through the save_frame_counter callback in reservations (plc_mac.h), refused at its end
 * (0xFFFFFFFF is never sent: a rekey is needed first, as 802.15.4 has it). */
#include <string.h>

#include "plc_mac_internal.h"

uint64_t mac_nonce_addr(const plc_mac_frame *f)
{
    return f->src.mode == PLC_MAC_ADDR_EXT ? f->src.ext
                                           : plc_mac_nonce_addr_short(f->src_pan, f->src.short_addr);
}

int mac_sec_next_counter(plc_mac *m, uint32_t *counter)
{
    const uint32_t c = m->pib.frame_counter;
    if (c == UINT32_MAX)
        return PLC_ERR_COUNTER_EXHAUSTED;
    if (m->cb.save_frame_counter && c >= m->fc_reserved) {
        const uint32_t room = UINT32_MAX - c;
        const uint32_t reserved = c + (m->pib.frame_counter_reserve < room
                                           ? m->pib.frame_counter_reserve : room);
        if (m->cb.save_frame_counter(m->cb.user, reserved) != PLC_OK)
            return PLC_ERR_COUNTER_SAVE;
        m->fc_reserved = reserved;
        m->cnt.counter_saves++;
    }
    *counter = c;
    m->pib.frame_counter = c + 1;
    return PLC_OK;
}

/* f carries the counter already; payload (len bytes) is encrypted in place, the MIC after it. */
int mac_sec_protect(plc_mac *m, plc_mac_frame *f, uint8_t *payload, size_t len)
{
    uint8_t hdr[PLC_MAC_MAX_HEADER], nonce[PLC_MAC_NONCE_LEN];
    size_t hl;
    int rc = plc_mac_header_encode(f, hdr, sizeof(hdr), &hl);
    if (rc != PLC_OK)
        return rc;
    plc_mac_nonce(mac_nonce_addr(f), f->frame_counter, f->sec_level, nonce);
    return plc_mac_sec_encrypt(m->sec, f->key_index, nonce, sizeof(nonce), hdr, hl, payload, len,
                               payload + len, PLC_MAC_MIC_LEN);
}

int mac_sec_unprotect(plc_mac *m, const plc_mac_frame *f, const uint8_t *mhr, uint8_t *out,
                      size_t *len)
{
    uint8_t nonce[PLC_MAC_NONCE_LEN];
    plc_mac_nonce(mac_nonce_addr(f), f->frame_counter, f->sec_level, nonce);
    const size_t n = f->payload_len - PLC_MAC_MIC_LEN;
    memcpy(out, f->payload, n);
    *len = n;
    return plc_mac_sec_decrypt(m->sec, f->key_index, nonce, sizeof(nonce), mhr, f->header_len,
                               out, n, f->payload + n, PLC_MAC_MIC_LEN);
}
