/* Internals shared by the MAC's files (plc_mac.h lists them and their jobs). Nothing
 * outside mac/ includes this header. */
#ifndef PLC_MAC_INTERNAL_H
#define PLC_MAC_INTERNAL_H

#include "plc_mac.h"
#include "plc_mac_tonemap.h"
#include "plc_rng.h"

#define MAC_DUPS_MIN 32          /* (source, sequence) pairs remembered, at least */
#define MAC_TALKERS 64           /* adaptive CSMA: sources heard recently */
#define MAC_REPLAY_MARKS 64
#define MAC_BEACON_JITTER_US 2000000u
#define MAC_BEACON_REDUNDANCY 3      /* anti-replay high-water marks of evicted sources */

typedef enum { ITEM_DATA, ITEM_TONEMAP_RESPONSE, ITEM_BEACON_REQUEST, ITEM_BEACON } mac_item_kind;

typedef struct mac_item {
    mac_item_kind kind;
    uint16_t dst;            /* PLC_MAC_NO_SHORT when dst_ext is used */
    uint64_t dst_ext;
    uint8_t handle;
    int high_priority;
    size_t len;
    uint8_t data[PLC_MAC_MAX_MSDU];
} mac_item;


typedef enum { TX_IDLE, TX_CSMA, TX_CFS_WAIT, TX_SENDING, TX_WAIT_ACK } mac_tx_state;

typedef struct mac_dup {
    uint16_t src;
    uint8_t seq;
    uint64_t t;
    int used;
} mac_dup;

typedef struct mac_train {
    struct plc_mac *mac;
    uint16_t src;
    uint8_t next_sc;
    int secured;
    size_t len;
    uint8_t buf[PLC_MAC_MAX_MSDU];
    plc_timer timeout;
    int used;
} mac_train;

typedef struct mac_replay_entry {
    uint64_t src;            /* nonce address of the source */
    uint32_t counter;        /* highest frame counter accepted from it */
    uint64_t last;           /* loop us it was last updated */
    int used;
} mac_replay_entry;

/* Channel access state (plc_mac_csma.c). */
typedef struct mac_csma {
    int high_priority;
    unsigned nb;             /* busy assessments for the frame at hand */
    unsigned cw;             /* G.9903: normal contention window in slots, kept across frames */
    unsigned min_cw_count;   /* G.9903: frames in a row sent at the smallest window */
    unsigned slots_left;     /* backoff left */
    int waiting_idle;        /* deferring until the medium is idle */
    plc_timer timer;
    struct { uint16_t addr; uint64_t t; } talkers[MAC_TALKERS];
} mac_csma;

struct plc_mac {
    plc_mac_pib pib;
    plc_loop *loop;
    plc_phy_service phy;
    plc_mac_sec *sec;
    plc_mac_callbacks cb;
    plc_rng rng;
    plc_mac_counters cnt;
    /* neighbours (plc_mac_neighbour.c) */
    plc_mac_neighbour *nb;
    unsigned n_nb;
    /* anti-replay (plc_mac_replay.c) */
    mac_replay_entry *replay;
    unsigned replay_size;
    int64_t replay_mark[MAC_REPLAY_MARKS];
    /* transmit side (plc_mac_output.c) */
    mac_item *q;
    unsigned q_head, q_len;
    mac_tx_state state;
    unsigned retries;
    unsigned seg_index, seg_count;
    size_t seg_room;         /* MSDU bytes per segment */
    plc_modulation mod;
    uint8_t tonemap;
    int tmr;                 /* ask for a tone map with this MSDU */
    uint8_t seq;
    uint8_t psdu[255];
    size_t psdu_len;
    uint16_t psdu_fcs;
    int want_ack;
    plc_timer t_tx;          /* contention-free slot, ACK timeout */
    mac_csma csma;
    /* outgoing frame counter (plc_mac_security.c) */
    uint32_t fc_reserved;    /* counters below this are covered by a saved reservation */
    /* ACK / NACK to send (plc_mac_input.c) */
    plc_timer t_ack;
    uint8_t ack_dt;
    uint16_t ack_fcs;
    int ack_pending, sending_ack;
    uint64_t nav_until;      /* virtual carrier sense, loop us */
    /* receive side (plc_mac_input.c) */
    mac_dup *dups;           /* max(MAC_DUPS_MIN, neighbour_table_size): one frame per
                              * neighbour at least, so a retry is still known as one */
    unsigned n_dups, dup_next;
    mac_train *trains;
    /* a beacon request's answer waits random(0, MAC_BEACON_JITTER_US) and is dropped when
     * MAC_BEACON_REDUNDANCY beacons at least as good were heard meanwhile [R] */
    plc_timer t_beacon;
    unsigned beacons_heard;
    uint8_t tx_scratch[256], rx_scratch[256];
};

