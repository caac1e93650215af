#include "plc_gw_upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "plc_err.h"
#include "plc_up_clock.h"
#include "plc_up_link.h"

#define MAX_WINDOW 16
#define LOGIN_TIMEOUT_MS 10000

typedef enum { LINK_DOWN, LINK_LOGIN, LINK_UP } link_state;

struct plc_gw_upstream {
    plc_gw_upstream_config cfg;
    plc_gw *gw;
    plc_gw_store *store;
    char software[64];
    char pub[41], sec[41], server[41];
    void *ctx, *sock, *mon;
    unsigned mon_n;             /* monitor endpoints are never reused */
    link_state state;
    int64_t next_connect, backoff, login_at, next_hb, last_sent_ok;
    int64_t last_heard;         /* the last message from the head-end */
    uint64_t hb_nonce;
    int64_t hb_t1;
    uint64_t epoch, sent, acked;
    uint64_t empty_sent, empty_changes; /* the outbox was empty after sent at these changes */
    uint64_t ring[MAX_WINDOW];  /* last seq of each batch in flight, oldest first */
    unsigned in_flight;
    plc_up_clock clock;
    plc_gw_outbox_item *items;
    struct {                    /* a batch's messages, `batch` of each (made at create) */
        Plc__Upstream__Reading *reading, **reading_p;
        Plc__Upstream__Event *event, **event_p;
        Plc__Upstream__CommandResult *result, **result_p;
    } msg;
    plc_gw_upstream_stats st;
};

static void say(const plc_gw_upstream *u, const char *what)
{
    fprintf(stderr, "upstream %s: %s\n", u->cfg.endpoint, what);
}

static void on_result(void *user, const plc_gw_result *r);

