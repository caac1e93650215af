#include "plc_tx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_fec.h"
#include "plc_fft.h"
#include "plc_ofdm.h"
#include "plc_phy_conventions.h"
#include "plc_scrambler.h"

#define PLC_TX_PN_LEN 127

struct plc_tx {
    plc_tx_config cfg;
    plc_fec *fec;
    plc_fft *fft;
    uint8_t fch_idx[PLC_PHY_CARRIERS];
    unsigned fch_m;
    float cos16[16], sin16[16]; /* phases in units of pi/8 */
    uint8_t pn[PLC_TX_PN_LEN];  /* the 127-bit PN sequence, one bit per byte */
    uint8_t bits[PLC_PHY_MAX_FRAME_BITS];
    plc_cf freq[PLC_OFDM_N / 2 + 1];
    float time[PLC_OFDM_N];
};

void plc_tx_config_default(plc_tx_config *cfg)
{
    cfg->tonemask = PLC_TONEMASK_ALL;
    cfg->amplitude = 0.05f;
}

plc_tx *plc_tx_create(const plc_tx_config *cfg)
{
    plc_tx *tx = calloc(1, sizeof(*tx));
    if (!tx)
        return NULL;
    if (cfg)
        tx->cfg = *cfg;
    else
        plc_tx_config_default(&tx->cfg);
    tx->fch_m = plc_active_carriers(PLC_TONEMAP_ALL, tx->cfg.tonemask, tx->fch_idx);
    tx->fec = plc_fec_create();
    tx->fft = plc_fft_create(PLC_OFDM_N);
    if (!tx->fec || !tx->fft || tx->fch_m == 0 || !(tx->cfg.amplitude > 0.0f)) {
        plc_tx_destroy(tx);
        return NULL;
    }
    plc_scrambler s;
    plc_scrambler_init(&s, PLC_PHY_SCRAMBLER_SEED);
    plc_scrambler_bits(&s, tx->pn, PLC_TX_PN_LEN); /* zeros in: the sequence itself */
    for (int p = 0; p < 16; p++) {
        tx->cos16[p] = cosf(3.14159265f * p / 8);
        tx->sin16[p] = sinf(3.14159265f * p / 8);
    }
    return tx;
}

void plc_tx_destroy(plc_tx *tx)
{
    if (!tx)
        return;
    plc_fec_destroy(tx->fec);
    plc_fft_destroy(tx->fft);
    free(tx);
}

/* Sizes of the two parts for a request. */
static int tx_layouts(const plc_tx *tx, const plc_tx_request *req, size_t psdu_len,
                      plc_fch_layout *fl, plc_payload_layout *pl, unsigned *payload_m)
{
    int rc = plc_fch_layout_get(PLC_FCH_CENELEC_BITS, tx->fch_m, fl);
    if (rc)
        return rc;
    if (req->dt == PLC_DT_ACK || req->dt == PLC_DT_NACK) {
        memset(pl, 0, sizeof(*pl));
        return PLC_OK;
    }
    if (req->tonemap > PLC_TONEMAP_ALL)
        return PLC_ERR_ARG;
    *payload_m = plc_active_carriers(req->tonemap, tx->cfg.tonemask, NULL);
    if (*payload_m == 0)
        return PLC_ERR_ARG;
    return plc_payload_layout_for_psdu(req->mod, *payload_m, psdu_len, pl);
}

long plc_tx_frame_samples(const plc_tx *tx, const plc_tx_request *req, size_t psdu_len)
{
    if (!tx || !req)
        return PLC_ERR_ARG;
    plc_fch_layout fl;
    plc_payload_layout pl;
    unsigned m = 0;
    int rc = tx_layouts(tx, req, psdu_len, &fl, &pl, &m);
    if (rc)
        return rc;
    return (long)plc_ofdm_frame_samples(fl.symbols + pl.symbols);
}

/* IFFT of one symbol with the given carrier phases (pi/8 units, 255 = off). */
static void tx_body(plc_tx *tx, const uint8_t *phase)
{
    /* amplitude/2 on bins k and N-k (the real inverse mirrors them) */
    const float a = 0.5f * tx->cfg.amplitude;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        plc_cf *bin = &tx->freq[PLC_PHY_FIRST_CARRIER + c];
        if (phase[c] == 255) {
            *bin = (plc_cf){0.0f, 0.0f};
            continue;
        }
        *bin = (plc_cf){a * tx->cos16[phase[c]], a * tx->sin16[phase[c]]};
    }
    plc_fft_inverse(tx->fft, tx->freq, tx->time);
}

/* Adds a cyclic-prefixed, windowed data symbol starting at out[start]: the last CP
 * samples of the body, then the body, with the ramps on the first and last 8 samples. */
static void tx_add_symbol(const plc_tx *tx, float *out, size_t start)
{
    float *o = out + start;
    const float *cp = tx->time + PLC_OFDM_N - PLC_OFDM_CP;
    for (unsigned m = 0; m < PLC_OFDM_OVERLAP; m++)
        o[m] += plc_ofdm_ramp(m) * cp[m];
    for (unsigned m = PLC_OFDM_OVERLAP; m < PLC_OFDM_CP; m++)
        o[m] += cp[m];
    o += PLC_OFDM_CP;
    for (unsigned n = 0; n < PLC_OFDM_N - PLC_OFDM_OVERLAP; n++)
        o[n] += tx->time[n];
    for (unsigned n = PLC_OFDM_N - PLC_OFDM_OVERLAP; n < PLC_OFDM_N; n++)
        o[n] += plc_ofdm_ramp(PLC_OFDM_N - 1 - n) * tx->time[n];
}

