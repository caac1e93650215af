#include "plc_ofdm.h"

#include <math.h>

/* From the G3-PLC CENELEC-A SYNCP table (vectors/published/g3-cenelec-a-tables.txt). */
const uint8_t plc_ofdm_syncp_phase[PLC_PHY_CARRIERS] = {
    2, 1, 0, 15, 14, 12, 10, 7, 3, 15, 11, 6, 1, 11, 5, 14, 7, 15,
    7, 15, 6, 13, 2, 8, 13, 2, 6, 10, 13, 0, 2, 3, 5, 6, 7, 7,
};

float plc_ofdm_ramp(unsigned m)
{
    /* 0.5 - 0.5 cos(pi (m + 0.5) / 8): a table, so the transmitter needs no cosf per sample */
    static const float ramp[PLC_OFDM_OVERLAP] = {0.009607360f, 0.084265194f, 0.222214883f,
                                                 0.402454839f, 0.597545161f, 0.777785117f,
                                                 0.915734806f, 0.990392640f};
    return ramp[m];
}

unsigned plc_ofdm_map_phase(const uint8_t *bits, unsigned bpc)
{
    switch (bpc) {
    case 1: return bits[0] ? 4u : 0u;
    case 2: {
        static const unsigned q[4] = {0, 2, 6, 4}; /* 00 0, 01 pi/2, 10 3pi/2, 11 pi */
        return q[(bits[0] << 1) | bits[1]];
    }
    default: {
        unsigned g = (unsigned)(bits[0] << 2 | bits[1] << 1 | bits[2]);
        /* inverse Gray: the phase index j with j ^ (j >> 1) == g */
        unsigned j = g ^ (g >> 1) ^ (g >> 2);
        return j;
    }
    }
}
