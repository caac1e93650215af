/* libFuzzer target for the DL/T 645 decoder, the value decoder, the load profile's records
 * and request (plc_dlt645_profile.h) and the stream extractor:
 * any input must give a frame or an error code, never a crash, a leak or a sanitizer report.
 * Built and run by scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plc_dlt645.h"
#include "plc_dlt645_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plc_dlt645_frame f;
    size_t used = 0;
    if (plc_dlt645_decode(data, size, &f, &used) == PLC_DLT645_OK) {
        /* a decoded frame encodes back to the same bytes (after its preamble) */
        uint8_t out[PLC_DLT645_MAX_FRAME];
        const int n = plc_dlt645_encode(&f, 0, out, sizeof(out));
        size_t pre = 0;
        while (data[pre] == 0xFE)
            pre++;
        if (n < 0 || (size_t)n != used - pre || memcmp(out, data + pre, (size_t)n) != 0)
            __builtin_trap();
        if (f.len >= 4) {
            plc_dlt645_value v;
            (void)plc_dlt645_value_decode(plc_dlt645_di_get(f.data), f.data + 4, f.len - 4u, &v);
        }
    }
    /* load profile records back to back, as a reply carries them: a record that decodes
     * encodes back to its bytes */
    for (size_t at = 0; at < size;) {
        plc_dlt645_profile_record r;
        size_t rec = 0;
        if (plc_dlt645_profile_record_decode(data + at, size - at, &r, &rec) != PLC_DLT645_OK)
            break;
        uint8_t out[256];
        const int n = plc_dlt645_profile_record_encode(&r, out, sizeof(out));
        if (rec == 0 || n < 0 || (size_t)n != rec || memcmp(out, data + at, rec) != 0)
            __builtin_trap();
        at += rec;
    }
    uint8_t classes;
    unsigned n;
    plc_dlt645_time from;
    (void)plc_dlt645_profile_parse_request(data, size, &classes, &n, &from);
    /* the extractor in chunks whose sizes the input's first byte picks */
    static plc_dlt645_extractor x;
    plc_dlt645_extractor_init(&x);
    const size_t chunk = size ? 1 + data[0] % 17 : 1;
    for (size_t i = 0; i < size;) {
        const size_t k = i + chunk <= size ? chunk : size - i;
        i += plc_dlt645_extractor_feed(&x, data + i, k);
        while (plc_dlt645_extractor_next(&x, &f))
            if (f.len > PLC_DLT645_MAX_DATA)
                __builtin_trap();
    }
    return 0;
}
