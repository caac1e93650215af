#include "plc_loadng.h"

#include <stdlib.h>
#include <string.h>

#include "plc_rng.h"

#define PENDING 6   /* discoveries at once (adp pending RREQ table) */
#define SEEN 32     /* (originator, sequence) of RREQs relayed or answered */

typedef struct route {
    uint16_t dest, next;
    uint16_t seq;
    uint16_t cost;
    uint8_t hops, weak;
    uint8_t fails;      /* datagrams in a row the next hop did not take */
    uint8_t has_seq, bidir, used;
    uint8_t broken;     /* failed (route_failures): gone but for a repair's unicast RREQ */
    uint64_t valid_until; /* 24 bytes an entry: a table per node of a 1000-meter area is 24 kB */
} route;

typedef struct pending {
    uint16_t dest;
    int used, repair;
    int unicast;        /* the RREQ out is a unicast one over the old route */
    unsigned tries;
    int tried;          /* a discovery of dest went through this slot */
    uint64_t started;   /* loop us it began */
    plc_timer timeout;
    struct plc_loadng *r;
} pending;

typedef struct seen {
    uint16_t orig, seq;
    uint16_t best_cost;
    uint8_t best_weak, best_hops;
    int used;
    uint64_t t;
    /* a relay waiting for its jitter, or the destination's answer waiting rrep_wait */
    int armed;
    int relayed;       /* relayed once: later copies only refresh the reverse route */
    plc_loadng_msg msg;
    plc_timer timer;
    struct plc_loadng *r;
} seen;

typedef struct black {
    uint16_t addr;
    uint64_t until;
} black;

typedef struct path_wait {
    int used;
    uint16_t dest;
    plc_timer timer;
} path_wait;

struct plc_loadng {
    plc_loadng_config cfg;
    plc_loop *loop;
    plc_loadng_ops ops;
    plc_rng rng;
    route *rt;
    black *bl;
    pending pend[PENDING];
    seen seen[SEEN];
    unsigned seen_next;
    path_wait path;     /* our path discovery: one at a time */
    uint16_t seq;
    plc_loadng_counters cnt;
};

void plc_loadng_config_default(plc_loadng_config *c)
{
    memset(c, 0, sizeof(*c));
    c->route_table_size = 150;
    c->blacklist_size = 20;
    c->max_hops = 8;
    c->rrep_wait_ms = 4000;
    c->net_traversal_ms = 20000;
    c->rreq_wait_ms = 30000;
    c->route_ttl_s = 21600;
    c->blacklist_ttl_s = 600;
    c->weak_lqi = 52;
    c->coordinator_weak_lqi = 72;
    c->rreq_jitter_ms = 250;
    c->route_failures = 3;
    c->unicast_rreq = 1;
    c->path_discovery_ms = 40000;
}

static uint64_t now(const plc_loadng *r)
{
    return plc_loop_now_us(r->loop);
}

/* sequence a newer than b over half the 16-bit range */
static int newer(uint16_t a, uint16_t b)
{
    return a != b && (uint16_t)(a - b) < 0x8000;
}

/* The entry for dest, a failed one too (a repair's unicast RREQ goes over it). */
static route *find_any(plc_loadng *r, uint16_t dest)
{
    for (unsigned i = 0; i < r->cfg.route_table_size; i++)
        if (r->rt[i].used && r->rt[i].dest == dest) {
            if (r->rt[i].valid_until <= now(r)) {
                r->rt[i].used = 0; /* expired */
                return NULL;
            }
            return &r->rt[i];
        }
    return NULL;
}

/* The route to dest: a failed one is as good as gone, its slot free for any other. */
static route *find(plc_loadng *r, uint16_t dest)
{
    route *e = find_any(r, dest);
    return e && !e->broken ? e : NULL;
}

