#define _POSIX_C_SOURCE 200809L
#include "plc_he.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#include "plc_err.h"
#include "plc_he_store.h"
#include "plc_up_link.h"

#define MAX_ALLOWED 4096
#define MAX_PEERS 4096
#define COMMAND_POLL_MS 200

typedef struct allowed {
    char id[48];
    char key[41];
} allowed;

typedef struct peer {
    char id[48];
    int64_t gateway;     /* its row */
    uint64_t epoch, acked;
    int logged_in;
} peer;

struct plc_he {
    plc_he_config cfg;
    plc_he_store *store;
    void *ctx, *router, *zap;
    char pub[41], sec[41];
    allowed *allow;
    unsigned n_allow;
    time_t allow_mtime;
    int64_t allow_checked, next_commands;
    peer *peers;
    unsigned n_peers;
    struct { char key[41]; int64_t at; } refused[16];
    plc_he_stats st;
};

void plc_he_config_default(plc_he_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->bind, sizeof(c->bind), "tcp://127.0.0.1:7400");
    c->durable = 1;
}

int64_t plc_he_clock_ms(const plc_he *h)
{
    return plc_up_local_ms() + h->cfg.clock_offset_ms;
}

static int64_t now_s(const plc_he *h)
{
    return plc_he_clock_ms(h) / 1000;
}

/* ---- the allow-list ---- */
static int load_allow(plc_he *h, char *err, size_t errlen)
{
    FILE *f = fopen(h->cfg.allow_file, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot be read", h->cfg.allow_file);
        return PLC_ERR_IO;
    }
    unsigned n = 0, line_no = 0;
    char line[512];
    int rc = PLC_OK;
    while (rc == PLC_OK && fgets(line, sizeof(line), f)) {
        line_no++;
        char id[64], key[400];
        const char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == 0)
            continue;
        if (sscanf(p, "%63s %399s", id, key) != 2 || strlen(id) > PLC_UP_MAX_ID ||
            n == MAX_ALLOWED) {
            snprintf(err, errlen, "%s:%u: want \"GATEWAY_ID KEY\" (at most %d)",
                     h->cfg.allow_file, line_no, MAX_ALLOWED);
            rc = PLC_ERR_FORMAT;
            break;
        }
        allowed *a = &h->allow[n];
        snprintf(a->id, sizeof(a->id), "%s", id);
        uint8_t raw[32];
        if (strlen(key) == PLC_UP_Z85_LEN && zmq_z85_decode(raw, key)) {
            memcpy(a->key, key, 41);
        } else if (plc_up_key_read(key, a->key, NULL, err, errlen) != PLC_OK) {
            rc = PLC_ERR_FORMAT;
            break;
        }
        n++;
    }
    fclose(f);
    if (rc == PLC_OK)
        h->n_allow = n;
    return rc;
}

static void reload_allow(plc_he *h)
{
    struct stat sb;
    if (stat(h->cfg.allow_file, &sb) != 0 || sb.st_mtime == h->allow_mtime)
        return;
    char err[256];
    if (load_allow(h, err, sizeof(err)) == PLC_OK) {
        h->allow_mtime = sb.st_mtime;
        fprintf(stderr, "plc-headend: allow-list read again: %u gateways\n", h->n_allow);
    } else {
        fprintf(stderr, "plc-headend: %s (the old list stays)\n", err);
    }
}

static const allowed *allowed_key(const plc_he *h, const char *key)
{
    for (unsigned i = 0; i < h->n_allow; i++)
        if (strcmp(h->allow[i].key, key) == 0)
            return &h->allow[i];
    return NULL;
}

static int allowed_id(const plc_he *h, const char *id)
{
    for (unsigned i = 0; i < h->n_allow; i++)
        if (strcmp(h->allow[i].id, id) == 0)
            return 1;
    return 0;
}

