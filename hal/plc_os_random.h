/* The Linux side's random source for the stack's platform hooks (EAP-PSK nonces): the
 * kernel's (getrandom), in the shape of plc_meter_modem_config.random and
 * plc_gw_modem_config.random (user unused). It blocks only until the kernel's pool is
 * first seeded at boot. */
#ifndef PLC_OS_RANDOM_H
#define PLC_OS_RANDOM_H

#include <stddef.h>
#include <stdint.h>

void plc_os_random(void *user, uint8_t *out, size_t n);

#endif
