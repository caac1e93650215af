/* MAC life cycle, PIB, queue and the data service entry points. */
#include <stdlib.h>
#include <string.h>

#include "plc_mac_internal.h"

void plc_mac_pib_default(plc_mac_pib *pib)
{
    memset(pib, 0, sizeof(*pib));
    pib->pan_id = 0x781D;
    pib->short_addr = 0xFFFF;
    pib->csma_scheme = PLC_MAC_CSMA_G9903;
    pib->min_be = 3;
    pib->max_be = 8;
    pib->max_csma_backoffs = 50;
    pib->max_frame_retries = 5;
    pib->high_priority_window = 7;
    pib->csma_fairness_limit = 25;
    pib->mac_a = 8;
    pib->mac_k = 5;
    pib->min_cw_attempts = 10;
    pib->tonemask = PLC_TONEMASK_ALL;
    pib->tonemap_ttl_s = 600;
    pib->reassembly_timeout_ms = 3000;
    pib->duplicate_ttl_ms = 5000;
    pib->neighbour_ttl_s = 1800;
    pib->frame_counter_reserve = 4096;
    pib->rc_coord = 0xFFFF;
    pib->neighbour_table_size = 64;
    pib->queue_size = 8;
    pib->reassembly_trains = 4;
}

/* The tone mask leaves at least one whole tone-map group, so ROBO can be sent. */
static int tonemask_usable(uint64_t mask)
{
    uint8_t idx[PLC_PHY_CARRIERS];
    return (mask & ~PLC_TONEMASK_ALL) == 0 && plc_active_carriers(PLC_TONEMAP_ALL, mask, idx) > 0;
}

int plc_mac_pib_check(const plc_mac_pib *p)
{
    if (!p || p->csma_scheme > PLC_MAC_CSMA_ADAPTIVE || p->max_be > PLC_MAC_MAX_BE ||
        p->min_be > p->max_be || p->max_csma_backoffs > 255 || p->max_frame_retries > 10 ||
        p->high_priority_window < 1 || p->high_priority_window > 255 || p->mac_a > 255 ||
        p->mac_k > 255 || p->csma_fairness_limit > 255 || p->min_cw_attempts > 255 ||
        !tonemask_usable(p->tonemask) || p->tonemap_ttl_s < 1 || p->tonemap_ttl_s > 86400 ||
        p->reassembly_timeout_ms < 100 || p->reassembly_timeout_ms > 600000 ||
        p->duplicate_ttl_ms < 100 || p->duplicate_ttl_ms > 600000 || p->neighbour_ttl_s < 1 ||
        p->neighbour_ttl_s > 7 * 86400 || p->key_index >= PLC_MAC_KEYS ||
        p->frame_counter_reserve < 1 || p->neighbour_table_size < 1 ||
        p->neighbour_table_size > PLC_MAC_MAX_TABLE || p->replay_table_size > PLC_MAC_MAX_TABLE ||
        p->queue_size < 1 || p->queue_size > 255 || p->reassembly_trains < 1 ||
        p->reassembly_trains > 64 || p->short_addr == 0xFFFE)
        return PLC_ERR_ARG;
    return PLC_OK;
}

plc_mac *plc_mac_create(const plc_mac_pib *pib, uint64_t seed, plc_loop *loop,
                        plc_phy_service phy, plc_mac_sec *sec, const plc_mac_callbacks *cb)
{
    if (plc_mac_pib_check(pib) != PLC_OK || !loop || !phy.ops || !phy.phy)
        return NULL;
    plc_mac *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->pib = *pib;
    m->replay_size = pib->replay_table_size ? pib->replay_table_size : pib->neighbour_table_size;
    m->nb = calloc(pib->neighbour_table_size, sizeof(*m->nb));
    m->replay = calloc(m->replay_size, sizeof(*m->replay));
    m->q = calloc(pib->queue_size, sizeof(*m->q));
    m->trains = calloc(pib->reassembly_trains, sizeof(*m->trains));
    m->n_dups = pib->neighbour_table_size > MAC_DUPS_MIN ? pib->neighbour_table_size : MAC_DUPS_MIN;
    m->dups = calloc(m->n_dups, sizeof(*m->dups));
    if (!m->nb || !m->replay || !m->q || !m->trains || !m->dups) {
        free(m->dups);
        free(m->nb);
        free(m->replay);
        free(m->q);
        free(m->trains);
        free(m);
        return NULL;
    }
    m->loop = loop;
    m->phy = phy;
    m->sec = sec;
    if (cb)
        m->cb = *cb;
    plc_rng_seed(&m->rng, seed);
    m->seq = (uint8_t)plc_rng_next(&m->rng);
    m->fc_reserved = pib->frame_counter;
    for (unsigned i = 0; i < MAC_REPLAY_MARKS; i++)
        m->replay_mark[i] = -1;
    mac_output_init(m);
    mac_csma_init(m);
    mac_input_init(m);
    return m;
}