static route *slot(plc_loadng *r, uint16_t dest)
{
    route *e = find_any(r, dest);
    if (e)
        return e->broken ? memset(e, 0, sizeof(route)) : e;
    route *oldest = NULL;
    for (unsigned i = 0; i < r->cfg.route_table_size; i++) {
        if (!r->rt[i].used || r->rt[i].broken || r->rt[i].valid_until <= now(r))
            return memset(&r->rt[i], 0, sizeof(route));
        if (!oldest || r->rt[i].valid_until < oldest->valid_until)
            oldest = &r->rt[i];
    }
    r->cnt.table_full++; /* the route expiring soonest makes room */
    return memset(oldest, 0, sizeof(route));
}

int plc_loadng_blacklisted(const plc_loadng *r, uint16_t a)
{
    for (unsigned i = 0; i < r->cfg.blacklist_size; i++)
        if (r->bl[i].until > now(r) && r->bl[i].addr == a)
            return 1;
    return 0;
}

/* a frame to it was acknowledged: the link works both ways */
static void unblacklist(plc_loadng *r, uint16_t a)
{
    for (unsigned i = 0; i < r->cfg.blacklist_size; i++)
        if (r->bl[i].until > now(r) && r->bl[i].addr == a) {
            r->bl[i].until = 0;
            r->cnt.unblacklisted++;
        }
}

static void set_route(plc_loadng *r, uint16_t dest, uint16_t next, int has_seq, uint16_t seq,
                      unsigned cost, unsigned hops, unsigned weak, int bidir)
{
    if (dest == r->cfg.self)
        return;
    route *e = slot(r, dest);
    e->used = 1;
    e->dest = dest;
    e->next = next;
    e->has_seq = has_seq;
    e->seq = seq;
    e->cost = (uint16_t)(cost > 0xFFFF ? 0xFFFF : cost);
    e->hops = (uint8_t)hops;
    e->weak = (uint8_t)weak;
    e->bidir = bidir;
    e->fails = 0;
    e->valid_until = now(r) + (uint64_t)r->cfg.route_ttl_s * 1000000u;
}

int plc_loadng_next_hop(plc_loadng *r, uint16_t dest, uint16_t *next, unsigned *hops,
                        unsigned *cost)
{
    const route *e = find(r, dest);
    if (!e)
        return PLC_ERR_NO_ROUTE;
    if (next)
        *next = e->next;
    if (hops)
        *hops = e->hops;
    if (cost)
        *cost = e->cost;
    return PLC_OK;
}

int plc_loadng_learn(plc_loadng *r, uint16_t orig, uint16_t via, unsigned hops, int weak)
{
    route *e = find(r, orig);
    if (e && e->next == via) { /* the same way: it works, keep it alive */
        e->valid_until = now(r) + (uint64_t)r->cfg.route_ttl_s * 1000000u;
        e->bidir = 1;
        return 0;
    }
    if (e && (weak > (e->weak != 0) || (weak == (e->weak != 0) && e->hops <= hops)))
        return 0; /* a route at least as good is known */
    set_route(r, orig, via, e ? e->has_seq : 0, e ? e->seq : 0, 0, hops, weak ? 1 : 0, 1);
    r->cnt.routes_learned++;
    return 1;
}

int plc_loadng_learn_cost(plc_loadng *r, uint16_t dest, uint16_t via, unsigned hops,
                          unsigned weak, unsigned cost, int fresh)
{
    route *e = find(r, dest);
    if (e && !fresh && e->next != via &&
        (e->weak < weak || (e->weak == weak && e->cost <= cost)))
        return 0; /* a route at least as good is known: fewer weak links, then cheaper */
    const int changed = !e || e->next != via || e->cost != cost || e->weak != weak;
    set_route(r, dest, via, e ? e->has_seq : 0, e ? e->seq : 0, cost, hops,
              weak > 0xFF ? 0xFF : weak, 1);
    r->cnt.routes_learned += changed && (!e || e->next != via);
    return changed;
}

int plc_loadng_route_cost(plc_loadng *r, uint16_t dest, unsigned *cost, unsigned *weak)
{
    const route *e = find(r, dest);
    if (!e)
        return PLC_ERR_NO_ROUTE;
    *cost = e->cost;
    *weak = e->weak;
    return PLC_OK;
}

