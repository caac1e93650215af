/* A low-voltage feeder as a tree of cable segments: vertex 0 is the transformer, every
 * other vertex hangs from its parent by a segment of known length. Nodes (the concentrator
 * and the meters) are attached at vertices. Generated from a seed or read from a file:
 *
 *   # comment
 *   segment <vertex> <parent> <length_m>     vertices numbered 1.. in any order
 *   node <id> <vertex>                       ids 0..N-1, each once
 */
#ifndef PLC_TOPOLOGY_H
#define PLC_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PLC_TOPO_MAX_VERTICES 8192
#define PLC_TOPO_MAX_NODES 4096

typedef struct plc_topology {
    unsigned n_vertices;
    int parent[PLC_TOPO_MAX_VERTICES];      /* -1 for vertex 0 */
    double length_m[PLC_TOPO_MAX_VERTICES]; /* segment from the parent */
    unsigned n_nodes;
    unsigned node_vertex[PLC_TOPO_MAX_NODES];
    /* derived by generate/load: cable ends per vertex, children as sibling lists */
    unsigned degree[PLC_TOPO_MAX_VERTICES];
    int first_child[PLC_TOPO_MAX_VERTICES], next_sibling[PLC_TOPO_MAX_VERTICES];
} plc_topology;

/* A transformer area: node 0, the concentrator, at the transformer, and radial feeders
 * from its bus, one per PLC_TOPO_METERS_PER_FEEDER meters (at least one), the meters dealt
 * to them in turn. Each feeder has a pole per 3 of its meters, 25-50 m apart along a main
 * line with side branches; each meter on a 5-30 m service cable from a pole. */
/* [R] LV areas leave the transformer on several feeders; one feeder of 1000 meters would
 * be a 12 km line 19 links deep, where narrowband concentrators serve 1024 meters over up
 * to 7 relay hops (../shared/spec/concentrator.md). 250 keeps each feeder as deep as the
 * 200-meter one (4 hop levels, 5 at 250). */
#define PLC_TOPO_METERS_PER_FEEDER 250
int plc_topology_generate(plc_topology *t, unsigned nodes, uint64_t seed);
/* Reads the file format above; on error returns a plc_err and writes a message
 * ("line 7: segment parent 12 not defined") into err. */
int plc_topology_load(plc_topology *t, const char *path, char *err, size_t errlen);
/* The same from an open stream (the message has no file name). */
int plc_topology_read(plc_topology *t, FILE *f, char *err, size_t errlen);
/* Cable length between two nodes and the number of branch points (vertices with more
 * than two cable ends) strictly between them. */
double plc_topology_distance(const plc_topology *t, unsigned a, unsigned b,
                             unsigned *branch_points);
/* Length of the shortest side cable leaving the path between a and b at a branch point
 * (a reflection source), or 0 when there is none. */
double plc_topology_nearest_stub(const plc_topology *t, unsigned a, unsigned b);

#endif
