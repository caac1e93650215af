/* Anti-replay: the highest frame counter accepted from each source (keyed by its nonce
 * address), in a table of replay_table_size entries apart from the neighbour table. A
 * secured frame is fresh when its counter is above the source's; for a source without an
 * entry, above the high-water mark of its hash bucket. When the table is full the entry
 * updated longest ago makes room and its counter is folded into its bucket's mark, so an
 * old frame of an evicted source still fails (its counter is at most the mark), while a
 * node never heard before is accepted on its first frame whose MIC checks. The price of
 * eviction: a source sharing a bucket with an evicted one must exceed that one's counter
 * (docs/mac.md); sizing the table for the nodes in range avoids it. The frame accepted
 * last from a source, sent again (its ACK was lost, and the retry came after the duplicate
 * memory forgot it), is a repeat: ACKed again, not delivered. */
#include "plc_mac_internal.h"

static unsigned bucket(uint64_t src)
{
    src ^= src >> 29;
    src *= 0xBF58476D1CE4E5B9ull;
    src ^= src >> 32;
    return (unsigned)(src % MAC_REPLAY_MARKS);
}

static mac_replay_entry *find(const plc_mac *m, uint64_t src)
{
    for (unsigned i = 0; i < m->replay_size; i++)
        if (m->replay[i].used && m->replay[i].src == src)
            return &m->replay[i];
    return NULL;
}

int mac_replay_check(const plc_mac *m, uint64_t src, uint32_t counter)
{
    const mac_replay_entry *e = find(m, src);
    if (e)
        return counter > e->counter ? MAC_REPLAY_FRESH
                                    : counter == e->counter ? MAC_REPLAY_REPEAT : MAC_REPLAY_OLD;
    return (int64_t)counter > m->replay_mark[bucket(src)] ? MAC_REPLAY_FRESH : MAC_REPLAY_OLD;
}

void mac_replay_accept(plc_mac *m, uint64_t src, uint32_t counter)
{
    mac_replay_entry *e = find(m, src);
    if (!e) {
        e = &m->replay[0];
        for (unsigned i = 0; i < m->replay_size && e->used; i++)
            if (!m->replay[i].used || m->replay[i].last < e->last)
                e = &m->replay[i];
        if (e->used) {
            int64_t *mark = &m->replay_mark[bucket(e->src)];
            if ((int64_t)e->counter > *mark)
                *mark = e->counter;
        }
        e->used = 1;
        e->src = src;
    }
    e->counter = counter;
    e->last = mac_now(m);
}
