/* libFuzzer target: the upstream link's unpack and validation path (gateway/plc_up_msg.c),
 * which both plc-gatewayd and plc-headend run on every message off the network; and, for
 * inputs that start with '$' (never an Envelope's first byte), the GNSS receiver's NMEA
 * stream (gateway/plc_gw_nmea.c), whole and sentence by sentence. A message
 * that decodes must pass validation again after a pack and an unpack (nothing the checks
 * accepted may change meaning on the way), and one that does not must say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_gw_nmea.h"
#include "plc_up_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && data[0] == '$') {
        plc_gw_nmea r;
        memset(&r, 0, sizeof(r));
        plc_gw_fix fix;
        plc_gw_nmea_feed(&r, data, size, &fix);
        if (plc_gw_nmea_parse((const char *)data, size, &fix) == PLC_OK &&
            (fix.latitude < -90 || fix.latitude > 90 || fix.longitude < -180 || fix.longitude > 180))
            abort(); /* a fix out of range passed the checks */
        return 0;
    }
    int code = 1;
    char why[160] = "";
    plc_up_env *e = plc_up_decode(data, size, &code, why, sizeof(why));
    if (!e) {
        if (code >= 0 || !why[0])
            abort(); /* refused without a code or a reason */
        return 0;
    }
    if (code != PLC_OK)
        abort();
    uint8_t *buf;
    size_t len;
    if (plc_up_encode(e, &buf, &len) == PLC_OK) {
        plc_up_env *again = plc_up_decode(buf, len, &code, why, sizeof(why));
        if (!again || again->body_case != e->body_case)
            abort();
        plc_up_free(again);
        free(buf);
    }
    plc_up_free(e);
    return 0;
}