void plc_loadng_set_self(plc_loadng *r, uint16_t self)
{
    r->cfg.self = self;
    for (unsigned i = 0; i < r->cfg.route_table_size; i++)
        r->rt[i].used = 0; /* a new address: what was learned under the old one goes */
}

static void send_msg(plc_loadng *r, uint16_t to, const plc_loadng_msg *m)
{
    uint8_t buf[16];
    const int n = plc_loadng_encode(m, buf, sizeof(buf));
    if (n > 0 && r->ops.send)
        r->ops.send(r->ops.user, to, buf, (size_t)n);
}

/* ---- originating a discovery ---- */
/* A RREQ for p's destination: unicast over the route that failed when it was bidirectional
 * and unicast may be tried (G3's adpUnicastRREQGenEnable: a route that failed for
 * collisions answers for a few frames, a flood costs one relay per node), else flooded. */
static void send_rreq(plc_loadng *r, pending *p, int unicast)
{
    r->seq++;
    plc_loadng_msg m = {
        .type = PLC_LOADNG_RREQ, .dest = p->dest, .orig = r->cfg.self, .seq = r->seq,
        .flags = p->repair ? PLC_LOADNG_FLAG_REPAIR : 0, .metric = PLC_LOADNG_METRIC_COMPOSITE,
        .hop_limit = (uint8_t)(r->cfg.max_hops > 15 ? 15 : r->cfg.max_hops),
    };
    const route *e = find_any(r, p->dest);
    p->unicast = unicast && r->cfg.unicast_rreq && e && e->bidir;
    r->cnt.rreq_sent++;
    if (p->unicast) {
        m.flags |= PLC_LOADNG_FLAG_UNICAST;
        r->cnt.rreq_unicast++;
        send_msg(r, e->next, &m);
        plc_timer_start_in(r->loop, &p->timeout, (uint64_t)r->cfg.net_traversal_ms * 1000u);
        return;
    }
    send_msg(r, PLC_ADP_BROADCAST, &m);
    plc_timer_start_in(r->loop, &p->timeout, 2ull * r->cfg.net_traversal_ms * 1000u);
}

static void end_discovery(plc_loadng *r, pending *p, int status)
{
    plc_timer_stop(r->loop, &p->timeout);
    p->used = 0;
    if (status != PLC_OK)
        r->cnt.discoveries_failed++;
    if (r->ops.discovered)
        r->ops.discovered(r->ops.user, p->dest, status);
}

static void on_discovery_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    pending *p = user;
    plc_loadng *r = p->r;
    if (p->unicast || p->tries++ < r->cfg.rreq_retries) { /* unicast unanswered: flood */
        send_rreq(r, p, 0);
        return;
    }
    end_discovery(r, p, PLC_ERR_NO_ROUTE);
}

int plc_loadng_discover(plc_loadng *r, uint16_t dest, int repair)
{
    pending *freep = NULL;
    const uint64_t wait = (uint64_t)r->cfg.rreq_wait_ms * 1000u;
    for (unsigned i = 0; i < PENDING; i++) {
        pending *p = &r->pend[i];
        if (p->used && p->dest == dest)
            return PLC_ERR_BUSY; /* one discovery per destination at a time */
        if (!p->used && p->tried && p->dest == dest && now(r) - p->started < wait)
            return PLC_ERR_NO_ROUTE; /* sought moments ago: no new flood for it yet */
        if (!p->used && (!freep || p->started < freep->started))
            freep = p; /* the slot whose last discovery is oldest */
    }
    if (!freep)
        return PLC_ERR_FULL;
    freep->used = freep->tried = 1;
    freep->dest = dest;
    freep->repair = repair;
    freep->tries = 0;
    freep->started = now(r);
    r->cnt.discoveries++;
    send_rreq(r, freep, 1);
    return PLC_OK;
}

