#include "plc_mac_tonemap.h"

#include <math.h>

/* PER 1% at 133 bytes, AWGN, measured by bench_per (docs/per/per_awgn.dat) */
static const float required_db[4] = {-INFINITY, 2.3f, 5.5f, 9.0f};

float plc_mac_tonemap_required_snr(plc_modulation mod)
{
    return (unsigned)mod < 4 ? required_db[mod] : INFINITY;
}

plc_mac_link_choice plc_mac_tonemap_choose(const float carrier_snr_db[PLC_PHY_CARRIERS],
                                           float margin_db)
{
    enum { GROUPS = PLC_PHY_CARRIERS / PLC_PHY_TONEMAP_GROUP };
    float group_db[GROUPS];
    for (unsigned g = 0; g < GROUPS; g++) {
        float s = 0;
        for (unsigned c = 0; c < PLC_PHY_TONEMAP_GROUP; c++)
            s += carrier_snr_db[g * PLC_PHY_TONEMAP_GROUP + c];
        group_db[g] = s / PLC_PHY_TONEMAP_GROUP;
    }
    plc_mac_link_choice best = {PLC_MOD_ROBO, PLC_TONEMAP_ALL};
    unsigned best_rate = PLC_PHY_CARRIERS / PLC_PHY_ROBO_COPIES; /* bits per symbol */
    for (int mod = PLC_MOD_DBPSK; mod <= PLC_MOD_D8PSK; mod++) {
        unsigned map = 0, groups = 0;
        for (unsigned g = 0; g < GROUPS; g++)
            if (group_db[g] >= required_db[mod] + margin_db) {
                map |= 1u << g;
                groups++;
            }
        const unsigned rate = groups * PLC_PHY_TONEMAP_GROUP * (unsigned)mod;
        if (rate > best_rate) {
            best_rate = rate;
            best.mod = (plc_modulation)mod;
            best.tonemap = (uint8_t)map;
        }
    }
    return best;
}
