#include "plc_topology.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_err.h"
#include "plc_rng.h"

/* Degrees and child lists from the parent links. */
static void finalize(plc_topology *t)
{
    for (unsigned v = 0; v < t->n_vertices; v++) {
        t->degree[v] = t->parent[v] >= 0 ? 1 : 0;
        t->first_child[v] = t->next_sibling[v] = -1;
    }
    for (unsigned v = t->n_vertices; v-- > 1;) {
        const unsigned p = (unsigned)t->parent[v];
        t->degree[p]++;
        t->next_sibling[v] = t->first_child[p];
        t->first_child[p] = (int)v;
    }
}

static double uniform(plc_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * plc_rng_uniform(r);
}

int plc_topology_generate(plc_topology *t, unsigned nodes, uint64_t seed)
{
    if (!t || nodes < 1 || nodes > PLC_TOPO_MAX_NODES)
        return PLC_ERR_ARG;
    plc_rng r;
    plc_rng_seed(&r, seed);
    memset(t, 0, sizeof(*t));
    t->parent[0] = -1;
    t->n_vertices = 1;
    const unsigned meters = nodes - 1;
    const unsigned feeders = meters > PLC_TOPO_METERS_PER_FEEDER
                                 ? (meters + PLC_TOPO_METERS_PER_FEEDER - 1) /
                                       PLC_TOPO_METERS_PER_FEEDER
                                 : 1;
    unsigned first_pole[PLC_TOPO_MAX_NODES / PLC_TOPO_METERS_PER_FEEDER + 1];
    unsigned poles[PLC_TOPO_MAX_NODES / PLC_TOPO_METERS_PER_FEEDER + 1];
    /* per feeder from the transformer's bus: one pole per 3 of its meters, a main line
     * with a side branch every 4th pole */
    for (unsigned f = 0; f < feeders; f++) {
        const unsigned share = meters / feeders + (f < meters % feeders);
        poles[f] = (share + 3) / 3;
        first_pole[f] = t->n_vertices;
        unsigned prev = 0;
        for (unsigned p = 0; p < poles[f]; p++) {
            const unsigned v = t->n_vertices++;
            const unsigned from = (p % 4 == 3 && p > 3) ? first_pole[f] + p - 3 : prev;
            t->parent[v] = (int)from;
            t->length_m[v] = uniform(&r, 25.0, 50.0);
            prev = v;
        }
    }
    t->n_nodes = nodes;
    t->node_vertex[0] = 0;
    for (unsigned i = 1; i < nodes; i++) {
        const unsigned f = (i - 1) % feeders;
        const unsigned pole = first_pole[f] + (unsigned)(plc_rng_next(&r) % poles[f]);
        const unsigned v = t->n_vertices++;
        t->parent[v] = (int)pole;
        t->length_m[v] = uniform(&r, 5.0, 30.0);
        t->node_vertex[i] = v;
    }
    finalize(t);
    return PLC_OK;
}

int plc_topology_load(plc_topology *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return PLC_ERR_IO;
    }
    char why[200] = "";
    const int rc = plc_topology_read(t, f, why, sizeof(why));
    fclose(f);
    if (rc != PLC_OK)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

