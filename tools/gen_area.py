#!/usr/bin/env python3
"""Writes a dense transformer area as a sim/plc_topology file: the concentrator at the
transformer, FEEDERS radial feeders of POLES poles SPAN m apart, at each pole BUILDINGS
buildings on service cables, each a riser with METERS meters on short cables. Seeded, so
the file is reproducible.
  gen_area.py METERS [SEED] > area.txt    (sim/topologies/area1000.txt: 1000 meters, seed 1)"""
import random
import sys

FEEDERS, POLES, SPAN = 4, 21, 50
BUILDINGS, METERS_PER_BUILDING = 2, 6


def main():
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = [f"# a dense transformer area: {FEEDERS} feeders x {POLES} poles {SPAN} m apart, "
           f"{BUILDINGS} buildings a pole, up to {METERS_PER_BUILDING} meters a building "
           f"(tools/gen_area.py {want})", "node 0 0"]
    v, nid = 1, 1
    for f in range(FEEDERS):
        prev = 0
        for p in range(POLES):
            pole = v
            v += 1
            out.append(f"segment {pole} {prev} {SPAN + rng.randint(-5, 5)}")
            prev = pole
            for b in range(BUILDINGS):
                riser = v
                v += 1
                out.append(f"segment {riser} {pole} {rng.randint(10, 30)}")
                for m in range(METERS_PER_BUILDING):
                    if nid > want:
                        break
                    meter = v
                    v += 1
                    out.append(f"segment {meter} {riser} {rng.randint(3, 12)}")
                    out.append(f"node {nid} {meter}")
                    nid += 1
    if nid <= want:
        sys.exit(f"gen_area: only {nid - 1} meters fit the layout")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