void plc_mac_destroy(plc_mac *m)
{
    if (!m)
        return;
    plc_timer_stop(m->loop, &m->t_tx);
    mac_csma_fini(m);
    mac_input_fini(m);
    m->phy.ops->set_user(m->phy.phy, NULL);
    free(m->nb);
    free(m->replay);
    free(m->q);
    free(m->trains);
    free(m->dups);
    free(m);
}

void plc_mac_get_pib(const plc_mac *m, plc_mac_pib *pib)
{
    *pib = m->pib;
}

int plc_mac_set_pib(plc_mac *m, const plc_mac_pib *pib)
{
    if (!m || plc_mac_pib_check(pib) != PLC_OK ||
        pib->neighbour_table_size != m->pib.neighbour_table_size ||
        pib->replay_table_size != m->pib.replay_table_size ||
        pib->queue_size != m->pib.queue_size ||
        pib->reassembly_trains != m->pib.reassembly_trains)
        return PLC_ERR_ARG;
    if (pib->frame_counter != m->pib.frame_counter)
        m->fc_reserved = pib->frame_counter; /* restored or reset (rekey): nothing reserved */
    m->pib = *pib;
    return PLC_OK;
}

int mac_enqueue(plc_mac *m, const mac_item *it)
{
    if (m->q_len == m->pib.queue_size) {
        m->cnt.queue_overflows++;
        return PLC_MAC_TRANSACTION_OVERFLOW;
    }
    m->q[(m->q_head + m->q_len) % m->pib.queue_size] = *it;
    m->q_len++;
    mac_output_start_next(m);
    return PLC_OK;
}

int plc_mac_data_request(plc_mac *m, const plc_mac_data_req *rq)
{
    if (!m || !rq || !rq->msdu || rq->len == 0 || rq->len > PLC_MAC_MAX_MSDU ||
        (!rq->dst_ext && rq->dst == PLC_MAC_NO_SHORT) ||
        (m->pib.short_addr == 0xFFFF && (!m->pib.ext_addr || rq->dst == PLC_MAC_BROADCAST)))
        return PLC_MAC_INVALID_PARAMETER;
    mac_item it = {.kind = ITEM_DATA, .dst = rq->dst_ext ? PLC_MAC_NO_SHORT : rq->dst,
                   .dst_ext = rq->dst_ext, .handle = rq->handle,
                   .high_priority = rq->high_priority, .len = rq->len};
    memcpy(it.data, rq->msdu, rq->len);
    return mac_enqueue(m, &it);
}

int plc_mac_beacon_request(plc_mac *m)
{
    mac_item it = {.kind = ITEM_BEACON_REQUEST, .dst = PLC_MAC_BROADCAST, .len = 1};
    it.data[0] = PLC_MAC_CMD_BEACON_REQUEST;
    return mac_enqueue(m, &it);
}

int plc_mac_beacon_send(plc_mac *m)
{
    if (m->pib.rc_coord >= PLC_MAC_RC_NONE)
        return PLC_ERR_NO_ROUTE;
    mac_item it = {.kind = ITEM_BEACON, .dst = PLC_MAC_BROADCAST, .high_priority = 1,
                   .len = PLC_MAC_BEACON_LEN};
    plc_mac_beacon_encode(m->pib.rc_coord, m->pib.rc_coord == 0, it.data);
    return mac_enqueue(m, &it);
}

void plc_mac_get_counters(const plc_mac *m, plc_mac_counters *c)
{
    *c = m->cnt;
}

unsigned plc_mac_queue_length(const plc_mac *m)
{
    return m->q_len;
}