/* ---- receiving ---- */
static seen *seen_of(plc_loadng *r, uint16_t orig, uint16_t seq)
{
    for (unsigned i = 0; i < SEEN; i++)
        if (r->seen[i].used && r->seen[i].orig == orig && r->seen[i].seq == seq)
            return &r->seen[i];
    return NULL;
}

static seen *seen_new(plc_loadng *r, uint16_t orig, uint16_t seq)
{
    seen *s = &r->seen[r->seen_next];
    r->seen_next = (r->seen_next + 1) % SEEN;
    plc_timer_stop(r->loop, &s->timer);
    s->used = 1;
    s->orig = orig;
    s->seq = seq;
    s->armed = 0;
    s->relayed = 0;
    s->t = now(r);
    return s;
}

/* a copy better than the best seen: fewer weak links, then lower cost, then fewer hops */
static int better(const seen *s, const plc_loadng_msg *m)
{
    if (m->weak_links != s->best_weak)
        return m->weak_links < s->best_weak;
    if (m->cost != s->best_cost)
        return m->cost < s->best_cost;
    return m->hop_count < s->best_hops;
}

static void on_seen_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    seen *s = user;
    plc_loadng *r = s->r;
    s->armed = 0;
    if (s->msg.dest == r->cfg.self) { /* rrep_wait is over: answer the best copy */
        r->seq++;
        const plc_loadng_msg m = {
            .type = PLC_LOADNG_RREP, .dest = s->orig, .orig = r->cfg.self, .seq = r->seq,
            .flags = s->msg.flags & PLC_LOADNG_FLAG_REPAIR, .metric = s->msg.metric,
            .hop_limit = (uint8_t)(r->cfg.max_hops > 15 ? 15 : r->cfg.max_hops),
        };
        uint16_t next;
        if (plc_loadng_next_hop(r, s->orig, &next, NULL, NULL) == PLC_OK) {
            r->cnt.rrep_sent++;
            send_msg(r, next, &m);
        }
        return;
    }
    s->relayed = 1;
    r->cnt.rreq_relayed++;
    send_msg(r, PLC_ADP_BROADCAST, &s->msg);
}

static void on_rreq(plc_loadng *r, uint16_t from, const plc_loadng_msg *in, unsigned lc)
{
    if (in->orig == r->cfg.self || plc_loadng_blacklisted(r, from)) {
        r->cnt.rreq_dropped++;
        return;
    }
    plc_loadng_msg m = *in;
    m.hop_count = (uint8_t)(in->hop_count < 15 ? in->hop_count + 1 : 15);
    m.hop_limit = (uint8_t)(in->hop_limit ? in->hop_limit - 1 : 0);
    m.cost = (uint16_t)(in->cost + lc > 0xFFFF ? 0xFFFF : in->cost + lc);
    const route *known = find(r, in->orig);
    if (known && known->has_seq && newer(known->seq, in->seq)) {
        r->cnt.rreq_dropped++; /* an older discovery */
        return;
    }
    seen *s = seen_of(r, in->orig, in->seq);
    if (s && !better(s, &m)) {
        r->cnt.rreq_dropped++; /* the duplicate filter: only better copies pass */
        return;
    }
    if (!s)
        s = seen_new(r, in->orig, in->seq);
    s->best_cost = m.cost;
    s->best_weak = m.weak_links;
    s->best_hops = m.hop_count;
    /* the reverse route to the originator, over this copy's path */
    set_route(r, in->orig, from, 1, in->seq, m.cost, m.hop_count, m.weak_links, 0);
    s->msg = m;
    const int unicast = (in->flags & PLC_LOADNG_FLAG_UNICAST) != 0;
    if (in->dest == r->cfg.self) {
        if (!s->armed) { /* the first copy starts the wait; better ones update the route */
            s->armed = 1; /* a unicast RREQ comes once: answered at once */
            plc_timer_start_in(r->loop, &s->timer,
                               unicast ? 0 : (uint64_t)r->cfg.rrep_wait_ms * 1000u);
        }
        return;
    }
    if (m.hop_limit == 0 || m.hop_count >= 15) {
        r->cnt.rreq_dropped++;
        return;
    }
    if (unicast && !s->relayed) {
        /* on along our bidirectional route at once; without one it floods from here */
        const route *e = find(r, in->dest);
        if (e && e->bidir && e->next != from) {
            s->relayed = 1;
            r->cnt.rreq_relayed++;
            send_msg(r, e->next, &m);
            return;
        }
        s->msg.flags &= (uint8_t)~PLC_LOADNG_FLAG_UNICAST;
    }
    /* relay once, after a jitter: the best copy heard by then goes on */
    if (!s->armed && !s->relayed) {
        s->armed = 1;
        const uint64_t j = r->cfg.rreq_jitter_ms
                               ? (plc_rng_next(&r->rng) >> 11) % ((uint64_t)r->cfg.rreq_jitter_ms * 1000u)
                               : 0;
        plc_timer_start_in(r->loop, &s->timer, j);
    }
}