plc_gw_upstream *plc_gw_upstream_create(const plc_gw_upstream_config *cfg, plc_gw *gw,
                                        plc_gw_store *store, const char *software, char *err,
                                        size_t errlen)
{
    if (!cfg->endpoint[0] || !cfg->gateway_id[0] || cfg->batch == 0 ||
        cfg->batch > PLC_UP_MAX_ITEMS || cfg->window == 0 || cfg->window > MAX_WINDOW ||
        cfg->heartbeat_s == 0 || cfg->heartbeat_misses == 0 || cfg->backoff_min_ms == 0 ||
        cfg->backoff_max_ms < cfg->backoff_min_ms || cfg->ack_timeout_s == 0) {
        snprintf(err, errlen, "upstream: endpoint, gateway_id, batch 1-%d, window 1-%d, "
                              "heartbeat, back-off and ack timeout must be set",
                 PLC_UP_MAX_ITEMS, MAX_WINDOW);
        return NULL;
    }
    plc_gw_upstream *u = calloc(1, sizeof(*u));
    const size_t n = cfg->batch;
    if (!u || !(u->items = calloc(n, sizeof(*u->items))) ||
        !(u->msg.reading = calloc(n, sizeof(*u->msg.reading))) ||
        !(u->msg.reading_p = calloc(n, sizeof(*u->msg.reading_p))) ||
        !(u->msg.event = calloc(n, sizeof(*u->msg.event))) ||
        !(u->msg.event_p = calloc(n, sizeof(*u->msg.event_p))) ||
        !(u->msg.result = calloc(n, sizeof(*u->msg.result))) ||
        !(u->msg.result_p = calloc(n, sizeof(*u->msg.result_p)))) {
        plc_gw_upstream_destroy(u);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->cfg = *cfg;
    u->gw = gw;
    u->store = store;
    snprintf(u->software, sizeof(u->software), "%s", software);
    if (plc_up_key_read(cfg->key_file, u->pub, u->sec, err, errlen) != PLC_OK ||
        plc_up_key_read(cfg->server_key_file, u->server, NULL, err, errlen) != PLC_OK) {
        plc_gw_upstream_destroy(u);
        return NULL;
    }
    u->epoch = plc_gw_store_epoch(store);
    u->ctx = zmq_ctx_new();
    if (!u->epoch || !u->ctx) {
        snprintf(err, errlen, "upstream: %s", u->ctx ? "the store has no outbox epoch"
                                                     : "no ZeroMQ context");
        plc_gw_upstream_destroy(u);
        return NULL;
    }
    plc_up_clock_init(&u->clock, cfg->clock_samples, cfg->clock_step_ms);
    u->empty_changes = UINT64_MAX; /* not looked yet */
    u->backoff = cfg->backoff_min_ms;
    u->next_connect = plc_up_mono_ms();
    plc_gw_set_result_callback(gw, on_result, u);
    return u;
}

static void link_close(plc_gw_upstream *u)
{
    if (u->sock)
        zmq_close(u->sock);
    if (u->mon)
        zmq_close(u->mon);
    u->sock = u->mon = NULL;
    u->in_flight = 0;
}

void plc_gw_upstream_destroy(plc_gw_upstream *u)
{
    if (!u)
        return;
    if (u->gw)
        plc_gw_set_result_callback(u->gw, NULL, NULL);
    link_close(u);
    if (u->ctx)
        zmq_ctx_term(u->ctx);
    free(u->items);
    free(u->msg.reading);
    free(u->msg.reading_p);
    free(u->msg.event);
    free(u->msg.event_p);
    free(u->msg.result);
    free(u->msg.result_p);
    free(u);
}

static int send_env(plc_gw_upstream *u, plc_up_env *e)
{
    e->version = PLC_UP_VERSION;
    return u->sock ? plc_up_send(u->sock, NULL, 0, e) : PLC_ERR_IO;
}

/* ---- connecting ---- */
static void link_down(plc_gw_upstream *u, const char *why)
{
    if (u->state == LINK_UP)
        u->st.reconnects++;
    link_close(u);
    u->state = LINK_DOWN;
    u->st.up = 0;
    const int64_t now = plc_up_mono_ms();
    /* [R] again after backoff_min_ms (back to it at every login), doubling to backoff_max_ms */
    u->next_connect = now + u->backoff;
    u->backoff = u->backoff * 2 > u->cfg.backoff_max_ms ? u->cfg.backoff_max_ms : u->backoff * 2;
    char t[160];
    snprintf(t, sizeof(t), "%s; again in %lld ms", why, (long long)(u->next_connect - now));
    say(u, t);
}

static int set_opts(plc_gw_upstream *u)
{
    const int zero = 0, one = 1;
    const int hb = 1000 * (int)(u->cfg.heartbeat_s < 30 ? u->cfg.heartbeat_s : 30);
    const int hb_timeout = 3 * hb;
    const int64_t maxmsg = PLC_UP_MAX_MSG;
    const int rivl = (int)u->cfg.backoff_min_ms, rmax = (int)u->cfg.backoff_max_ms;
    void *s = u->sock;
    return zmq_setsockopt(s, ZMQ_ROUTING_ID, u->cfg.gateway_id, strlen(u->cfg.gateway_id)) ||
           zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, u->server, PLC_UP_Z85_LEN + 1) ||
           zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, u->pub, PLC_UP_Z85_LEN + 1) ||
           zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, u->sec, PLC_UP_Z85_LEN + 1) ||
           zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)) ||
           zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof(one)) ||
           zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &hb, sizeof(hb)) ||
           zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof(hb_timeout)) ||
           zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
           zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &rivl, sizeof(rivl)) ||
           zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &rmax, sizeof(rmax));
}

