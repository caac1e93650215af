/* libFuzzer target: the upstream link's unpack and validation path (gateway/plc_up_msg.c),
 * which both plc-gatewayd and plc-headend run on every message off the network. A message
 * that decodes must pass validation again after a pack and an unpack (nothing the checks
 * accepted may change meaning on the way), and one that does not must say why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_up_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