static void on_rrep(plc_loadng *r, uint16_t from, const plc_loadng_msg *in, unsigned lc)
{
    plc_loadng_msg m = *in;
    m.hop_count = (uint8_t)(in->hop_count < 15 ? in->hop_count + 1 : 15);
    m.hop_limit = (uint8_t)(in->hop_limit ? in->hop_limit - 1 : 0);
    m.cost = (uint16_t)(in->cost + lc > 0xFFFF ? 0xFFFF : in->cost + lc);
    /* the forward route to the RREP's originator (the destination sought) */
    const route *known = find(r, in->orig);
    if (!(known && known->has_seq && newer(known->seq, in->seq)))
        set_route(r, in->orig, from, 1, in->seq, m.cost, m.hop_count, m.weak_links, 1);
    if (in->dest == r->cfg.self) {
        for (unsigned i = 0; i < PENDING; i++)
            if (r->pend[i].used && r->pend[i].dest == in->orig)
                end_discovery(r, &r->pend[i], PLC_OK);
        return;
    }
    uint16_t next;
    if (m.hop_limit == 0 || plc_loadng_next_hop(r, in->dest, &next, NULL, NULL) != PLC_OK)
        return;
    r->cnt.rrep_relayed++;
    send_msg(r, next, &m);
}

static void on_rerr(plc_loadng *r, uint16_t from, const plc_loadng_msg *in)
{
    r->cnt.rerr_received++;
    route *e = find(r, in->unreachable);
    if (e && e->next == from)
        e->used = 0;
    if (in->dest == r->cfg.self || in->hop_limit == 0)
        return;
    uint16_t next;
    if (plc_loadng_next_hop(r, in->dest, &next, NULL, NULL) == PLC_OK) {
        plc_loadng_msg m = *in;
        m.hop_limit--;
        send_msg(r, next, &m);
    }
}

/* ---- path discovery ---- */
static void path_send(plc_loadng *r, uint16_t to, const plc_loadng_path *m)
{
    uint8_t buf[PLC_LOADNG_MAX_LEN];
    const int n = plc_loadng_path_encode(m, buf, sizeof(buf));
    if (n > 0 && r->ops.send)
        r->ops.send(r->ops.user, to, buf, (size_t)n);
}

/* The PREQ q (its own hop appended) ends here: turned into our PREP in place (a path is
 * a few hundred bytes of stack on a chip), back over our route to its originator, or to the
 * hop before ours without one. */
static void path_answer(plc_loadng *r, plc_loadng_path *q)
{
    uint16_t next = q->n_fwd >= 2 ? q->fwd[q->n_fwd - 2].addr : q->orig;
    plc_loadng_next_hop(r, q->orig, &next, NULL, NULL);
    const uint16_t asker = q->orig;
    q->type = PLC_LOADNG_PREP;
    q->orig = r->cfg.self;
    q->expected = q->dest;
    q->dest = asker;
    q->n_rev = 0;
    r->cnt.prep_sent++;
    path_send(r, next, q);
}