static void link_open(plc_gw_upstream *u)
{
    char ep[64];
    snprintf(ep, sizeof(ep), "inproc://plc-up-monitor-%u", u->mon_n++);
    u->sock = zmq_socket(u->ctx, ZMQ_DEALER);
    if (!u->sock || set_opts(u) != 0 ||
        zmq_socket_monitor(u->sock, ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
        !(u->mon = zmq_socket(u->ctx, ZMQ_PAIR)) || zmq_connect(u->mon, ep) != 0 ||
        zmq_connect(u->sock, u->cfg.endpoint) != 0) {
        char t[160];
        snprintf(t, sizeof(t), "cannot open the socket (%s)", zmq_strerror(zmq_errno()));
        link_down(u, t);
        return;
    }
    u->state = LINK_LOGIN;
    u->login_at = 0; /* the login goes once the handshake succeeded (IMMEDIATE) */
}

static void send_login(plc_gw_upstream *u)
{
    unsigned meters = 0;
    plc_gw_store_meters(u->store, 1, NULL, 0, &meters);
    Plc__Upstream__Login l = PLC__UPSTREAM__LOGIN__INIT;
    Plc__Upstream__Location loc = PLC__UPSTREAM__LOCATION__INIT;
    l.gateway_id = u->cfg.gateway_id;
    l.software = u->software;
    l.meters = meters;
    l.epoch = u->epoch;
    l.clock_ms = plc_gw_now_ms(u->gw);
    if (u->cfg.has_location) {
        loc.latitude = u->cfg.latitude;
        loc.longitude = u->cfg.longitude;
        loc.has_altitude_m = 1;
        loc.altitude_m = u->cfg.altitude_m;
        loc.source = u->cfg.location_source;
        l.location = &loc;
    }
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_LOGIN;
    e.login = &l;
    if (send_env(u, &e) == PLC_OK)
        u->login_at = plc_up_mono_ms();
}

/* The socket monitor (two frames: event u16 + value u32, then the endpoint): the
 * handshake's outcome and disconnections. */
static void read_monitor(plc_gw_upstream *u)
{
    while (u->mon) {
        uint8_t ev_frame[16], addr[256];
        const int n = zmq_recv(u->mon, ev_frame, sizeof(ev_frame), ZMQ_DONTWAIT);
        if (n < 0)
            return;
        int more = 0;
        size_t sz = sizeof(more);
        zmq_getsockopt(u->mon, ZMQ_RCVMORE, &more, &sz);
        if (more)
            zmq_recv(u->mon, addr, sizeof(addr), 0);
        if (n < 6)
            continue;
        uint16_t ev;
        uint32_t value;
        memcpy(&ev, ev_frame, 2);
        memcpy(&value, ev_frame + 2, 4);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && u->state == LINK_LOGIN) {
            send_login(u);
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            u->st.auth_failures++;
            char t[96];
            snprintf(t, sizeof(t), "the head-end refused our key (ZAP status %u)", value);
            link_down(u, t);
            return;
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            link_down(u, "CURVE handshake failed (is the head-end's key right?)");
            return;
        } else if (ev == ZMQ_EVENT_DISCONNECTED && u->state != LINK_DOWN) {
            link_down(u, "disconnected");
            return;
        }
    }
}