int plc_topology_read(plc_topology *t, FILE *f, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    uint8_t seen_v[PLC_TOPO_MAX_VERTICES] = {0}, seen_n[PLC_TOPO_MAX_NODES] = {0};
    seen_v[0] = 1;
    t->parent[0] = -1;
    char line[256];
    int lineno = 0, rc = PLC_OK;
    unsigned maxv = 0, maxn = 0, nn = 0;
    while (rc == PLC_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "line %d: not text or longer than %zu characters", lineno,
                     sizeof(line) - 2);
            rc = PLC_ERR_FORMAT;
            break;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == 0)
            continue;
        unsigned a, b;
        double len;
        char extra;
        if (sscanf(p, "segment %u %u %lf %c", &a, &b, &len, &extra) == 3) {
            if (a == 0 || a >= PLC_TOPO_MAX_VERTICES || b >= PLC_TOPO_MAX_VERTICES || a == b ||
                !(len > 0 && len < 100000) || seen_v[a] == 2) {
                snprintf(err, errlen, "line %d: bad or repeated segment", lineno);
                rc = PLC_ERR_FORMAT;
                break;
            }
            t->parent[a] = (int)b;
            t->length_m[a] = len;
            seen_v[a] = 2;
            maxv = a > maxv ? a : maxv;
        } else if (sscanf(p, "node %u %u %c", &a, &b, &extra) == 2) {
            if (a >= PLC_TOPO_MAX_NODES || b >= PLC_TOPO_MAX_VERTICES || seen_n[a]) {
                snprintf(err, errlen, "line %d: bad or repeated node", lineno);
                rc = PLC_ERR_FORMAT;
                break;
            }
            seen_n[a] = 1;
            t->node_vertex[a] = b;
            maxn = a > maxn ? a : maxn;
            nn++;
        } else {
            snprintf(err, errlen, "line %d: expected 'segment V PARENT METRES' or 'node ID V'",
                     lineno);
            rc = PLC_ERR_FORMAT;
        }
    }
    if (rc != PLC_OK)
        return rc;
    t->n_vertices = maxv + 1;
    t->n_nodes = nn;
    if (nn == 0 || maxn + 1 != nn) {
        snprintf(err, errlen, "nodes must be numbered 0..N-1 without gaps");
        return PLC_ERR_FORMAT;
    }
    for (unsigned v = 1; v < t->n_vertices; v++) {
        if (seen_v[v] != 2 || !seen_v[t->parent[v]]) {
            snprintf(err, errlen, "vertex %u or its parent is not defined by a segment", v);
            return PLC_ERR_FORMAT;
        }
        /* walking up must reach the transformer: no cycles */
        unsigned steps = 0;
        for (int u = (int)v; u > 0 && steps <= t->n_vertices; u = t->parent[u])
            steps++;
        if (steps > t->n_vertices) {
            snprintf(err, errlen, "segments form a cycle through vertex %u", v);
            return PLC_ERR_FORMAT;
        }
    }
    for (unsigned i = 0; i < nn; i++)
        if (t->node_vertex[i] >= t->n_vertices) {
            snprintf(err, errlen, "node %u sits on an undefined vertex", i);
            return PLC_ERR_FORMAT;
        }
    finalize(t);
    return PLC_OK;
}

static unsigned depth(const plc_topology *t, unsigned v)
{
    unsigned d = 0;
    while (t->parent[v] >= 0) {
        v = (unsigned)t->parent[v];
        d++;
    }
    return d;
}

/* Vertices from va to vb (both included) into path; returns the count. */
static unsigned path_of(const plc_topology *t, unsigned va, unsigned vb, unsigned *path)
{
    unsigned up_b[PLC_TOPO_MAX_VERTICES];
    unsigned na = 0, nb = 0, a = va, b = vb, da = depth(t, a), db = depth(t, b);
    while (da > db) {
        path[na++] = a;
        a = (unsigned)t->parent[a];
        da--;
    }
    while (db > da) {
        up_b[nb++] = b;
        b = (unsigned)t->parent[b];
        db--;
    }
    while (a != b) {
        path[na++] = a;
        up_b[nb++] = b;
        a = (unsigned)t->parent[a];
        b = (unsigned)t->parent[b];
    }
    path[na++] = a; /* the common ancestor */
    while (nb)
        path[na++] = up_b[--nb];
    return na;
}

static double path_length(const plc_topology *t, const unsigned *path, unsigned n)
{
    double len = 0;
    for (unsigned i = 0; i + 1 < n; i++) /* one of the two is the other's parent */
        len += t->parent[path[i]] == (int)path[i + 1] ? t->length_m[path[i]]
                                                       : t->length_m[path[i + 1]];
    return len;
}

double plc_topology_distance(const plc_topology *t, unsigned a, unsigned b,
                             unsigned *branch_points)
{
    unsigned path_buf[PLC_TOPO_MAX_VERTICES];
    const unsigned n = path_of(t, t->node_vertex[a], t->node_vertex[b], path_buf);
    if (branch_points) {
        *branch_points = 0;
        for (unsigned i = 1; i + 1 < n; i++)
            *branch_points += t->degree[path_buf[i]] > 2;
    }
    return path_length(t, path_buf, n);
}

double plc_topology_nearest_stub(const plc_topology *t, unsigned a, unsigned b)
{
    unsigned path_buf[PLC_TOPO_MAX_VERTICES];
    const unsigned n = path_of(t, t->node_vertex[a], t->node_vertex[b], path_buf);
    double best = 0;
    for (unsigned i = 1; i + 1 < n; i++) {
        const unsigned v = path_buf[i];
        if (t->degree[v] <= 2)
            continue;
        for (int u = t->first_child[v]; u >= 0; u = t->next_sibling[u])
            if ((unsigned)u != path_buf[i - 1] && (unsigned)u != path_buf[i + 1] &&
                (best == 0 || t->length_m[u] < best))
                best = t->length_m[u];
    }
    return best;
}
