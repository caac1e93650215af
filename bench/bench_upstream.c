/* The upstream link at scale, on loopback with CURVE (issue 18's targets):
 *  1. ingest: plc-headend's server (headend/plc_he, its own thread) and G simulated gateways
 *     (DEALERs with their own CURVE keys in this thread), each logging in and sending its
 *     readings in batches of 1000, 4 in flight, until every one is acknowledged; the store
 *     on disk, WAL, synchronous FULL (a batch is acknowledged once it is committed). The
 *     peer: the same rows inserted straight into the same schema with the same transactions
 *     (no network, no protobuf, no checks): ratio = head-end / peer.
 *  2. drain: a concentrator's store holding 1000 meters x 96 load-profile points (one
 *     transaction per meter, the head-end unreachable for the day), then the link up
 *     (gateway/plc_gw_upstream): seconds until the outbox is empty, and every reading at the
 *     head-end exactly once.
 *   bench_upstream [gateways] [readings per gateway] [meters] [points]   (100 20000 1000 96)
 * One JSON line at the end. Warm-up: every gateway logs in and has one batch acknowledged
 * before the timing starts. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_clock.h"
#include "plc_err.h"
#include "plc_gw.h"
#include "plc_gw_store.h"
#include "plc_gw_upstream.h"
#include "plc_he.h"
#include "plc_he_store.h"
#include "plc_loop.h"
#include "plc_up_link.h"
#include "plc_up_msg.h"

#define BATCH 1000
#define WINDOW 4

static char dir[128];
static volatile int he_stop;
static double he_cpu_s;

static void *he_thread(void *arg)
{
    plc_he *h = arg;
    while (!he_stop)
        plc_he_poll(h, 20);
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    he_cpu_s = ts.tv_sec + ts.tv_nsec * 1e-9;
    return NULL;
}

static plc_he *start_headend(const char *store, const char *ep, pthread_t *t)
{
    plc_he_config c;
    plc_he_config_default(&c);
    snprintf(c.bind, sizeof(c.bind), "%s", ep);
    snprintf(c.key_file, sizeof(c.key_file), "%s/he.key", dir);
    snprintf(c.allow_file, sizeof(c.allow_file), "%s/allow.txt", dir);
    snprintf(c.store, sizeof(c.store), "%s", store);
    char err[512];
    plc_he *h = plc_he_create(&c, err, sizeof(err));
    if (!h) {
        fprintf(stderr, "bench_upstream: head-end: %s\n", err);
        exit(1);
    }
    he_stop = 0;
    pthread_create(t, NULL, he_thread, h);
    return h;
}

static void stop_headend(plc_he *h, pthread_t t)
{
    he_stop = 1;
    pthread_join(t, NULL);
    plc_he_destroy(h);
}

/* ---- 1. ingest ---- */
typedef struct client {
    void *sock;
    char id[16];
    uint64_t epoch, sent, acked, total;
    unsigned in_flight;
} client;

static void client_send_batch(client *c)
{
    static Plc__Upstream__Reading r[BATCH];
    static Plc__Upstream__Reading *rp[BATCH];
    static char meter[BATCH][13], value[BATCH][16];
    unsigned n = 0;
    for (; n < BATCH && c->sent + n < c->total; n++) {
        const uint64_t seq = c->sent + n + 1;
        plc__upstream__reading__init(&r[n]);
        snprintf(meter[n], 13, "%012llu", (unsigned long long)(seq % 1000 + 1));
        snprintf(value[n], 16, "%llu.%02u", (unsigned long long)(seq * 7 % 100000), (unsigned)(seq % 100));
        r[n].seq = seq;
        r[n].meter = meter[n];
        r[n].di = 0x06000001u;
        r[n].ts = 1767225600 + (int64_t)(seq / 1000) * 900;
        r[n].value = value[n];
        r[n].read_at = r[n].ts + 60;
        rp[n] = &r[n];
    }
    Plc__Upstream__Batch b = PLC__UPSTREAM__BATCH__INIT;
    b.epoch = c->epoch;
    b.after = c->sent;
    b.last = c->sent + n;
    b.n_reading = n;
    b.reading = rp;
    plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
    e.version = PLC_UP_VERSION;
    e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_BATCH;
    e.batch = &b;
    if (plc_up_send(c->sock, NULL, 0, &e) == PLC_OK) {
        c->sent += n;
        c->in_flight++;
    }
}