/* ---- sending the outbox ---- */
static void send_batches(plc_gw_upstream *u)
{
    while (u->state == LINK_UP && u->in_flight < u->cfg.window) {
        const uint64_t changes = plc_gw_store_changes(u->store);
        if (u->empty_sent == u->sent && u->empty_changes == changes)
            return; /* nothing stored since the outbox was found empty: no query */
        unsigned n = 0;
        if (plc_gw_store_outbox(u->store, u->sent, u->items, u->cfg.batch, &n) != PLC_OK) {
            say(u, plc_gw_store_message(u->store));
            return;
        }
        if (n == 0) {
            u->empty_sent = u->sent;
            u->empty_changes = changes;
            return;
        }
        Plc__Upstream__Reading *rd = u->msg.reading;
        Plc__Upstream__Event *ev = u->msg.event;
        Plc__Upstream__CommandResult *rs = u->msg.result;
        Plc__Upstream__Reading **rp = u->msg.reading_p;
        Plc__Upstream__Event **ep = u->msg.event_p;
        Plc__Upstream__CommandResult **sp = u->msg.result_p;
        Plc__Upstream__Batch b = PLC__UPSTREAM__BATCH__INIT;
        for (unsigned i = 0; i < n; i++) {
            plc_gw_outbox_item *it = &u->items[i];
            if (it->kind == PLC_GW_OUT_READING) {
                Plc__Upstream__Reading *r = &rd[b.n_reading];
                plc__upstream__reading__init(r);
                r->seq = it->seq;
                r->meter = it->meter;
                r->di = it->di;
                r->ts = it->ts;
                r->value = it->text;
                r->read_at = it->read_at;
                rp[b.n_reading++] = r;
            } else if (it->kind == PLC_GW_OUT_EVENT) {
                Plc__Upstream__Event *e = &ev[b.n_event];
                plc__upstream__event__init(e);
                e->seq = it->seq;
                e->ts = it->ts;
                e->kind = it->name;
                e->meter = it->meter;
                e->detail = it->text;
                ep[b.n_event++] = e;
            } else {
                Plc__Upstream__CommandResult *r = &rs[b.n_result];
                plc__upstream__command_result__init(r);
                r->has_seq = 1;
                r->seq = it->seq;
                r->id = it->name;
                r->status = it->status;
                r->json = it->text;
                sp[b.n_result++] = r;
            }
        }
        b.epoch = u->epoch;
        b.after = u->sent;
        b.last = u->items[n - 1].seq;
        b.reading = rp;
        b.event = ep;
        b.result = sp;
        plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
        e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_BATCH;
        e.batch = &b;
        if (send_env(u, &e) != PLC_OK)
            return; /* at the high-water mark: the next poll */
        if (u->in_flight == 0)
            u->last_sent_ok = plc_up_mono_ms();
        u->ring[u->in_flight++] = b.last;
        u->sent = b.last;
        u->st.batches++;
        u->st.items_sent += n;
    }
}

/* ---- what the head-end sends ---- */
static void send_result_now(plc_gw_upstream *u, const char *id, int status, const char *json,
                            int repeated)
{
    Plc__Upstream__CommandResult r = PLC__UPSTREAM__COMMAND_RESULT__INIT;
    r.id = (char *)id;
    r.status = status;
    r.json = (char *)json;
    r.has_repeated = 1;
    r.repeated = repeated;
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_RESULT;
    e.result = &r;
    send_env(u, &e);
}

/* From the concentrator: a repeated command's stored result goes at once (a new result
 * goes through the outbox). */
static void on_result(void *user, const plc_gw_result *r)
{
    plc_gw_upstream *u = user;
    if (r->repeated)
        send_result_now(u, r->id, r->status, r->json, 1);
}

static int find_meter(plc_gw_upstream *u, const char *addr, plc_gw_meter *out)
{
    unsigned n = 0;
    if (plc_gw_store_meters(u->store, 0, NULL, 0, &n) != PLC_OK)
        return PLC_ERR_STORE;
    plc_gw_meter *all = calloc(n ? n : 1, sizeof(*all));
    if (!all)
        return PLC_ERR_NOMEM;
    int rc = plc_gw_store_meters(u->store, 0, all, n, &n);
    if (rc == PLC_OK) {
        rc = PLC_ERR_UNKNOWN_METER;
        for (unsigned i = 0; i < n; i++)
            if (strcmp(all[i].addr, addr) == 0) {
                *out = all[i];
                rc = PLC_OK;
                break;
            }
    }
    free(all);
    return rc;
}

/* Every meter's route as JSON (read only: not logged, a repeat is answered afresh). */
static char *topology_json(plc_gw_upstream *u)
{
    unsigned n = 0;
    if (plc_gw_store_meters(u->store, 0, NULL, 0, &n) != PLC_OK)
        return NULL;
    plc_gw_meter *all = calloc(n ? n : 1, sizeof(*all));
    const size_t cap = 64 + (size_t)n * 128;
    char *out = malloc(cap);
    if (!all || !out || plc_gw_store_meters(u->store, 0, all, n, &n) != PLC_OK) {
        free(all);
        free(out);
        return NULL;
    }
    size_t len = (size_t)snprintf(out, cap, "{\"meters\":%u,\"routes\":[", n);
    for (unsigned i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len,
                                "%s{\"meter\":\"%s\",\"short\":%d,\"parent\":%d,\"hops\":%d,"
                                "\"lqi\":%d,\"last_seen\":%lld,\"in_archive\":%s}",
                                i ? "," : "", all[i].addr, all[i].short_addr, all[i].parent,
                                all[i].hops, all[i].lqi, (long long)all[i].last_seen,
                                all[i].in_archive ? "true" : "false");
    if (len < cap)
        snprintf(out + len, cap - len, "]}");
    free(all);
    return out;
}