static void path_end(plc_loadng *r, int status, const plc_loadng_path *reply)
{
    plc_timer_stop(r->loop, &r->path.timer);
    r->path.used = 0;
    if (r->ops.path)
        r->ops.path(r->ops.user, r->path.dest, status, reply);
}

static void on_path_timeout(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    path_end(user, PLC_ERR_TIMEOUT, NULL);
}

int plc_loadng_path_discover(plc_loadng *r, uint16_t dest, uint8_t metric)
{
    if (dest == r->cfg.self || dest == PLC_ADP_BROADCAST || metric > 15)
        return PLC_ERR_ARG;
    if (r->path.used)
        return PLC_ERR_BUSY;
    uint16_t next;
    if (plc_loadng_next_hop(r, dest, &next, NULL, NULL) != PLC_OK)
        return PLC_ERR_NO_ROUTE;
    const plc_loadng_path q = {.type = PLC_LOADNG_PREQ, .dest = dest, .orig = r->cfg.self,
                               .metric = metric};
    r->path.used = 1;
    r->path.dest = dest;
    plc_timer_start_in(r->loop, &r->path.timer, (uint64_t)r->cfg.path_discovery_ms * 1000u);
    r->cnt.preq_sent++;
    path_send(r, next, &q);
    return PLC_OK;
}

static void path_input(plc_loadng *r, uint16_t from, uint8_t lqi, const uint8_t *p, size_t len)
{
    plc_loadng_path m;
    if (plc_loadng_path_decode(p, len, &m) != PLC_OK) {
        r->cnt.malformed++;
        return;
    }
    /* our hop: the cost of the link it came in over, in the path's metric when we have it */
    const int known = m.metric == PLC_LOADNG_METRIC_COMPOSITE || m.metric == PLC_LOADNG_METRIC_HOPS;
    unsigned lc = m.metric == PLC_LOADNG_METRIC_HOPS ? 1
                  : r->ops.link_cost                 ? r->ops.link_cost(r->ops.user, from, lqi)
                                                     : 1;
    const plc_loadng_hop own = {.addr = r->cfg.self, .mns = !known,
                                .cost = (uint8_t)(!known ? 0 : lc > 0xFF ? 0xFF : lc)};
    const int preq = m.type == PLC_LOADNG_PREQ;
    uint8_t *n = preq ? &m.n_fwd : &m.n_rev;
    plc_loadng_hop *hops = preq ? m.fwd : m.rev;
    int looped = 0; /* the routes on from here came back to us */
    for (unsigned k = 0; k < *n; k++)
        looped |= hops[k].addr == r->cfg.self;
    if (m.orig == r->cfg.self || *n == PLC_LOADNG_PATH_HOPS || (looped && !preq)) {
        r->cnt.path_dropped++; /* a loop back to us, or no room for our hop */
        return;
    }
    hops[(*n)++] = own;
    uint16_t next;
    const int on = plc_loadng_next_hop(r, m.dest, &next, NULL, NULL) == PLC_OK;
    if (preq) {
        if (m.dest == r->cfg.self || !on || looped) {
            /* the sought node, or as far as the routes go: a loop shows as the path up to
             * our second appearance (the PREP's originator, so the forward hops end there) */
            path_answer(r, &m);
            return;
        }
        r->cnt.preq_relayed++;
        path_send(r, next, &m);
        return;
    }
    if (m.dest == r->cfg.self) {
        if (r->path.used && r->path.dest == m.expected)
            path_end(r, m.orig == m.expected ? PLC_OK : PLC_ERR_NO_ROUTE, &m);
        else
            r->cnt.path_dropped++; /* not ours, or late */
        return;
    }
    if (!on) {
        r->cnt.path_dropped++;
        return;
    }
    r->cnt.prep_relayed++;
    path_send(r, next, &m);
}

int plc_loadng_link_weak(const plc_loadng *r, uint16_t neighbour, uint8_t lqi)
{
    const int coord = neighbour == r->cfg.coordinator || r->cfg.self == r->cfg.coordinator;
    return lqi < (coord ? r->cfg.coordinator_weak_lqi : r->cfg.weak_lqi);
}