/* Reads what came for every client: acks. Returns acked readings. */
static uint64_t clients_poll(client *c, unsigned g, zmq_pollitem_t *it, int wait_ms)
{
    uint64_t got = 0;
    if (zmq_poll(it, (int)g, wait_ms) <= 0)
        return 0;
    for (unsigned i = 0; i < g; i++) {
        if (!(it[i].revents & ZMQ_POLLIN))
            continue;
        uint8_t buf[512];
        int n;
        while ((n = zmq_recv(c[i].sock, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
            int code;
            char why[128];
            plc_up_env *e = plc_up_decode(buf, (size_t)n, &code, why, sizeof(why));
            if (!e)
                continue;
            if (e->body_case == PLC__UPSTREAM__ENVELOPE__BODY_LOGIN_ACK) {
                c[i].acked = c[i].sent = e->login_ack->acked;
                c[i].in_flight = 0;
            } else if (e->body_case == PLC__UPSTREAM__ENVELOPE__BODY_ACK &&
                       e->ack->upto > c[i].acked) {
                got += e->ack->upto - c[i].acked;
                c[i].acked = e->ack->upto;
                if (c[i].in_flight)
                    c[i].in_flight--;
            }
            plc_up_free(e);
        }
    }
    return got;
}

static double peer_rate(const char *path, unsigned g, uint64_t per)
{
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     "CREATE TABLE readings(gateway INTEGER NOT NULL, epoch INTEGER NOT NULL,"
                     " seq INTEGER NOT NULL, meter TEXT NOT NULL, di INTEGER NOT NULL, ts INTEGER"
                     " NOT NULL, value TEXT NOT NULL, read_at INTEGER NOT NULL, received INTEGER"
                     " NOT NULL, PRIMARY KEY(gateway, epoch, seq)) WITHOUT ROWID;",
                 NULL, NULL, NULL);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "INSERT INTO readings VALUES(?1, 7, ?2, ?3, 100663297, ?4, ?5, ?6, 0)"
                           " ON CONFLICT DO NOTHING", -1, &q, NULL);
    const double t0 = now_s();
    /* the same rows in the same transactions, the gateways interleaved batch by batch */
    for (uint64_t base = 0; base < per; base += BATCH)
        for (unsigned k = 0; k < g; k++) {
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
            for (uint64_t seq = base + 1; seq <= base + BATCH && seq <= per; seq++) {
                char meter[13], value[16];
                snprintf(meter, 13, "%012llu", (unsigned long long)(seq % 1000 + 1));
                snprintf(value, 16, "%llu.%02u", (unsigned long long)(seq * 7 % 100000), (unsigned)(seq % 100));
                const int64_t ts = 1767225600 + (int64_t)(seq / 1000) * 900;
                sqlite3_bind_int64(q, 1, k + 1);
                sqlite3_bind_int64(q, 2, (int64_t)seq);
                sqlite3_bind_text(q, 3, meter, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(q, 4, ts);
                sqlite3_bind_text(q, 5, value, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(q, 6, ts + 60);
                sqlite3_step(q);
                sqlite3_reset(q);
            }
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
    const double dt = now_s() - t0;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return (double)g * (double)per / dt;
}

static void write_keys(unsigned g, char (*pub)[41], char (*sec)[41])
{
    char path[512], err[256], he_pub[41];
    snprintf(path, sizeof(path), "%s/he", dir);
    if (plc_up_keygen(path, he_pub, err, sizeof(err)) != PLC_OK) {
        fprintf(stderr, "bench_upstream: %s\n", err);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/allow.txt", dir);
    FILE *f = fopen(path, "w");
    for (unsigned i = 0; i <= g; i++) { /* the last: the drain's concentrator */
        zmq_curve_keypair(pub[i], sec[i]);
        fprintf(f, "gw%u %s\n", i, pub[i]);
    }
    fclose(f);
}

static void ingest(unsigned g, uint64_t per, char (*pub)[41], char (*sec)[41], const char *he_pub,
                   const char *ep, double *rate, double *cpu_rate, double *peer, uint64_t *dups)
{
    char store[300];
    snprintf(store, sizeof(store), "%s/he1.db", dir);
    pthread_t t;
    plc_he *h = start_headend(store, ep, &t);
    void *ctx = zmq_ctx_new();
    client *c = calloc(g, sizeof(*c));
    zmq_pollitem_t *it = calloc(g, sizeof(*it));
    const int zero = 0;
    for (unsigned i = 0; i < g; i++) {
        snprintf(c[i].id, sizeof(c[i].id), "gw%u", i);
        c[i].epoch = 1000 + i;
        c[i].total = per;
        c[i].sock = zmq_socket(ctx, ZMQ_DEALER);
        zmq_setsockopt(c[i].sock, ZMQ_ROUTING_ID, c[i].id, strlen(c[i].id));
        zmq_setsockopt(c[i].sock, ZMQ_CURVE_SERVERKEY, he_pub, 41);
        zmq_setsockopt(c[i].sock, ZMQ_CURVE_PUBLICKEY, pub[i], 41);
        zmq_setsockopt(c[i].sock, ZMQ_CURVE_SECRETKEY, sec[i], 41);
        zmq_setsockopt(c[i].sock, ZMQ_LINGER, &zero, sizeof(zero));
        zmq_connect(c[i].sock, ep);
        it[i] = (zmq_pollitem_t){c[i].sock, 0, ZMQ_POLLIN, 0};
        Plc__Upstream__Login l = PLC__UPSTREAM__LOGIN__INIT;
        l.gateway_id = c[i].id;
        l.software = "bench";
        l.meters = 1000;
        l.epoch = c[i].epoch;
        plc_up_env e = PLC__UPSTREAM__ENVELOPE__INIT;
        e.version = PLC_UP_VERSION;
        e.body_case = PLC__UPSTREAM__ENVELOPE__BODY_LOGIN;
        e.login = &l;
        plc_up_send(c[i].sock, NULL, 0, &e);
    }
    /* warm-up: logged in, one batch each acknowledged */
    uint64_t acked = 0, goal = (uint64_t)g * per;
    for (unsigned i = 0; i < g; i++)
        c[i].acked = (uint64_t)-1; /* until the login ack */
    for (int done = 0; !done;) {
        clients_poll(c, g, it, 100);
        done = 1;
        for (unsigned i = 0; i < g; i++)
            if (c[i].acked == (uint64_t)-1)
                done = 0;
    }
    for (unsigned i = 0; i < g; i++)
        client_send_batch(&c[i]);
    while (acked < (uint64_t)g * BATCH)
        acked += clients_poll(c, g, it, 100);
    struct timespec ts;
    const double t0 = now_s();
    (void)ts;
    while (acked < goal) {
        for (unsigned i = 0; i < g; i++)
            while (c[i].in_flight < WINDOW && c[i].sent < c[i].total)
                client_send_batch(&c[i]);
        acked += clients_poll(c, g, it, 100);
    }
    const double dt = now_s() - t0;
    stop_headend(h, t);
    *rate = (double)(goal - (uint64_t)g * BATCH) / dt;
    *cpu_rate = (double)goal / he_cpu_s; /* the warm-up's batches included */
    for (unsigned i = 0; i < g; i++)
        zmq_close(c[i].sock);
    zmq_ctx_term(ctx);
    free(c);
    free(it);
    sqlite3 *db;
    sqlite3_open(store, &db);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM readings", -1, &q, NULL);
    sqlite3_step(q);
    *dups = goal - (uint64_t)sqlite3_column_int64(q, 0); /* 0: each once, none missing */
    sqlite3_finalize(q);
    sqlite3_close(db);
    char peer_db[300];
    snprintf(peer_db, sizeof(peer_db), "%s/peer.db", dir);
    *peer = peer_rate(peer_db, g, per);
}

/* ---- 2. drain ---- */
static int no_link(void *u, uint16_t to, const uint8_t *f, size_t n)
{
    (void)u, (void)to, (void)f, (void)n;
    return PLC_ERR_IO;
}

static void drain(unsigned meters, unsigned points, unsigned g, char (*sec)[41], const char *ep,
                  double *fill_s, double *drain_s, uint64_t *at_he, uint64_t *distinct)
{
    char path[300], err[512];
    snprintf(path, sizeof(path), "%s/gw.db", dir);
    plc_gw_store *s = plc_gw_store_open(path, 1, err, sizeof(err));
    plc_gw_meter *m = calloc(meters, sizeof(*m));
    for (unsigned i = 0; i < meters; i++) {
        plc_gw_meter_default(&m[i]);
        snprintf(m[i].addr, sizeof(m[i].addr), "%012u", i + 1);
    }
    plc_gw_store_meters_put(s, m, meters);
    unsigned n = 0;
    plc_gw_store_meters(s, 1, m, meters, &n);
    plc_gw_reading *r = calloc(points, sizeof(*r));
    double t0 = now_s();
    for (unsigned i = 0; i < meters; i++) { /* a day of 15-minute points, a transaction each */
        for (unsigned k = 0; k < points; k++) {
            r[k] = (plc_gw_reading){m[i].id, 0x06000001u, 1767225600 + 900 * (int64_t)k, "", 0};
            snprintf(r[k].value, sizeof(r[k].value), "%u.%02u", 1000 + i + k / 4, k % 100);
            r[k].read_at = r[k].ts + 30;
        }
        plc_gw_store_readings(s, r, points, NULL);
    }
    *fill_s = now_s() - t0;
    free(r);
    free(m);
    /* the concentrator (no PLC side needed) and its link */
    plc_loop *loop = plc_loop_virtual_create(64);
    plc_gw_config gc;
    plc_gw_config_default(&gc);
    plc_gw *gw = plc_gw_create(&gc, s, loop, &(plc_gw_link){no_link, NULL}, err, sizeof(err));
    char key[200];
    snprintf(key, sizeof(key), "%s/gwd.key", dir);
    FILE *f = fopen(key, "w");
    fprintf(f, "secret = %s\n", sec[g]);
    fclose(f);
    plc_gw_upstream_config uc;
    plc_gw_upstream_config_default(&uc);
    snprintf(uc.endpoint, sizeof(uc.endpoint), "%s", ep);
    snprintf(uc.gateway_id, sizeof(uc.gateway_id), "gw%u", g);
    snprintf(uc.key_file, sizeof(uc.key_file), "%s", key);
    snprintf(uc.server_key_file, sizeof(uc.server_key_file), "%s/he.pub", dir);
    uc.clock_sync = 0;
    plc_gw_upstream *u = plc_gw_upstream_create(&uc, gw, s, "bench", err, sizeof(err));
    if (!u) {
        fprintf(stderr, "bench_upstream: %s\n", err);
        exit(1);
    }
    char store[300];
    snprintf(store, sizeof(store), "%s/he2.db", dir);
    pthread_t t;
    plc_he *h = start_headend(store, ep, &t);
    t0 = now_s();
    while (!plc_gw_upstream_drained(u) && now_s() - t0 < 120)
        plc_gw_upstream_poll(u, 10);
    *drain_s = now_s() - t0;
    stop_headend(h, t);
    plc_gw_upstream_destroy(u);
    plc_gw_destroy(gw);
    plc_loop_destroy(loop);
    plc_gw_store_close(s);
    sqlite3 *db;
    sqlite3_open(store, &db);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT meter, di, ts"
                           " FROM readings)) FROM readings", -1, &q, NULL);
    sqlite3_step(q);
    *at_he = (uint64_t)sqlite3_column_int64(q, 0);
    *distinct = (uint64_t)sqlite3_column_int64(q, 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    const unsigned g = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
    const uint64_t per = argc > 2 ? (uint64_t)atoll(argv[2]) : 20000;
    const unsigned meters = argc > 3 ? (unsigned)atoi(argv[3]) : 1000;
    const unsigned points = argc > 4 ? (unsigned)atoi(argv[4]) : 96;
    if (g == 0 || g > 1000 || per < 2 * BATCH) {
        fprintf(stderr, "usage: bench_upstream [gateways 1-1000] [readings per gateway >= 2000] "
                        "[meters] [points]\n");
        return 2;
    }
    snprintf(dir, sizeof(dir), "/tmp/bench_upstream_%d", (int)getpid());
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(cmd) != 0)
        return 1;
    char (*pub)[41] = calloc(g + 1, 41), (*sec)[41] = calloc(g + 1, 41);
    write_keys(g, pub, sec);
    char he_pub[41], err[256];
    char path[300];
    snprintf(path, sizeof(path), "%s/he.pub", dir);
    plc_up_key_read(path, he_pub, NULL, err, sizeof(err));
    const int port = 20000 + (int)(getpid() % 20000);
    char ep[64];
    snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", port);

    double rate, cpu_rate, peer;
    uint64_t dups;
    ingest(g, per, pub, sec, he_pub, ep, &rate, &cpu_rate, &peer, &dups);
    printf("ingest: %u gateways x %llu readings over CURVE into SQLite (FULL, dedup key): "
           "%.0f readings/s (%.0f per head-end CPU second); peer (the same rows straight into "
           "SQLite) %.0f/s, ratio %.2f; missing or twice: %llu\n",
           g, (unsigned long long)per, rate, cpu_rate, peer, rate / peer,
           (unsigned long long)dups);
    double fill_s, drain_s;
    uint64_t at_he, distinct;
    drain(meters, points, g, sec, ep, &fill_s, &drain_s, &at_he, &distinct);
    printf("drain: %u meters x %u points kept through an outage (stored in %.2f s), outbox "
           "drained in %.2f s; at the head-end %llu, distinct %llu\n",
           meters, points, fill_s, drain_s, (unsigned long long)at_he,
           (unsigned long long)distinct);
    printf("{\"bench\":\"upstream\",\"gateways\":%u,\"readings\":%llu,\"ingest_per_s\":%.0f,"
           "\"ingest_per_cpu_s\":%.0f,\"peer_sqlite_per_s\":%.0f,\"ratio\":%.3f,"
           "\"ingest_lost_or_twice\":%llu,\"drain_readings\":%u,\"drain_s\":%.2f,"
           "\"drain_at_headend\":%llu,\"drain_distinct\":%llu}\n",
           g, (unsigned long long)g * per, rate, cpu_rate, peer, rate / peer,
           (unsigned long long)dups, meters * points, drain_s, (unsigned long long)at_he,
           (unsigned long long)distinct);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    free(pub);
    free(sec);
    return 0;
}