/* The commands this side does itself, logged by id like the meters' ones. */
static void local_command(plc_gw_upstream *u, const Plc__Upstream__Command *c, const char *kind)
{
    plc_gw_command_row row;
    const int have = plc_gw_store_command_get(u->store, c->id, &row);
    if (have < 0)
        return send_result_now(u, c->id, PLC_ERR_STORE, "{\"error\":\"store\"}", 0);
    if (have) {
        u->st.commands_repeated++;
        if (strcmp(row.status, "queued") != 0)
            send_result_now(u, c->id, row.result_code, row.result, 1);
        return;
    }
    memset(&row, 0, sizeof(row));
    snprintf(row.id, sizeof(row.id), "%s", c->id);
    snprintf(row.meter, sizeof(row.meter), "%s", c->meter ? c->meter : "");
    snprintf(row.kind, sizeof(row.kind), "%s", kind);
    row.ts = row.done_at = plc_gw_now(u->gw);
    row.arg = c->has_arg ? c->arg : 0;
    int rc = PLC_OK;
    plc_gw_meter m;
    switch (c->kind) {
    case PLC__UPSTREAM__COMMAND__KIND__TIME_SYNC:
        rc = plc_gw_time_sync_now(u->gw);
        break;
    case PLC__UPSTREAM__COMMAND__KIND__SEARCH:
        plc_gw_search_open(u->gw, (unsigned)c->arg);
        break;
    case PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD: {
        const Plc__Upstream__ArchiveEntry *a = c->entry;
        if (find_meter(u, a->meter, &m) != PLC_OK)
            plc_gw_meter_default(&m);
        snprintf(m.addr, sizeof(m.addr), "%s", a->meter);
        snprintf(row.meter, sizeof(row.meter), "%s", a->meter);
        if (a->port)
            snprintf(m.port, sizeof(m.port), "%s", a->port);
        if (a->tariff)
            snprintf(m.tariff, sizeof(m.tariff), "%s", a->tariff);
        if (a->asset)
            snprintf(m.asset, sizeof(m.asset), "%s", a->asset);
        if (a->has_eui) {
            m.eui = a->eui;
            memcpy(m.psk, a->psk.data, 16);
        }
        m.in_archive = 1;
        rc = plc_gw_archive_put(u->gw, &m);
        break;
    }
    case PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_REMOVE:
        rc = find_meter(u, c->meter, &m);
        if (rc == PLC_OK && !m.in_archive)
            rc = PLC_ERR_UNKNOWN_METER;
        if (rc != PLC_OK)
            break;
        m.in_archive = 0; /* [R] kept as a row (its readings stay); not read any more */
        m.eui = 0;        /* the modem's key is left as it is */
        rc = plc_gw_archive_put(u->gw, &m);
        break;
    default:
        rc = PLC_ERR_ARG;
    }
    row.result_code = rc;
    snprintf(row.status, sizeof(row.status), "%s", rc == PLC_OK ? "done" : "failed");
    if (rc == PLC_OK)
        snprintf(row.result, sizeof(row.result), "{\"applied\":\"%s\"}", kind);
    else
        snprintf(row.result, sizeof(row.result), "{\"error\":\"%s\"}", plc_strerror(rc));
    if (plc_gw_store_command_put(u->store, &row) != PLC_OK) /* its result: the outbox */
        send_result_now(u, c->id, PLC_ERR_STORE, "{\"error\":\"store\"}", 0);
}

