#include "plc_repetition.h"

#include <string.h>

void plc_repeat_bits(const uint8_t *in, size_t len, unsigned copies, uint8_t *out)
{
    for (unsigned c = 0; c < copies; c++)
        memcpy(out + (size_t)c * len, in, len);
}

void plc_repeat_combine(const int8_t *in, size_t len, unsigned copies, int8_t *out)
{
    for (size_t k = 0; k < len; k++) {
        int sum = 0;
        for (unsigned c = 0; c < copies; c++)
            sum += in[(size_t)c * len + k];
        out[k] = (int8_t)(sum > 127 ? 127 : (sum < -127 ? -127 : sum));
    }
}
