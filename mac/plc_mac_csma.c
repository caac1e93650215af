/* Channel access. Both schemes share the carrier sense (physical: the PHY's busy; virtual:
 * the NAV set from frames overheard, and an ACK of ours pending) and the contention period
 * G.9903 lays out after the medium goes idle: aCIFS, the contention-free slot (kept for the
 * next segment of a train), macHighPriorityWindowSize slots for high-priority frames, then
 * the normal window.
 *
 * G.9903 (default): unslotted CSMA/CA. NB = 0; wait random(0, CW - 1) slots into the
 * window; assess the channel; idle: send; busy: NB + 1, CW doubles (BE + 1) up to
 * 2^macMaxBE, and after NB > macMaxCSMABackoffs a channel access failure; otherwise wait
 * for the medium to go idle and draw again. CW starts at 2^macMinBE and is kept across
 * frames: additive decrease, multiplicative increase ([R] parameters, docs/mac.md): a
 * frame sent shrinks CW by macA x 2^macMinBE (not below 2^macMinBE); after
 * macMinCWAttempts frames in a row at the smallest CW it grows to macK x 2^macMinBE (a
 * node that keeps winning gives way); after macCSMAFairnessLimit busy assessments for one
 * frame CW falls back to 2^macMinBE (a node that keeps losing gets its turn). A frame
 * retried after a missing ACK draws from CW doubled per retry ([R]: two senders hidden from
 * each other draw apart). High-priority frames draw from the high-priority window, but
 * [R] only on their first attempt: a retry contends in the normal window like any other
 * (a sender whose peer is gone would otherwise take the line first at every idle, for
 * every retry, from all its neighbours).
 *
 * Adaptive (option): the window is 16 slots per node heard recently (all nodes in range
 * hear the same talkers, so they draw from the same window), doubled per retry, at most
 * 2^macMaxBE; the countdown runs one slot at a time only while the medium is idle and
 * every busy slot counts towards macMaxCSMABackoffs. */
#include "plc_mac_internal.h"

#define SLOTS_PER_CONTENDER 16u
#define TALKER_ACTIVE_US 10000000u /* adaptive: a source heard this recently contends */

void mac_nav_extend(plc_mac *m, uint64_t until)
{
    if (until > m->nav_until)
        m->nav_until = until;
}

int mac_medium_busy(plc_mac *m)
{
    return m->ack_pending || mac_now(m) < m->nav_until || m->phy.ops->busy(m->phy.phy);
}

static unsigned min_cw(const plc_mac *m)
{
    return 1u << m->pib.min_be;
}

static unsigned max_cw(const plc_mac *m)
{
    return 1u << m->pib.max_be;
}

static unsigned clamp_cw(const plc_mac *m, uint64_t cw)
{
    return cw < min_cw(m) ? min_cw(m) : cw > max_cw(m) ? max_cw(m) : (unsigned)cw;
}

/* ---- adaptive scheme: talkers heard ---- */
void mac_csma_heard(plc_mac *m, uint16_t src)
{
    mac_csma *c = &m->csma;
    unsigned slot = 0;
    for (unsigned i = 0; i < MAC_TALKERS; i++) {
        if (c->talkers[i].t && c->talkers[i].addr == src) {
            slot = i;
            break;
        }
        if (c->talkers[i].t < c->talkers[slot].t)
            slot = i;
    }
    c->talkers[slot].addr = src;
    c->talkers[slot].t = mac_now(m) + 1; /* 0 marks a free entry */
}

static unsigned adaptive_window(const plc_mac *m, unsigned retries)
{
    const uint64_t t = mac_now(m);
    unsigned n = 1;
    for (unsigned i = 0; i < MAC_TALKERS; i++)
        n += m->csma.talkers[i].t && t + 1 - m->csma.talkers[i].t < TALKER_ACTIVE_US;
    return clamp_cw(m, ((uint64_t)SLOTS_PER_CONTENDER * n) << (retries < 16 ? retries : 16));
}

/* ---- shared: waiting for the contention period ---- */
static void start_timer(plc_mac *m, uint64_t at)
{
    if (plc_timer_start_at(m->loop, &m->csma.timer, at) != PLC_OK) {
        m->cnt.timer_failures++;
        mac_output_channel_failure(m, PLC_ERR_FULL);
    }
}

static uint64_t draw(plc_mac *m, unsigned window)
{
    return (plc_rng_next(&m->rng) >> 11) % (window ? window : 1);
}

/* Waits for the medium (polled once a slot while the PHY hears a frame, woken at the end of
 * the NAV when only that holds it), then schedules the channel assessment. */