static void on_command(plc_gw_upstream *u, const Plc__Upstream__Command *c)
{
    static const struct { int up; int gw; const char *local; } map[] = {
        {PLC__UPSTREAM__COMMAND__KIND__READ, PLC_GW_CMD_READ, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__TRIP, PLC_GW_CMD_TRIP, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__CLOSE, PLC_GW_CMD_CLOSE, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__KEEP_ON, PLC_GW_CMD_KEEP_ON, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__KEEP_OFF, PLC_GW_CMD_KEEP_OFF, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__ALARM_ON, PLC_GW_CMD_ALARM_ON, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__ALARM_OFF, PLC_GW_CMD_ALARM_OFF, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__TOPUP, PLC_GW_CMD_TOPUP, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__SET_TIME, PLC_GW_CMD_SET_TIME, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__FIRMWARE, PLC_GW_CMD_FIRMWARE, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__TIME_SYNC, -1, "time-sync"},
        {PLC__UPSTREAM__COMMAND__KIND__TARIFF, PLC_GW_CMD_PRICE, NULL},
        {PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_ADD, -1, "archive-add"},
        {PLC__UPSTREAM__COMMAND__KIND__ARCHIVE_REMOVE, -1, "archive-remove"},
        {PLC__UPSTREAM__COMMAND__KIND__SEARCH, -1, "search"},
    };
    u->st.commands++;
    if (c->kind == PLC__UPSTREAM__COMMAND__KIND__TOPOLOGY) {
        char *json = topology_json(u);
        send_result_now(u, c->id, json ? PLC_OK : PLC_ERR_STORE, json ? json : "{}", 0);
        free(json);
        return;
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].up != (int)c->kind)
            continue;
        if (map[i].local)
            return local_command(u, c, map[i].local);
        plc_gw_command cmd = {.kind = (plc_gw_cmd_kind)map[i].gw, .arg = c->has_arg ? c->arg : 0,
                              .timeout_s = c->has_timeout_s ? c->timeout_s : 0};
        if (cmd.kind == PLC_GW_CMD_PRICE) {
            cmd.arg |= (int64_t)c->rate << 32;
            plc_gw_meter m;
            if (c->tariff && c->tariff[0] && find_meter(u, c->meter, &m) == PLC_OK) {
                snprintf(m.tariff, sizeof(m.tariff), "%s", c->tariff); /* the archive's name */
                m.eui = 0;
                plc_gw_archive_put(u->gw, &m);
            }
        }
        snprintf(cmd.id, sizeof(cmd.id), "%s", c->id);
        snprintf(cmd.meter, sizeof(cmd.meter), "%s", c->meter);
        const int rc = plc_gw_command_submit(u->gw, &cmd);
        if (rc != PLC_OK) { /* not taken (not logged): the head-end may send it again */
            char t[96];
            snprintf(t, sizeof(t), "{\"error\":\"%s\"}", plc_strerror(rc));
            send_result_now(u, c->id, rc, t, 0);
        }
        return;
    }
}

static void on_heartbeat_ack(plc_gw_upstream *u, const Plc__Upstream__HeartbeatAck *a)
{
    if (a->nonce != u->hb_nonce)
        return; /* an old one */
    u->st.heartbeat_acks++;
    int64_t offset;
    int step;
    if (plc_up_clock_sample(&u->clock, u->hb_t1, a->receive_ms, a->transmit_ms,
                            plc_gw_now_ms(u->gw), &offset, &step) != 1)
        return;
    u->st.last_offset_ms = offset;
    if (!step || !u->cfg.clock_sync)
        return;
    plc_gw_clock_step(u->gw, offset);
    u->st.clock_steps++;
    char d[96];
    snprintf(d, sizeof(d), "stepped %+lld ms to the head-end's clock", (long long)offset);
    plc_gw_store_event(u->store, plc_gw_now(u->gw), "clock-step", 0, d);
    say(u, d);
}

