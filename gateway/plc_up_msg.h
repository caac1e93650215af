/* The upstream messages (gateway/proto/plc_upstream.proto, docs/upstream.md): packing, and
 * unpacking with validation. protobuf-c checks only the wire format (and 38% of mutated
 * messages still parse, ../shared/spec/gateway-upstream.md section 2), so every message that
 * comes off the network goes through plc_up_decode, which also checks what the fields mean:
 * the version, a body, lengths, addresses, sequence numbers. Linux side. */
#ifndef PLC_UP_MSG_H
#define PLC_UP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "plc_upstream.pb-c.h"

#define PLC_UP_VERSION 1
#define PLC_UP_MAX_MSG (4u << 20)  /* ZMQ_MAXMSGSIZE on both sides: 4 MiB */
#define PLC_UP_MAX_ITEMS 4096      /* items a batch may carry */
#define PLC_UP_MAX_ID 47           /* gateway and command ids, event kinds: characters */
#define PLC_UP_MAX_TEXT 4096       /* values, details */
#define PLC_UP_MAX_JSON (1u << 20) /* a command result (a topology is long) */

typedef Plc__Upstream__Envelope plc_up_env;

/* Unpacked and checked, or NULL with *code (PLC_ERR_UP_*) and why (one line). */
plc_up_env *plc_up_decode(const uint8_t *buf, size_t len, int *code, char *why, size_t cap);
void plc_up_free(plc_up_env *e);
/* What a decoded message must hold: PLC_OK or PLC_ERR_UP_* with why. */
int plc_up_validate(const plc_up_env *e, char *why, size_t cap);
/* Packed into a new buffer (free() it); PLC_ERR_NOMEM or PLC_ERR_LENGTH past the limit. */
int plc_up_encode(const plc_up_env *e, uint8_t **out, size_t *len);
/* An id (gateway, command): 1-47 printable ASCII characters, no space. */
int plc_up_id_ok(const char *s);
/* A 12-digit DL/T 645 address. */
int plc_up_meter_ok(const char *s);

#endif