static void wait_idle(plc_mac *m)
{
    mac_csma *c = &m->csma;
    const uint64_t t = mac_now(m);
    if (mac_medium_busy(m)) {
        c->waiting_idle = 1;
        const int nav_only = !m->ack_pending && !m->phy.ops->busy(m->phy.phy);
        start_timer(m, nav_only ? m->nav_until : t + PLC_MAC_SLOT_US);
        return;
    }
    c->waiting_idle = 0;
    const unsigned hpw = m->pib.high_priority_window;
    const uint64_t period = t + PLC_MAC_CIFS_US + PLC_MAC_SLOT_US; /* after the CFS */
    if (m->pib.csma_scheme == PLC_MAC_CSMA_ADAPTIVE) { /* the countdown resumes */
        start_timer(m, period);
        return;
    }
    /* a frame retried after a missing ACK (a likely collision) draws from a window
     * doubled per retry, so two senders that collided draw apart */
    const unsigned r = m->retries < 16 ? m->retries : 16;
    const uint64_t slots = c->high_priority && !m->retries
                               ? draw(m, hpw)
                               : hpw + draw(m, clamp_cw(m, (uint64_t)c->cw << r));
    start_timer(m, period + slots * PLC_MAC_SLOT_US);
}

static void busy_assessment(plc_mac *m)
{
    mac_csma *c = &m->csma;
    m->cnt.csma_busy++;
    if (++c->nb > m->pib.max_csma_backoffs) {
        m->cnt.channel_access_failures++;
        mac_output_channel_failure(m, PLC_MAC_CHANNEL_ACCESS_FAILURE);
        return;
    }
    if (m->pib.csma_scheme == PLC_MAC_CSMA_G9903) {
        c->cw = clamp_cw(m, 2ull * c->cw);
        if (m->pib.csma_fairness_limit && c->nb >= m->pib.csma_fairness_limit)
            c->cw = min_cw(m);
    }
    wait_idle(m);
}

static void channel_clear(plc_mac *m)
{
    mac_csma *c = &m->csma;
    if (m->pib.csma_scheme == PLC_MAC_CSMA_G9903 && !c->high_priority) {
        const uint64_t step = (uint64_t)m->pib.mac_a * min_cw(m);
        c->cw = c->cw > min_cw(m) + step ? c->cw - (unsigned)step : min_cw(m);
        if (c->cw == min_cw(m) && m->pib.min_cw_attempts &&
            ++c->min_cw_count >= m->pib.min_cw_attempts) {
            c->cw = clamp_cw(m, (uint64_t)m->pib.mac_k * min_cw(m));
            c->min_cw_count = 0;
        } else if (c->cw != min_cw(m)) {
            c->min_cw_count = 0;
        }
    }
    mac_output_channel_clear(m);
}

static void on_timer(plc_loop *loop, plc_timer *t, void *user)
{
    (void)loop;
    (void)t;
    plc_mac *m = user;
    mac_csma *c = &m->csma;
    if (c->waiting_idle) {
        wait_idle(m);
        return;
    }
    if (m->pib.csma_scheme == PLC_MAC_CSMA_G9903) {
        if (mac_medium_busy(m))
            busy_assessment(m);
        else
            channel_clear(m);
        return;
    }
    /* adaptive: one slot of the countdown */
    if (mac_medium_busy(m)) {
        busy_assessment(m);
    } else if (c->slots_left == 0) {
        channel_clear(m);
    } else {
        c->slots_left--;
        start_timer(m, mac_now(m) + PLC_MAC_SLOT_US);
    }
}

void mac_csma_request(plc_mac *m, int high_priority)
{
    mac_csma *c = &m->csma;
    c->high_priority = high_priority;
    c->nb = 0;
    if (m->pib.csma_scheme == PLC_MAC_CSMA_ADAPTIVE) {
        const unsigned hpw = m->pib.high_priority_window;
        c->slots_left = (unsigned)(high_priority && !m->retries
                                       ? draw(m, hpw)
                                       : hpw + draw(m, adaptive_window(m, m->retries)));
    }
    wait_idle(m);
}

void mac_csma_cancel(plc_mac *m)
{
    plc_timer_stop(m->loop, &m->csma.timer);
    m->csma.waiting_idle = 0;
}

void mac_csma_init(plc_mac *m)
{
    m->csma.cw = min_cw(m);
    plc_timer_init(&m->csma.timer, on_timer, m);
}

void mac_csma_fini(plc_mac *m)
{
    plc_timer_stop(m->loop, &m->csma.timer);
}