static void on_ack(plc_gw_upstream *u, const Plc__Upstream__Ack *a)
{
    if (a->epoch != u->epoch)
        return;
    if (a->upto > u->acked) {
        uint64_t gone = 0;
        if (plc_gw_store_outbox_ack(u->store, a->upto, &gone) != PLC_OK)
            say(u, plc_gw_store_message(u->store));
        u->st.items_acked += gone;
        u->acked = a->upto;
        if (u->sent < u->acked)
            u->sent = u->acked;
        unsigned k = 0;
        while (k < u->in_flight && u->ring[k] <= a->upto)
            k++;
        memmove(u->ring, u->ring + k, (u->in_flight - k) * sizeof(u->ring[0]));
        u->in_flight -= k;
        u->last_sent_ok = plc_up_mono_ms();
    }
    if (a->has_gap && a->gap) { /* the head-end missed a batch: from what it has */
        u->st.gaps++;
        u->sent = u->acked;
        u->in_flight = 0;
    }
}

static void on_message(plc_gw_upstream *u, const uint8_t *buf, size_t len)
{
    int code;
    char why[160];
    plc_up_env *e = plc_up_decode(buf, len, &code, why, sizeof(why));
    if (!e) {
        u->st.bad_messages++;
        char t[200];
        snprintf(t, sizeof(t), "refused a message: %s", why);
        say(u, t);
        /* a command that does not check, with an id we can name: its result says why, so
         * the head-end's command does not wait for ever */
        plc_up_env *raw = plc__upstream__envelope__unpack(NULL, len, buf);
        if (raw && raw->body_case == PLC__UPSTREAM__ENVELOPE__BODY_COMMAND &&
            plc_up_id_ok(raw->command->id)) {
            for (char *p = why; *p; p++)
                if (*p == '"' || *p == '\\')
                    *p = '\'';
            snprintf(t, sizeof(t), "{\"error\":\"%s\"}", why);
            send_result_now(u, raw->command->id, code, t, 0);
            plc_up_free(raw);
            return;
        }
        plc_up_free(raw);
        Plc__Upstream__Error er = PLC__UPSTREAM__ERROR__INIT;
        er.code = code;
        er.text = why;
        plc_up_env out = PLC__UPSTREAM__ENVELOPE__INIT;
        out.body_case = PLC__UPSTREAM__ENVELOPE__BODY_ERROR;
        out.error = &er;
        send_env(u, &out);
        return;
    }
    u->last_heard = plc_up_mono_ms();
    switch (e->body_case) {
    case PLC__UPSTREAM__ENVELOPE__BODY_LOGIN_ACK:
        if (u->state == LINK_LOGIN && e->login_ack->epoch == u->epoch) {
            const uint64_t held = e->login_ack->acked;
            uint64_t gone = 0;
            if (held > u->acked && plc_gw_store_outbox_ack(u->store, held, &gone) == PLC_OK)
                u->st.items_acked += gone;
            u->acked = u->sent = held > u->acked ? held : u->acked;
            u->in_flight = 0;
            u->state = LINK_UP;
            u->st.up = 1;
            u->st.logins++;
            u->backoff = u->cfg.backoff_min_ms;
            u->last_heard = plc_up_mono_ms();
            u->next_hb = u->last_heard + 1000; /* the first clock sample at once */
            char t[96];
            snprintf(t, sizeof(t), "logged in; the head-end holds up to %llu",
                     (unsigned long long)held);
            say(u, t);
        }
        break;
    case PLC__UPSTREAM__ENVELOPE__BODY_ACK:
        on_ack(u, e->ack);
        break;
    case PLC__UPSTREAM__ENVELOPE__BODY_HEARTBEAT_ACK:
        on_heartbeat_ack(u, e->heartbeat_ack);
        break;
    case PLC__UPSTREAM__ENVELOPE__BODY_COMMAND:
        if (u->state == LINK_UP)
            on_command(u, e->command);
        break;
    case PLC__UPSTREAM__ENVELOPE__BODY_ERROR: {
        char t[200];
        snprintf(t, sizeof(t), "the head-end refused a message: %s (%d)", e->error->text,
                 e->error->code);
        say(u, t);
        break;
    }
    default:
        u->st.bad_messages++; /* a gateway's message sent to us */
    }
    plc_up_free(e);
}

