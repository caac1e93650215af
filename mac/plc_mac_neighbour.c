/* Neighbour table: one entry per node heard (link modulation, tone map, LQI, per-carrier
 * SNR history). Sized at create (plc_mac_pib.neighbour_table_size). An entry unheard for
 * neighbour_ttl_s has aged: its link state is forgotten (the link falls back to ROBO and
 * asks for a tone map again). A new node finds room by evicting the least useful entry:
 * aged entries first, then those without a valid tone map, the one heard longest ago
 * among them. Anti-replay state is not kept here (plc_mac_replay.c), so eviction never
 * makes a node's secured frames look like replays. */
#include <math.h>
#include <string.h>

#include "plc_mac_internal.h"

#define SNR_MAX_AGE_US 10000000u /* a link's SNR history older than this is dropped */

static int aged(const plc_mac *m, const plc_mac_neighbour *n)
{
    return mac_now(m) - n->last_heard > (uint64_t)m->pib.neighbour_ttl_s * 1000000u;
}

static void nb_reset(plc_mac_neighbour *n, uint16_t addr, uint64_t now)
{
    memset(n, 0, sizeof(*n));
    n->short_addr = addr;
    n->mod = PLC_MOD_ROBO;
    n->tonemap = PLC_TONEMAP_ALL;
    n->last_heard = now;
}

plc_mac_neighbour *mac_nb_find(plc_mac *m, uint16_t a)
{
    for (unsigned i = 0; i < m->n_nb; i++) {
        plc_mac_neighbour *n = &m->nb[i];
        if (n->short_addr != a)
            continue;
        if (aged(m, n)) {
            m->cnt.neighbours_expired++;
            nb_reset(n, a, mac_now(m));
        }
        return n;
    }
    return NULL;
}

/* Larger is more worth keeping. */
static uint64_t usefulness(const plc_mac *m, const plc_mac_neighbour *n)
{
    if (aged(m, n))
        return 0;
    return (mac_nb_tonemap_valid(m, n) ? 1ull << 62 : 0) + n->last_heard + 1;
}

plc_mac_neighbour *mac_nb_get(plc_mac *m, uint16_t a)
{
    if (a == PLC_MAC_BROADCAST)
        return NULL;
    plc_mac_neighbour *n = mac_nb_find(m, a);
    if (n)
        return n;
    if (m->n_nb < m->pib.neighbour_table_size) {
        n = &m->nb[m->n_nb++];
    } else {
        n = &m->nb[0];
        for (unsigned i = 1; i < m->n_nb; i++)
            if (usefulness(m, &m->nb[i]) < usefulness(m, n))
                n = &m->nb[i];
        if (aged(m, n))
            m->cnt.neighbours_expired++;
        else
            m->cnt.neighbours_evicted++;
    }
    nb_reset(n, a, mac_now(m));
    return n;
}

const plc_mac_neighbour *plc_mac_neighbour_get(const plc_mac *m, uint16_t short_addr)
{
    for (unsigned i = 0; i < m->n_nb; i++)
        if (m->nb[i].short_addr == short_addr)
            return &m->nb[i];
    return NULL;
}

unsigned plc_mac_neighbour_count(const plc_mac *m)
{
    return m->n_nb;
}

int mac_nb_tonemap_valid(const plc_mac *m, const plc_mac_neighbour *n)
{
    return n && n->tonemap_valid_until > mac_now(m);
}

/* Keeps the per-carrier SNR of a neighbour's frame (it passed every check); frames older
 * than SNR_MAX_AGE_US say nothing about the link now and are forgotten. */
void mac_nb_snr_record(plc_mac *m, plc_mac_neighbour *n, const float *carrier_snr_db)
{
    if (mac_now(m) - n->snr_time > SNR_MAX_AGE_US)
        n->snr_frames = 0;
    n->snr_time = mac_now(m);
    int8_t *h = n->snr_half_db[n->snr_next];
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        const float v = 2.0f * carrier_snr_db[c];
        h[c] = (int8_t)(v > 127.0f ? 127 : v < -128.0f ? -128 : (int)lrintf(v));
    }
    n->snr_next = (uint8_t)((n->snr_next + 1) % PLC_MAC_SNR_HISTORY);
    if (n->snr_frames < PLC_MAC_SNR_HISTORY)
        n->snr_frames++;
}

/* The link's per-carrier SNR: the median over the last three frames, so that one frame
 * received through a collision (interference at its start drags its estimate down) does
 * not push the link into ROBO, while a lasting change shows after two frames. With fewer
 * frames known, the newest (the median with it counted twice). */
_Static_assert(PLC_MAC_SNR_HISTORY == 3, "mac_nb_snr_estimate takes the median of three");
void mac_nb_snr_estimate(const plc_mac_neighbour *n, float *snr_db)
{
    const unsigned k = n->snr_frames;
    const unsigned newest = (n->snr_next + PLC_MAC_SNR_HISTORY - 1) % PLC_MAC_SNR_HISTORY;
    for (unsigned c = 0; c < PLC_PHY_CARRIERS; c++) {
        int v = n->snr_half_db[newest][c];
        if (k == PLC_MAC_SNR_HISTORY) {
            const int a = n->snr_half_db[0][c], b = n->snr_half_db[1][c],
                      d = n->snr_half_db[2][c];
            v = a > b ? (b > d ? b : (a > d ? d : a)) : (a > d ? a : (b > d ? d : b));
        }
        snr_db[c] = 0.5f * (float)v;
    }
}

uint16_t mac_nb_ext_key(uint64_t e)
{
    return (uint16_t)(0x8000u | ((e ^ e >> 16 ^ e >> 32 ^ e >> 48) & 0x7FFEu));
}

/* [R] A joining device has no key, so no authenticated tone map can pass either way on its
 * hop: each end sends with the map it would ask for itself from the other's recent frames
 * (the attenuation of a line is the same both ways; the noise need not be, hence the extra
 * margin and the fall-back to ROBO after a failure). */
#define JOIN_EXTRA_MARGIN_DB 3.0f
#define JOIN_ROBO_AFTER_FAILURE_US 60000000u

int mac_nb_join_link(plc_mac *m, uint16_t key, plc_mac_link_choice *c)
{
    const plc_mac_neighbour *n = mac_nb_find(m, key);
    if (!n || !n->snr_frames || mac_now(m) - n->snr_time > SNR_MAX_AGE_US ||
        n->join_robo_until > mac_now(m))
        return 0;
    float snr[PLC_PHY_CARRIERS];
    mac_nb_snr_estimate(n, snr);
    *c = plc_mac_tonemap_choose(snr, PLC_MAC_TONEMAP_MARGIN_DB + JOIN_EXTRA_MARGIN_DB);
    return c->mod != PLC_MOD_ROBO;
}

void mac_nb_join_failed(plc_mac *m, uint16_t key)
{
    plc_mac_neighbour *n = mac_nb_find(m, key);
    if (n)
        n->join_robo_until = mac_now(m) + JOIN_ROBO_AFTER_FAILURE_US;
}