int plc_tx_frame(plc_tx *tx, const plc_tx_request *req, const uint8_t *psdu, size_t psdu_len,
                 float *out, size_t max, size_t *written)
{
    if (!tx || !req || !out || !written)
        return PLC_ERR_ARG;
    const int is_ack = req->dt == PLC_DT_ACK || req->dt == PLC_DT_NACK;
    if (!is_ack && !psdu)
        return PLC_ERR_ARG;
    plc_fch_layout fl;
    plc_payload_layout pl;
    unsigned pm = 0;
    int rc = tx_layouts(tx, req, psdu_len, &fl, &pl, &pm);
    if (rc)
        return rc;
    const size_t total = plc_ofdm_frame_samples(fl.symbols + pl.symbols);
    if (total > max)
        return PLC_ERR_BUFFER;

    plc_fch f = {.pdc = req->pdc, .mod = (uint8_t)req->mod, .dt = req->dt,
                 .fl = (uint16_t)pl.fl, .tm = req->tonemap, .fcs = req->ack_fcs};
    uint8_t hdr[PLC_FCH_CENELEC_BYTES];
    if ((rc = plc_fch_pack_cenelec(&f, hdr)) != PLC_OK)
        return rc;
    memset(out, 0, total * sizeof(float));

    /* Preamble: 8 SYNCP, 1.5 SYNCM = -SYNCP, rising ramp at the start and falling ramp
     * under the first symbol's rising one. */
    uint8_t phase[PLC_PHY_CARRIERS];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++)
        phase[c] = ((tx->cfg.tonemask >> c) & 1u) ? plc_ofdm_syncp_phase[c] : 255;
    tx_body(tx, phase);
    for (unsigned n = 0; n < PLC_OFDM_PREAMBLE; n++) {
        float v = tx->time[n % PLC_OFDM_N];
        if (n >= PLC_OFDM_SYNCM_START)
            v = -v;
        if (n < PLC_OFDM_OVERLAP)
            v *= plc_ofdm_ramp(n);
        else if (n >= PLC_OFDM_PREAMBLE - PLC_OFDM_OVERLAP)
            v *= plc_ofdm_ramp(PLC_OFDM_PREAMBLE - 1 - n);
        out[n] = v;
    }
    /* Frame control header: DBPSK on every unmasked carrier, the first symbol referenced
     * to the SYNCP phases (= the last SYNCM symbol + pi), a 1 bit a pi shift, as the
     * vendor receiver rebuilds it: phase(s, c) = SYNCP(c) + pi (b_0(c) ^ ... ^ b_s(c)). */
    if ((rc = plc_fec_encode_fch(tx->fec, &fl, hdr, tx->bits, NULL)) != PLC_OK)
        return rc;
    unsigned sym = 0;
    for (unsigned s = 0; s < fl.symbols; s++, sym++) {
        for (unsigned i = 0; i < fl.carriers; i++) {
            unsigned c = tx->fch_idx[i];
            phase[c] = (uint8_t)((phase[c] + 8u * tx->bits[s * fl.carriers + i]) & 15);
        }
        tx_body(tx, phase);
        tx_add_symbol(tx, out, PLC_OFDM_SYMBOL_START(sym));
    }

    if (!is_ack) {
        if ((rc = plc_fec_encode_payload(tx->fec, &pl, psdu, psdu_len, tx->bits, NULL)))
            return rc;
        const unsigned bpc = plc_mode_get(req->mod)->bits_per_carrier;
        uint8_t idx[PLC_PHY_CARRIERS], active[PLC_PHY_CARRIERS] = {0};
        plc_active_carriers(req->tonemap, tx->cfg.tonemask, idx);
        for (unsigned i = 0; i < pm; i++)
            active[idx[i]] = 1;
        /* PN fill (Microchip ATPL250): the index into the 127-bit sequence starts where the
         * FCH left it (FCH symbols x carriers notched by the tone mask) and advances by bpc,
         * carrier 23 -> 58 in each symbol, on every carrier that is notched (the bits are
         * used up, nothing is sent) or off in the tone map (the bits are sent). */
        const unsigned notched = PLC_PHY_CARRIERS - tx->fch_m;
        unsigned pn_at = (fl.symbols * notched) % PLC_TX_PN_LEN;
        for (unsigned s = 0; s < pl.symbols; s++, sym++) {
            for (unsigned i = 0; i < pm; i++) {
                uint8_t b[3];
                for (unsigned k = 0; k < bpc; k++)
                    b[k] = tx->bits[((size_t)s * bpc + k) * pm + i];
                unsigned inc = 2u * plc_ofdm_map_phase(b, bpc);
                phase[idx[i]] = (uint8_t)((phase[idx[i]] + inc) & 15);
            }
            for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
                if (active[c])
                    continue;
                uint8_t b[3];
                for (unsigned k = 0; k < bpc; k++)
                    b[k] = tx->pn[(pn_at + k) % PLC_TX_PN_LEN];
                pn_at = (pn_at + bpc) % PLC_TX_PN_LEN;
                if (phase[c] != 255)
                    phase[c] = (uint8_t)((phase[c] + 2u * plc_ofdm_map_phase(b, bpc)) & 15);
            }
            tx_body(tx, phase);
            tx_add_symbol(tx, out, PLC_OFDM_SYMBOL_START(sym));
        }
    }
    *written = total;
    return PLC_OK;
}