static void read_socket(plc_gw_upstream *u)
{
    while (u->sock) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, u->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        const int more = zmq_msg_more(&m);
        if (!more)
            on_message(u, zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
        while (more) { /* a head-end sends one frame: the rest is refused */
            zmq_msg_init(&m);
            const int got = zmq_msg_recv(&m, u->sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&m);
            zmq_msg_close(&m);
            if (!got) {
                u->st.bad_messages++;
                break;
            }
        }
    }
}

/* ---- time ---- */
static void timers(plc_gw_upstream *u)
{
    const int64_t now = plc_up_mono_ms();
    if (u->state == LINK_DOWN) {
        if (now >= u->next_connect)
            link_open(u);
        return;
    }
    if (u->state == LINK_LOGIN) {
        if (!u->login_at && now - u->next_connect > LOGIN_TIMEOUT_MS + u->backoff)
            link_down(u, "no connection");
        else if (u->login_at && now - u->login_at > LOGIN_TIMEOUT_MS)
            link_down(u, "no answer to the login");
        return;
    }
    /* heartbeat_misses heartbeats unanswered (and no other word): the link is dead */
    if (now - u->last_heard >
        1000ll * u->cfg.heartbeat_s * u->cfg.heartbeat_misses + 1000ll * u->cfg.ack_timeout_s) {
        link_down(u, "heartbeats unanswered");
        return;
    }
    if (now >= u->next_hb) {
        Plc__Upstream__Heartbeat h = PLC__UPSTREAM__HEARTBEAT__INIT;
        h.nonce = ++u->hb_nonce;
        h.transmit_ms = u->hb_t1 = plc_gw_now_ms(u->gw);
        plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
        e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_HEARTBEAT;
        e.heartbeat = &h;
        if (send_env(u, &e) == PLC_OK)
            u->st.heartbeats++;
        /* [R] the clock estimate's samples come 1 s apart, then heartbeat_s */
        const int64_t gap = u->st.heartbeats % u->clock.want ? 1000 : 1000ll * u->cfg.heartbeat_s;
        u->next_hb = now + (gap < 1000ll * u->cfg.heartbeat_s ? gap : 1000ll * u->cfg.heartbeat_s);
    }
    if (u->in_flight && now - u->last_sent_ok > 1000ll * u->cfg.ack_timeout_s) {
        u->st.resends++; /* unacknowledged: again from what the head-end holds */
        u->sent = u->acked;
        u->in_flight = 0;
    }
}

void plc_gw_upstream_poll(plc_gw_upstream *u, int wait_ms)
{
    timers(u);
    if (u->sock) {
        zmq_pollitem_t it[2] = {{u->sock, 0, ZMQ_POLLIN, 0}, {u->mon, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, u->mon ? 2 : 1, wait_ms) > 0) {
            read_monitor(u);
            read_socket(u);
        }
    } else if (wait_ms > 0) {
        zmq_poll(NULL, 0, wait_ms);
    }
    send_batches(u);
}

void plc_gw_upstream_set_location(plc_gw_upstream *u, double latitude, double longitude,
                                  double altitude_m, const char *source)
{
    const int first = strcmp(u->cfg.location_source, source) != 0;
    u->cfg.has_location = 1;
    u->cfg.latitude = latitude;
    u->cfg.longitude = longitude;
    u->cfg.altitude_m = altitude_m;
    snprintf(u->cfg.location_source, sizeof(u->cfg.location_source), "%s", source);
    if (first && u->state == LINK_UP)
        send_login(u); /* the head-end learns the first fix at once (a login again is harmless) */
}

void plc_gw_upstream_get_stats(plc_gw_upstream *u, plc_gw_upstream_stats *s)
{
    plc_gw_store_outbox_count(u->store, &u->st.outbox, NULL);
    *s = u->st;
}

int plc_gw_upstream_drained(plc_gw_upstream *u)
{
    uint64_t n = 1;
    return plc_gw_store_outbox_count(u->store, &n, NULL) == PLC_OK && n == 0;
}