void plc_loadng_input(plc_loadng *r, uint16_t from, uint8_t lqi, const uint8_t *p, size_t len)
{
    if (len && (p[0] == PLC_LOADNG_PREQ || p[0] == PLC_LOADNG_PREP)) {
        path_input(r, from, lqi, p, len);
        return;
    }
    plc_loadng_msg m;
    if (plc_loadng_decode(p, len, &m) != PLC_OK) {
        r->cnt.malformed++;
        return;
    }
    unsigned lc = r->ops.link_cost ? r->ops.link_cost(r->ops.user, from, lqi) : 1;
    if (m.metric == PLC_LOADNG_METRIC_HOPS)
        lc = 1;
    if (plc_loadng_link_weak(r, from, lqi) && m.type != PLC_LOADNG_RERR && m.weak_links < 15)
        m.weak_links++;
    switch (m.type) {
    case PLC_LOADNG_RREQ: on_rreq(r, from, &m, lc); break;
    case PLC_LOADNG_RREP: on_rrep(r, from, &m, lc); break;
    default: on_rerr(r, from, &m); break;
    }
}

int plc_loadng_link_failed(plc_loadng *r, uint16_t next_hop, uint16_t dest)
{
    /* only the route that failed: a lost ACK in a busy cell says little about the other
     * routes through that neighbour, and dropping them all would send a flood per route */
    route *e = find(r, dest);
    if (!e || e->next != next_hop || ++e->fails < r->cfg.route_failures)
        return 0;
    e->broken = 1; /* kept for the repair's unicast RREQ */
    r->cnt.routes_failed++;
    return 1;
}

void plc_loadng_link_ok(plc_loadng *r, uint16_t next_hop, uint16_t dest)
{
    route *e = find(r, dest);
    unblacklist(r, next_hop);
    if (e && e->next == next_hop) {
        e->fails = 0;
        /* a route in use stays valid (LOADng's routing set maintenance): routes learned at
         * formation would otherwise all run out at once, route_ttl_s later */
        e->valid_until = now(r) + (uint64_t)r->cfg.route_ttl_s * 1000000u;
    }
}

void plc_loadng_blacklist(plc_loadng *r, uint16_t neighbour)
{
    black *b = &r->bl[0];
    for (unsigned i = 0; i < r->cfg.blacklist_size; i++) {
        if (r->bl[i].addr == neighbour) {
            b = &r->bl[i];
            break;
        }
        if (r->bl[i].until < b->until)
            b = &r->bl[i];
    }
    if (b->until <= now(r) || b->addr != neighbour)
        r->cnt.blacklisted++;
    b->addr = neighbour;
    b->until = now(r) + (uint64_t)r->cfg.blacklist_ttl_s * 1000000u;
    /* [R] only the routes through it nothing has come back over (reverse routes from its
     * RREQs): a route that carried acknowledged frames keeps going until its own failures
     * drop it, since in a busy cell an unacknowledged RREP is as often a collision */
    for (unsigned i = 0; i < r->cfg.route_table_size; i++)
        if (r->rt[i].used && r->rt[i].next == neighbour && !r->rt[i].bidir)
            r->rt[i].used = 0;
}