/* ---- ZAP (RFC 27): every CURVE handshake of the context asks here ---- */
static void refused_log(plc_he *h, const char *key, const char *address)
{
    const int64_t now = plc_up_mono_ms();
    unsigned slot = 0;
    for (unsigned i = 0; i < 16; i++) {
        if (strcmp(h->refused[i].key, key) == 0) {
            if (now - h->refused[i].at < 60000)
                return; /* once a minute a key: a refused client keeps trying */
            slot = i;
            break;
        }
        if (h->refused[i].at < h->refused[slot].at)
            slot = i;
    }
    snprintf(h->refused[slot].key, sizeof(h->refused[slot].key), "%s", key);
    h->refused[slot].at = now;
    char t[160];
    snprintf(t, sizeof(t), "refused CURVE key %s from %.64s: not in the allow-list", key, address);
    fprintf(stderr, "plc-headend: %s\n", t);
    plc_he_store_log(h->store, now_s(h), "", t);
}

static void zap_serve(plc_he *h)
{
    for (;;) {
        char frame[7][256];
        size_t len[7];
        int n = 0, more = 1;
        while (more) {
            const int got = zmq_recv(h->zap, frame[n < 7 ? n : 6], 255, n ? 0 : ZMQ_DONTWAIT);
            if (got < 0)
                return;
            if (n < 7) {
                len[n] = (size_t)(got > 255 ? 255 : got);
                frame[n][len[n]] = 0;
            }
            n++;
            size_t sz = sizeof(more);
            zmq_getsockopt(h->zap, ZMQ_RCVMORE, &more, &sz);
        }
        const char *code = "400", *text = "not allowed", *user = "";
        char key[41] = "", address[256];
        snprintf(address, sizeof(address), "%s", n >= 4 ? frame[3] : "?");
        if (n >= 7 && strcmp(frame[5], "CURVE") == 0 && len[6] == 32) {
            zmq_z85_encode(key, (uint8_t *)frame[6], 32);
            const allowed *a = allowed_key(h, key);
            if (a) {
                code = "200";
                text = "OK";
                user = a->id;
            }
        } else {
            text = "CURVE only";
        }
        if (code[0] != '2') {
            h->st.refused_keys++;
            refused_log(h, key[0] ? key : "(none)", address);
        }
        zmq_send(h->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(h->zap, frame[1], n >= 2 ? len[1] : 0, ZMQ_SNDMORE);
        zmq_send(h->zap, code, 3, ZMQ_SNDMORE);
        zmq_send(h->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(h->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(h->zap, "", 0, 0);
    }
}

/* ---- peers ---- */
static peer *peer_of(plc_he *h, const char *id, int make)
{
    for (unsigned i = 0; i < h->n_peers; i++)
        if (strcmp(h->peers[i].id, id) == 0)
            return &h->peers[i];
    if (!make || h->n_peers == MAX_PEERS)
        return NULL;
    peer *p = &h->peers[h->n_peers++];
    memset(p, 0, sizeof(*p));
    snprintf(p->id, sizeof(p->id), "%s", id);
    return p;
}

static void reply(plc_he *h, const peer *p, plc_up_env *e)
{
    e->version = PLC_UP_VERSION;
    plc_up_send(h->router, (const uint8_t *)p->id, strlen(p->id), e);
}

static void reply_error(plc_he *h, const peer *p, int code, const char *text)
{
    Plc__Upstream__Error er = PLC__UPSTREAM__ERROR__INIT;
    er.code = code;
    er.text = (char *)text;
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_ERROR;
    e.error = &er;
    reply(h, p, &e);
}

static void on_login(plc_he *h, peer *p, const Plc__Upstream__Login *l)
{
    if (strcmp(l->gateway_id, p->id) != 0)
        return reply_error(h, p, PLC_ERR_UP_AUTH, "login: gateway_id is not the routing id");
    if (plc_he_store_login(h->store, l, now_s(h), &p->gateway, &p->acked) != PLC_OK ||
        plc_he_store_commands_resend(h->store, p->id) != PLC_OK) {
        fprintf(stderr, "plc-headend: store: %s\n", plc_he_store_message(h->store));
        return reply_error(h, p, PLC_ERR_STORE, "the head-end's store failed");
    }
    p->epoch = l->epoch;
    p->logged_in = 1;
    h->st.logins++;
    Plc__Upstream__LoginAck a = PLC__UPSTREAM__LOGIN_ACK__INIT;
    a.epoch = p->epoch;
    a.acked = p->acked;
    a.clock_ms = plc_he_clock_ms(h);
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_LOGIN_ACK;
    e.login_ack = &a;
    reply(h, p, &e);
    fprintf(stderr, "plc-headend: %s logged in (%s, %u meters), holds up to %llu\n", p->id,
            l->software, l->meters, (unsigned long long)p->acked);
}

static void on_batch(plc_he *h, peer *p, const Plc__Upstream__Batch *b)
{
    h->st.batches++;
    if (b->epoch != p->epoch)
        return reply_error(h, p, PLC_ERR_UP_INVALID, "batch: not the epoch logged in with");
    Plc__Upstream__Ack a = PLC__UPSTREAM__ACK__INIT;
    a.epoch = p->epoch;
    if (b->after > p->acked) { /* one before it was lost: from what we hold */
        h->st.gaps++;
        a.has_gap = a.gap = 1;
    } else if (b->last > p->acked) {
        unsigned stored = 0;
        if (plc_he_store_batch(h->store, p->gateway, b, now_s(h), &stored) != PLC_OK) {
            fprintf(stderr, "plc-headend: store: %s\n", plc_he_store_message(h->store));
            return; /* not acknowledged: the gateway sends it again */
        }
        const unsigned items = (unsigned)(b->n_reading + b->n_event + b->n_result);
        h->st.items += items;
        h->st.stored += stored;
        h->st.duplicates += items - stored;
        h->st.results += b->n_result;
        p->acked = b->last;
    } else {
        h->st.duplicates += b->n_reading + b->n_event + b->n_result;
    }
    a.upto = p->acked;
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_ACK;
    e.ack = &a;
    reply(h, p, &e);
}

static void on_message(plc_he *h, const char *id, const uint8_t *buf, size_t len)
{
    int code;
    char why[160];
    peer *p = peer_of(h, id, 1);
    if (!p)
        return;
    plc_up_env *e = plc_up_decode(buf, len, &code, why, sizeof(why));
    if (!e) {
        h->st.bad_messages++;
        fprintf(stderr, "plc-headend: %s: refused a message: %s\n", id, why);
        return reply_error(h, p, code, why);
    }
    const int body = e->body_case;
    if (!p->logged_in && body != PLC__UPSTREAM__ENVELOPE__BODY_LOGIN) {
        reply_error(h, p, PLC_ERR_UP_INVALID, "log in first");
    } else if (body == PLC__UPSTREAM__ENVELOPE__BODY_LOGIN) {
        on_login(h, p, e->login);
    } else if (body == PLC__UPSTREAM__ENVELOPE__BODY_HEARTBEAT) {
        h->st.heartbeats++;
        Plc__Upstream__HeartbeatAck a = PLC__UPSTREAM__HEARTBEAT_ACK__INIT;
        a.nonce = e->heartbeat->nonce;
        a.receive_ms = plc_he_clock_ms(h);
        a.transmit_ms = plc_he_clock_ms(h);
        plc_up_env r = PLC__UPSTREAM__ENVELOPE__INIT;
        r.body_case = PLC__UPSTREAM__ENVELOPE__BODY_HEARTBEAT_ACK;
        r.heartbeat_ack = &a;
        reply(h, p, &r);
    } else if (body == PLC__UPSTREAM__ENVELOPE__BODY_BATCH) {
        on_batch(h, p, e->batch);
    } else if (body == PLC__UPSTREAM__ENVELOPE__BODY_RESULT) {
        h->st.results++;
        if (plc_he_store_result(h->store, p->id, e->result, now_s(h)) != PLC_OK)
            fprintf(stderr, "plc-headend: store: %s\n", plc_he_store_message(h->store));
    } else if (body == PLC__UPSTREAM__ENVELOPE__BODY_ERROR) {
        fprintf(stderr, "plc-headend: %s refused a message: %s (%d)\n", p->id, e->error->text,
                e->error->code);
    } else {
        h->st.bad_messages++;
        reply_error(h, p, PLC_ERR_UP_INVALID, "a head-end's message sent to the head-end");
    }
    plc_up_free(e);
}

/* One message off the ROUTER: [routing id][payload], the payload's User-Id (from ZAP) must
 * be the routing id, and still allowed. */
static void read_router(plc_he *h)
{
    for (;;) {
        zmq_msg_t idm, m;
        zmq_msg_init(&idm);
        if (zmq_msg_recv(&idm, h->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&idm);
            return;
        }
        char id[64] = "";
        const size_t idn = zmq_msg_size(&idm);
        if (idn < sizeof(id))
            memcpy(id, zmq_msg_data(&idm), idn), id[idn] = 0;
        zmq_msg_close(&idm);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, h->router, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        int extra = zmq_msg_more(&m);
        const char *user = zmq_msg_gets(&m, "User-Id");
        if (!user || strcmp(user, id) != 0 || !allowed_id(h, id) || idn >= sizeof(id)) {
            h->st.id_mismatches++;
            char t[200];
            snprintf(t, sizeof(t), "dropped a message: routing id \"%s\" is not its key's "
                                   "gateway \"%s\" (or no longer allowed)",
                     id, user ? user : "");
            fprintf(stderr, "plc-headend: %s\n", t);
            plc_he_store_log(h->store, now_s(h), user ? user : "", t);
        } else if (extra) {
            h->st.bad_messages++;
        } else {
            on_message(h, id, zmq_msg_data(&m), zmq_msg_size(&m));
        }
        zmq_msg_close(&m);
        while (extra) { /* a gateway sends one frame: the rest is dropped */
            zmq_msg_init(&m);
            extra = zmq_msg_recv(&m, h->router, 0) >= 0 && zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
    }
}

/* ---- commands queued in the store ---- */
static void build_command(const plc_he_command *c, Plc__Upstream__Command *m,
                          Plc__Upstream__ArchiveEntry *a)
{
    plc__upstream__command__init(m);
    plc__upstream__archive_entry__init(a);
    m->id = (char *)c->id;
    m->kind = c->kind;
    m->meter = c->meter[0] ? (char *)c->meter : NULL;
    m->has_arg = c->has_arg;
    m->arg = c->arg;
    m->has_timeout_s = c->timeout_s != 0;
    m->timeout_s = c->timeout_s;
    m->tariff = c->tariff[0] ? (char *)c->tariff : NULL;
    m->has_rate = c->rate != 0;
    m->rate = c->rate;
    if (c->kind == PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD) {
        a->meter = (char *)c->meter;
        a->port = c->port[0] ? (char *)c->port : NULL;
        a->tariff = m->tariff;
        a->asset = c->asset[0] ? (char *)c->asset : NULL;
        a->has_eui = a->has_psk = c->has_eui;
        a->eui = c->eui;
        a->psk.data = (uint8_t *)c->psk;
        a->psk.len = c->has_eui ? 16 : 0;
        m->entry = a;
        m->meter = NULL;
    }
}

int plc_he_command_check(const plc_he_command *c, char *why, size_t cap)
{
    Plc__Upstream__Command m;
    Plc__Upstream__ArchiveEntry a;
    build_command(c, &m, &a);
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.version = PLC_UP_VERSION;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_COMMAND;
    e.command = &m;
    return plc_up_validate(&e, why, cap);
}

static void send_commands(plc_he *h)
{
    for (unsigned i = 0; i < h->n_peers; i++) {
        peer *p = &h->peers[i];
        if (!p->logged_in)
            continue;
        plc_he_command c[16];
        unsigned n = 0;
        if (plc_he_store_commands_new(h->store, p->id, c, 16, &n) != PLC_OK)
            return;
        for (unsigned k = 0; k < n; k++) {
            Plc__Upstream__Command m;
            Plc__Upstream__ArchiveEntry a;
            build_command(&c[k], &m, &a);
            plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
            e.version = PLC_UP_VERSION;
            e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_COMMAND;
            e.command = &m;
            if (plc_up_send(h->router, (const uint8_t *)p->id, strlen(p->id), &e) != PLC_OK) {
                p->logged_in = 0; /* EHOSTUNREACH (ROUTER_MANDATORY): it logs in again */
                break;
            }
            h->st.commands_sent++;
            plc_he_store_command_sent(h->store, c[k].id, now_s(h));
        }
    }
}

/* ---- life ---- */
plc_he *plc_he_create(const plc_he_config *cfg, char *err, size_t errlen)
{
    plc_he *h = calloc(1, sizeof(*h));
    if (!h || !(h->allow = calloc(MAX_ALLOWED, sizeof(*h->allow))) ||
        !(h->peers = calloc(MAX_PEERS, sizeof(*h->peers)))) {
        snprintf(err, errlen, "out of memory");
        plc_he_destroy(h);
        return NULL;
    }
    h->cfg = *cfg;
    struct stat sb;
    if (plc_up_key_read(cfg->key_file, h->pub, h->sec, err, errlen) != PLC_OK ||
        load_allow(h, err, errlen) != PLC_OK) {
        plc_he_destroy(h);
        return NULL;
    }
    if (stat(cfg->allow_file, &sb) == 0)
        h->allow_mtime = sb.st_mtime;
    if (!(h->store = plc_he_store_open(cfg->store, cfg->durable, err, errlen))) {
        plc_he_destroy(h);
        return NULL;
    }
    const int one = 1, zero = 0;
    const int64_t maxmsg = PLC_UP_MAX_MSG;
    const int hb = 10000, hb_timeout = 30000;
    h->ctx = zmq_ctx_new();
    /* the ZAP handler is bound before the CURVE socket so no handshake goes unasked */
    h->zap = h->ctx ? zmq_socket(h->ctx, ZMQ_REP) : NULL;
    h->router = h->ctx ? zmq_socket(h->ctx, ZMQ_ROUTER) : NULL;
    if (!h->zap || zmq_bind(h->zap, "inproc://zeromq.zap.01") != 0 || !h->router ||
        zmq_setsockopt(h->router, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(h->router, ZMQ_CURVE_SECRETKEY, h->sec, PLC_UP_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(h->router, ZMQ_ZAP_DOMAIN, "plc", 3) != 0 ||
        zmq_setsockopt(h->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(h->router, ZMQ_ROUTER_HANDOVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(h->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0 ||
        zmq_setsockopt(h->router, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
        zmq_setsockopt(h->router, ZMQ_HEARTBEAT_IVL, &hb, sizeof(hb)) != 0 ||
        zmq_setsockopt(h->router, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof(hb_timeout)) != 0 ||
        zmq_bind(h->router, cfg->bind) != 0) {
        snprintf(err, errlen, "%s: %s", cfg->bind, zmq_strerror(zmq_errno()));
        plc_he_destroy(h);
        return NULL;
    }
    zmq_setsockopt(h->zap, ZMQ_LINGER, &zero, sizeof(zero));
    return h;
}

void plc_he_destroy(plc_he *h)
{
    if (!h)
        return;
    if (h->router)
        zmq_close(h->router);
    if (h->zap)
        zmq_close(h->zap);
    if (h->ctx)
        zmq_ctx_term(h->ctx);
    plc_he_store_close(h->store);
    free(h->allow);
    free(h->peers);
    free(h);
}

void plc_he_poll(plc_he *h, int wait_ms)
{
    zmq_pollitem_t it[2] = {{h->zap, 0, ZMQ_POLLIN, 0}, {h->router, 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(it, 2, wait_ms) > 0) {
        zap_serve(h);
        read_router(h);
    }
    const int64_t now = plc_up_mono_ms();
    if (now - h->allow_checked >= 1000) {
        h->allow_checked = now;
        reload_allow(h);
    }
    if (now >= h->next_commands) {
        h->next_commands = now + COMMAND_POLL_MS;
        send_commands(h);
    }
}

void plc_he_get_stats(const plc_he *h, plc_he_stats *s)
{
    *s = h->st;
    s->gateways_up = 0;
    for (unsigned i = 0; i < h->n_peers; i++)
        s->gateways_up += h->peers[i].logged_in ? 1u : 0u;
}
