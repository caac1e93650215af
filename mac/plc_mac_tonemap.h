/* Link adaptation: the modulation and tone map a receiver asks its sender to use, from the
 * per-carrier SNR it measured on the sender's last frame.
 *
 * A tone-map group (6 carriers) is usable for a modulation when its mean SNR (in dB) reaches
 * the SNR at which that modulation loses 1% of 133-byte frames in AWGN on our receiver
 * (docs/modem.md: DBPSK 2.3, DQPSK 5.5, D8PSK 9.0 dB) plus a margin; the choice is the
 * modulation and groups with the highest raw rate (bits per carrier x carriers), ROBO on
 * all 36 carriers (9 bits per symbol) when nothing beats it. */
#ifndef PLC_MAC_TONEMAP_H
#define PLC_MAC_TONEMAP_H

#include <stdint.h>

#include "plc_phy_params.h"

#define PLC_MAC_TONEMAP_MARGIN_DB 2.0f

typedef struct plc_mac_link_choice {
    plc_modulation mod;
    uint8_t tonemap; /* 6 bits */
} plc_mac_link_choice;

/* SNR (dB) a modulation needs on a carrier, without margin (ROBO: -inf). */
float plc_mac_tonemap_required_snr(plc_modulation mod);
plc_mac_link_choice plc_mac_tonemap_choose(const float carrier_snr_db[PLC_PHY_CARRIERS],
                                           float margin_db);

#endif