void plc_loadng_sent(plc_loadng *r, uint16_t next_hop, const uint8_t *msg, size_t len,
                     int status)
{
    if (status == PLC_OK)
        unblacklist(r, next_hop); /* it takes our frames after all */
    plc_loadng_path q;
    if (status != PLC_OK && len > 2 && msg[2] == PLC_LOADNG_PREQ &&
        plc_loadng_path_decode(msg + 2, len - 2, &q) == PLC_OK) {
        if (q.orig != r->cfg.self)
            path_answer(r, &q); /* the path as far as it got (our hop is its last) */
        else if (r->path.used && r->path.dest == q.dest)
            path_end(r, status, NULL); /* ours did not reach the first hop */
        return;
    }
    plc_loadng_msg m;
    if (len < 2 || plc_loadng_decode(msg + 2, len - 2, &m) != PLC_OK)
        return;
    if (status == PLC_OK) {
        route *e = m.type == PLC_LOADNG_RREP ? find(r, m.dest) : NULL;
        if (e && e->next == next_hop)
            e->bidir = 1; /* the RREP went back over it: both ways work */
        return;
    }
    if (m.type == PLC_LOADNG_RREP) { /* the way back a RREQ came does not carry frames */
        plc_loadng_blacklist(r, next_hop);
        return;
    }
    if (m.type != PLC_LOADNG_RREQ || !(m.flags & PLC_LOADNG_FLAG_UNICAST))
        return;
    r->cnt.rreq_unicast_failed++;
    if (m.orig == r->cfg.self) { /* our own: the discovery floods now */
        for (unsigned i = 0; i < PENDING; i++)
            if (r->pend[i].used && r->pend[i].unicast && r->pend[i].dest == m.dest)
                send_rreq(r, &r->pend[i], 0);
        return;
    }
    /* relayed: it floods from here, with the originator's sequence number */
    m.flags &= (uint8_t)~PLC_LOADNG_FLAG_UNICAST;
    r->cnt.rreq_relayed++;
    send_msg(r, PLC_ADP_BROADCAST, &m);
}

void plc_loadng_send_rerr(plc_loadng *r, uint16_t orig, uint16_t unreachable)
{
    uint16_t next;
    if (plc_loadng_next_hop(r, orig, &next, NULL, NULL) != PLC_OK)
        return;
    const plc_loadng_msg m = {.type = PLC_LOADNG_RERR, .dest = orig, .orig = r->cfg.self,
                              .unreachable = unreachable,
                              .hop_limit = (uint8_t)(r->cfg.max_hops > 15 ? 15 : r->cfg.max_hops)};
    r->cnt.rerr_sent++;
    send_msg(r, next, &m);
}

plc_loadng *plc_loadng_create(const plc_loadng_config *cfg, plc_loop *loop, uint64_t seed,
                              const plc_loadng_ops *ops)
{
    if (!cfg || !loop || !ops || cfg->route_table_size == 0 || cfg->blacklist_size == 0 ||
        cfg->max_hops == 0 || cfg->max_hops > 15)
        return NULL;
    plc_loadng *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->rt = calloc(cfg->route_table_size, sizeof(route));
    r->bl = calloc(cfg->blacklist_size, sizeof(black));
    if (!r->rt || !r->bl) {
        plc_loadng_destroy(r);
        return NULL;
    }
    r->cfg = *cfg;
    r->loop = loop;
    r->ops = *ops;
    plc_rng_seed(&r->rng, seed);
    r->seq = (uint16_t)plc_rng_next(&r->rng);
    for (unsigned i = 0; i < PENDING; i++) {
        r->pend[i].r = r;
        plc_timer_init(&r->pend[i].timeout, on_discovery_timeout, &r->pend[i]);
    }
    for (unsigned i = 0; i < SEEN; i++) {
        r->seen[i].r = r;
        plc_timer_init(&r->seen[i].timer, on_seen_timer, &r->seen[i]);
    }
    plc_timer_init(&r->path.timer, on_path_timeout, r);
    return r;
}

void plc_loadng_destroy(plc_loadng *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < PENDING; i++)
        plc_timer_stop(r->loop, &r->pend[i].timeout);
    for (unsigned i = 0; i < SEEN; i++)
        plc_timer_stop(r->loop, &r->seen[i].timer);
    plc_timer_stop(r->loop, &r->path.timer);
    free(r->rt);
    free(r->bl);
    free(r);
}

void plc_loadng_get_counters(const plc_loadng *r, plc_loadng_counters *c)
{
    *c = r->cnt;
}

unsigned plc_loadng_route_count(const plc_loadng *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->cfg.route_table_size; i++)
        n += r->rt[i].used && r->rt[i].valid_until > plc_loop_now_us(r->loop);
    return n;
}