static inline uint64_t mac_now(const plc_mac *m)
{
    return plc_loop_now_us(m->loop);
}

/* plc_mac.c */
int mac_enqueue(plc_mac *m, const mac_item *it);
static inline mac_item *mac_head(plc_mac *m)
{
    return &m->q[m->q_head];
}

/* plc_mac_neighbour.c */
plc_mac_neighbour *mac_nb_find(plc_mac *m, uint16_t addr);
/* Finds or makes the entry (evicting the least useful one when full); NULL for broadcast. */
plc_mac_neighbour *mac_nb_get(plc_mac *m, uint16_t addr);
int mac_nb_tonemap_valid(const plc_mac *m, const plc_mac_neighbour *n);
void mac_nb_snr_record(plc_mac *m, plc_mac_neighbour *n, const float *carrier_snr_db);
void mac_nb_snr_estimate(const plc_mac_neighbour *n, float *snr_db);
/* The table key of a node known by its EUI-64 only (a joining device): a 16-bit fold with
 * the top bit set, apart from every unicast short address [R]. */
uint16_t mac_nb_ext_key(uint64_t ext);
/* The join hop's link, chosen from the reverse link (docs/mac.md): 1 and *c, or 0 (ROBO). */
int mac_nb_join_link(plc_mac *m, uint16_t key, plc_mac_link_choice *c);
/* A join hop failed: ROBO to that peer for a while. */
void mac_nb_join_failed(plc_mac *m, uint16_t key);

/* plc_mac_replay.c: a frame counter from src is fresh, the last one accepted again, or old */
enum { MAC_REPLAY_FRESH, MAC_REPLAY_REPEAT, MAC_REPLAY_OLD };
int mac_replay_check(const plc_mac *m, uint64_t src, uint32_t counter);
void mac_replay_accept(plc_mac *m, uint64_t src, uint32_t counter);

/* plc_mac_csma.c */
void mac_csma_init(plc_mac *m);
void mac_csma_fini(plc_mac *m);
/* Starts channel access for the frame at hand; the MAC is called back with
 * mac_output_channel_clear or mac_output_channel_failure (m->retries: missing ACKs so far). */
void mac_csma_request(plc_mac *m, int high_priority);
void mac_csma_cancel(plc_mac *m);
void mac_csma_heard(plc_mac *m, uint16_t src); /* a frame from src was heard */
int mac_medium_busy(plc_mac *m);
void mac_nav_extend(plc_mac *m, uint64_t until);

/* plc_mac_output.c */
void mac_output_init(plc_mac *m);
void mac_output_start_next(plc_mac *m);
void mac_output_channel_clear(plc_mac *m);
void mac_output_channel_failure(plc_mac *m, int status);
void mac_output_phy_confirm(plc_mac *m, int status);
void mac_output_ack(plc_mac *m, uint8_t dt, uint16_t fcs); /* ACK/NACK heard */

/* plc_mac_input.c */
void mac_input_init(plc_mac *m);
void mac_input_fini(plc_mac *m);
void mac_input_rx(plc_mac *m, const plc_phy_rx_ind *ind);
int mac_input_ack_confirm(plc_mac *m); /* 1 when the PHY confirm was for our ACK */

/* plc_mac_security.c */
uint64_t mac_nonce_addr(const plc_mac_frame *f);
/* Takes the next outgoing frame counter (persisting a reservation when due). */
int mac_sec_next_counter(plc_mac *m, uint32_t *counter);
int mac_sec_protect(plc_mac *m, plc_mac_frame *f, uint8_t *payload, size_t len);
/* Checks and decrypts a received secured frame into out (len bytes, MIC stripped). */
int mac_sec_unprotect(plc_mac *m, const plc_mac_frame *f, const uint8_t *mhr, uint8_t *out,
                      size_t *len);

#endif
