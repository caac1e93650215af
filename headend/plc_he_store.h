/* The head-end's store (SQLite, WAL, synchronous=FULL by default): the gateways, what each
 * delivered (readings, events) keyed by (gateway, epoch, seq) so a resend is never stored
 * twice, how far each gateway's epoch is held, the commands to gateways with their results,
 * and a log of refusals. Every batch goes in one transaction with its new high-water mark:
 * what is acknowledged is committed. */
#ifndef PLC_HE_STORE_H
#define PLC_HE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "plc_up_msg.h"

typedef struct plc_he_store plc_he_store;

plc_he_store *plc_he_store_open(const char *path, int durable, char *err, size_t errlen);
void plc_he_store_close(plc_he_store *s);
const char *plc_he_store_message(const plc_he_store *s);

/* A login: the gateway's row (made or updated) and what it holds of its epoch. */
int plc_he_store_login(plc_he_store *s, const Plc__Upstream__Login *l, int64_t now,
                       int64_t *gateway, uint64_t *acked);
/* A batch after its `after` check: items stored (resends ignored), the results put on their
 * commands, the epoch's mark moved to b->last, one transaction. *stored: new items. */
int plc_he_store_batch(plc_he_store *s, int64_t gateway, const Plc__Upstream__Batch *b,
                       int64_t now, unsigned *stored);
/* A result sent outside a batch (a repeated command's). */
int plc_he_store_result(plc_he_store *s, const char *gateway_name,
                        const Plc__Upstream__CommandResult *r, int64_t now);
/* One line of the refusal log (gateway may be ""). */
int plc_he_store_log(plc_he_store *s, int64_t now, const char *gateway, const char *text);

/* ---- commands ---- */
typedef struct plc_he_command {
    char id[48];
    char gateway[48];
    Plc__Upstream__Command__Kind kind;
    char meter[13];
    int has_arg;
    int64_t arg;
    unsigned timeout_s;
    char tariff[16];
    unsigned rate;              /* TARIFF: 1-4, 0 none */
    char port[16], asset[32];
    int has_eui;
    uint64_t eui;
    uint8_t psk[16];
    char status[12];            /* "new", "sent", "done", "failed" */
    int result_code;
    int repeated;
    char *result;               /* JSON (malloc'd by plc_he_store_command_get; free it) */
} plc_he_command;

/* Queues a new command (status "new"); PLC_ERR_ARG when the id is taken and !again; with
 * again an existing id is sent once more as it was (a deliberate replay). */
int plc_he_store_command_add(plc_he_store *s, const plc_he_command *c, int again, int64_t now);
/* 1 found (c filled, c->result to free), 0 not, or an error. */
int plc_he_store_command_get(plc_he_store *s, const char *id, plc_he_command *c);
/* The "new" commands of one gateway, oldest first (results not filled). */
int plc_he_store_commands_new(plc_he_store *s, const char *gateway, plc_he_command *out,
                              unsigned cap, unsigned *n);
int plc_he_store_command_sent(plc_he_store *s, const char *id, int64_t now);
/* A gateway logged in again: what was sent and not answered goes again. */
int plc_he_store_commands_resend(plc_he_store *s, const char *gateway);

/* The sqlite3 handle, for the read-only reports of plc-headend. */
struct sqlite3 *plc_he_store_db(plc_he_store *s);

#endif
