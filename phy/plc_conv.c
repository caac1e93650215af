#include "plc_conv.h"

#include "plc_phy_conventions.h"

void plc_conv_encode(const uint8_t *bits, size_t nbits, uint8_t *out)
{
    unsigned sr = 0; /* bit 6 = current input, bit 0 = input 6 steps ago */
    for (size_t k = 0; k < nbits + PLC_CONV_TAIL; k++) {
        unsigned in = k < nbits ? (bits[k] & 1u) : 0u;
        sr = (sr >> 1) | (in << 6);
        unsigned a = plc_conv_parity7(sr & PLC_CONV_G0), b = plc_conv_parity7(sr & PLC_CONV_G1);
        out[2 * k] = (uint8_t)(PLC_PHY_CONV_133_FIRST ? a : b);
        out[2 * k + 1] = (uint8_t)(PLC_PHY_CONV_133_FIRST ? b : a);
    }
}
