/* What both ends of the upstream link share: CURVE key files (plc-keygen writes them),
 * sending an Envelope on a ZeroMQ socket, and the clocks. Linux side (libzmq). */
#ifndef PLC_UP_LINK_H
#define PLC_UP_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "plc_up_msg.h"

#define PLC_UP_Z85_LEN 40 /* a 32-byte key in Z85 */

/* A key file: "public = Z85" and, in a secret key file, "secret = Z85" ('#' comments). pub
 * (and sec, when not NULL) get 41 bytes with the NUL; a secret file's public key is checked
 * against its secret. PLC_ERR_IO / PLC_ERR_FORMAT with err naming the file. */
int plc_up_key_read(const char *path, char pub[41], char sec[41], char *err, size_t errlen);
/* Writes base.key (secret, mode 0600) and base.pub. */
int plc_up_keygen(const char *base, char pub[41], char *err, size_t errlen);

/* Packs e and sends it, after a routing id frame when id is not NULL (a ROUTER's peer). */
int plc_up_send(void *sock, const uint8_t *id, size_t id_len, const plc_up_env *e);

/* Monotonic ms (link timers), and the local time in ms since 1970 (the area's clock
 * convention, gateway/plc_gw_store.h: local time, no zone applied). */
int64_t plc_up_mono_ms(void);
int64_t plc_up_local_ms(void);

#endif
