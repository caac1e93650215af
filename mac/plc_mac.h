/* G3-style MAC over a PHY data service (plc_phy_service.h), driven by an event loop.
 *
 * Data service: plc_mac_data_request (unicast with acknowledgement, or broadcast); every
 * request that is accepted ends in exactly one confirm, with a plc_err status (PLC_OK, or
 * why not: no ACK, channel access failure, PHY refusal, no key, frame counter exhausted,
 * ...); a request refused at once returns its status and gets no confirm. Received MSDUs go
 * to the indication callback.
 *
 * The layer is split by job (the model is Contiki-NG's csma.c / csma-output.c /
 * csma-security.c):
 *   plc_mac.c            life cycle, PIB, queue, the data service entry points
 *   plc_mac_neighbour.c  neighbour table: sized at create, ageing, eviction; link SNR
 *   plc_mac_replay.c     anti-replay state, kept even for sources without table room
 *   plc_mac_csma.c       channel access: G.9903 CSMA/CA (default) or the adaptive scheme
 *   plc_mac_output.c     segmentation, transmission, ARQ, confirms
 *   plc_mac_input.c      reception: ACK/NACK, duplicates, reassembly, commands, beacons
 *   plc_mac_security.c   CCM* of frames and the outgoing frame counter with its persistence
 *
 * Segments: an MSDU of up to 400 bytes is cut into segments sized for the PSDU the
 * neighbour's tone map and modulation allow under the tone mask in force (macToneMask);
 * the receiver reassembles in order and acknowledges a segment only once reassembly has
 * taken it (a segment it cannot take is NACKed, so the sender never hears success for an
 * MSDU that was dropped).
 * ACK / NACK are PHY header-only frames carrying the FCS they answer, sent aRIFS after the
 * end of the frame; the sender waits aRIFS + aAckTime + PLC_MAC_ACK_LATENCY_US for them.
 * Link adaptation: tone map request / response (plc_mac_tonemap.h), valid for
 * macTMRTTL. Security: AES-128 CCM* ENC-MIC-32 with two group keys (plc_mac_sec.h).
 * Nothing is allocated after create; time only from the loop. */
#ifndef PLC_MAC_H
#define PLC_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "plc_err.h"
#include "plc_loop.h"
#include "plc_mac_frame.h"
#include "plc_mac_sec.h"
#include "plc_phy_service.h"

#define PLC_MAC_NO_SHORT 0xFFFE /* 802.15.4: the node uses its extended address */
/* RC_COORD at or above this: no route to the coordinator (not an agent: beacon requests
 * go unanswered, and devices take no such beacon) */
#define PLC_MAC_RC_NONE 0x7FFF

typedef enum plc_mac_csma_scheme {
    PLC_MAC_CSMA_G9903 = 0,    /* G.9903 unslotted CSMA/CA (plc_mac_csma.c) */
    PLC_MAC_CSMA_ADAPTIVE = 1, /* window sized by the talkers heard, countdown frozen while
                                * busy (this project's earlier scheme, docs/mac.md) */
} plc_mac_csma_scheme;

/* MAC PIB: attributes with their defaults (plc_mac_pib_default), set only through
 * plc_mac_set_pib, which checks them. [R]: a choice where our sources are silent,
 * documented in docs/mac.md. Time units (CENELEC-A): symbol 695 us, slot 2 symbols,
 * CIFS = RIFS = 8 symbols. */
typedef struct plc_mac_pib {
    uint16_t pan_id;                 /* 0x781D */
    uint16_t short_addr;             /* 0xFFFF: none yet */
    uint64_t ext_addr;               /* 0 */
    /* channel access */
    unsigned csma_scheme;            /* PLC_MAC_CSMA_G9903 */
    unsigned min_be;                 /* macMinBE 3 (0..max_be) */
    unsigned max_be;                 /* macMaxBE 8 (min_be..PLC_MAC_MAX_BE) */
    unsigned max_csma_backoffs;      /* macMaxCSMABackoffs 50 (0..255) */
    unsigned max_frame_retries;      /* macMaxFrameRetries 5 (0..10) */
    unsigned high_priority_window;   /* macHighPriorityWindowSize 7 slots (1..255) */
    unsigned csma_fairness_limit;    /* macCSMAFairnessLimit 25 [R]: after this many busy
                                      * channel assessments for one frame the window falls
                                      * back to 2^macMinBE (0: off) */
    unsigned mac_a;                  /* macA 8 [R]: a frame sent shrinks the window by
                                      * macA x 2^macMinBE slots (additive decrease) */
    unsigned mac_k;                  /* macK 5 [R]: after min_cw_attempts frames in a row at
                                      * the smallest window it grows to macK x 2^macMinBE */
    unsigned min_cw_attempts;        /* macMinCWAttempts 10 [R] (0: off) */
    /* link adaptation, reassembly, duplicates */
    uint64_t tonemask;               /* macToneMask: carriers the PHY may use,
                                      * PLC_TONEMASK_ALL; must match the PHY's */
    unsigned tonemap_ttl_s;          /* macTMRTTL: tone map validity, 600 s [R] (a missing ACK
                                      * drops the map at once: ROBO until a new one) */
    unsigned reassembly_timeout_ms;  /* 3000 [R]: a segment train must finish in this */
    unsigned duplicate_ttl_ms;       /* 5000 [R]: how long (source, sequence) is remembered */
    unsigned neighbour_ttl_s;        /* 1800 [R]: a neighbour unheard this long is forgotten */
    /* security */
    int security_enabled;            /* 0: send unsecured; secured frames are still accepted
                                      * when a key is installed */
    uint8_t key_index;               /* group master key used to send: 0 */
    uint32_t frame_counter;          /* macFrameCounter: next outgoing frame counter, 0;
                                      * restore it from the saved value after a restart */
    uint32_t frame_counter_reserve;  /* 4096 [R]: counters reserved per save (see
                                      * plc_mac_callbacks.save_frame_counter) */
    uint16_t rc_coord;               /* route cost to the coordinator, sent in beacons: 0xFFFF */
    /* sizes, fixed at create (plc_mac_set_pib refuses to change them) */
    unsigned neighbour_table_size;   /* 64; a concentrator wants 500+ (1..PLC_MAC_MAX_TABLE) */
    unsigned replay_table_size;      /* 0: the same as neighbour_table_size */
    unsigned queue_size;             /* MSDUs waiting, the one in progress included: 8 */
    unsigned reassembly_trains;      /* segment trains reassembled at once: 4 */
} plc_mac_pib;

#define PLC_MAC_MAX_BE 16
#define PLC_MAC_MAX_TABLE 4096

void plc_mac_pib_default(plc_mac_pib *pib);
/* Checks every attribute: PLC_OK or PLC_ERR_ARG (nothing is changed then). */
int plc_mac_pib_check(const plc_mac_pib *pib);

/* Durations (microseconds) of the CENELEC-A MAC time units. */
#define PLC_MAC_SYMBOL_US 695
#define PLC_MAC_SLOT_US (2 * PLC_MAC_SYMBOL_US)
#define PLC_MAC_CIFS_US (8 * PLC_MAC_SYMBOL_US)
#define PLC_MAC_RIFS_US (8 * PLC_MAC_SYMBOL_US)
#define PLC_MAC_ACK_US 15115u /* aAckTime: preamble + frame control header, 6046 samples */
#define PLC_MAC_EIFS_US ((uint64_t)PLC_MAC_SYMBOL_US * (252 + 8 + 8) + PLC_MAC_ACK_US)
/* What a receiver needs after an ACK's last sample to report it (the waveform receiver
 * works in 256-sample blocks: 0.64 ms), plus a slot of margin [R]. */
#define PLC_MAC_ACK_LATENCY_US (PLC_MAC_SLOT_US + 640u)
/* The sender's wait for an ACK, from the end of its frame (plus twice the PHY's reported
 * indication latency, plc_phy_ops.latency_us). */
#define PLC_MAC_ACK_WAIT_US (PLC_MAC_RIFS_US + PLC_MAC_ACK_US + PLC_MAC_ACK_LATENCY_US)

/* Confirm statuses: codes of the one error space (plc_err.h, plc_strerror). */
typedef enum plc_mac_status {
    PLC_MAC_SUCCESS = PLC_OK,
    PLC_MAC_NO_ACK = PLC_ERR_NO_ACK,
    PLC_MAC_CHANNEL_ACCESS_FAILURE = PLC_ERR_CHANNEL_ACCESS,
    PLC_MAC_TRANSACTION_OVERFLOW = PLC_ERR_QUEUE_FULL,
    PLC_MAC_INVALID_PARAMETER = PLC_ERR_ARG,
    PLC_MAC_MSDU_TOO_LONG = PLC_ERR_MSDU_TOO_LONG,
    PLC_MAC_UNAVAILABLE_KEY = PLC_ERR_NO_KEY,
    PLC_MAC_COUNTER_ERROR = PLC_ERR_COUNTER_EXHAUSTED,
    PLC_MAC_PHY_REFUSED = PLC_ERR_PHY_REFUSED,
} plc_mac_status;

typedef struct plc_mac_data_request {
    uint16_t dst;          /* short address, PLC_MAC_BROADCAST for everyone */
    uint64_t dst_ext;      /* non-zero: to this EUI-64 instead (dst ignored). A frame to an
                            * EUI-64, or from a node without a short address (sent from its
                            * pib.ext_addr), is join traffic: it goes in clear, and a receiver
                            * with security on takes it (secured = 0) for the upper layer to
                            * filter (G3: only LBP may arrive so) */
    const uint8_t *msdu;   /* copied by the request */
    size_t len;            /* 1..PLC_MAC_MAX_MSDU */
    uint8_t handle;        /* returned in the confirm */
    int high_priority;     /* contend in the high-priority window */
} plc_mac_data_req;

typedef struct plc_mac_data_indication {
    uint16_t src, dst;     /* PLC_MAC_NO_SHORT when the frame used an EUI-64 instead */
    uint64_t src_ext, dst_ext; /* the EUI-64s the frame used, 0 when short */
    const uint8_t *msdu;
    size_t len;
    uint8_t lqi;           /* of the last segment */
    float snr_db;
    int secured;
    plc_modulation mod;    /* of the last segment */
} plc_mac_data_indication;

typedef struct plc_mac_callbacks {
    void (*confirm)(void *user, uint8_t handle, int status);
    void (*indication)(void *user, const plc_mac_data_indication *ind);
    /* a beacon heard: its sender and route cost (may be NULL) */
    void (*beacon)(void *user, uint16_t src, uint16_t rc_coord, uint8_t lqi);
    /* every 802.15.4 frame sent (outgoing 1) or received intact (0), segment control
     * stripped, FCS included: for capture files (may be NULL) */
    void (*tap)(void *user, const uint8_t *frame, size_t len, int outgoing);
    /* Frame counter persistence (may be NULL: the counter lives in RAM only). Called before
     * the first secured frame uses a counter at or above the last reserved value, with the
     * new reservation `reserved` = counter + frame_counter_reserve: the user stores it
     * durably and returns PLC_OK; after a restart the MAC is created with frame_counter =
     * the stored value. Every counter used lies below a stored reservation, so a crash at
     * any moment never reuses one (the cost: up to frame_counter_reserve counters skipped
     * per restart). A failed save refuses the frame (PLC_ERR_COUNTER_SAVE). */
    int (*save_frame_counter)(void *user, uint32_t reserved);
    void *user;
} plc_mac_callbacks;

typedef struct plc_mac_counters {
    uint64_t tx_frames;           /* frames put on the line (retries included, ACKs not) */
    uint64_t tx_retries;
    uint64_t tx_acks;             /* ACKs sent */
    uint64_t tx_nacks;            /* NACKs sent */
    uint64_t acks_not_sent;       /* ACK/NACK the PHY could not send in time */
    uint64_t tx_msdu_ok, tx_msdu_failed;
    uint64_t channel_access_failures;
    uint64_t csma_busy;           /* carrier sense found the medium busy */
    uint64_t phy_refused;         /* frames the PHY would not send (confirmed as such) */
    uint64_t timer_failures;      /* a timer could not be started (confirmed as failure) */
    uint64_t queue_overflows;     /* requests refused: queue full (data and MAC's own) */
    uint64_t rx_frames;           /* intact frames for this node */
    uint64_t rx_msdu;
    uint64_t rx_payload_failed;   /* header decoded, payload not (EIFS applied) */
    uint64_t fcs_errors;
    uint64_t malformed;           /* other codec errors, unknown commands */
    uint64_t decryption_errors;
    uint64_t unsecured_refused;   /* unsecured data while security is on */
    uint64_t replays;             /* frame counter not above the source's last */
    uint64_t duplicates;
    uint64_t reassembly_timeouts; /* trains given up (the sender was told SUCCESS for none) */
    uint64_t reassembly_refused;  /* segments NACKed: no train free, out of order, too long */
    uint64_t nacks_received;
    uint64_t tonemap_responses;   /* received */
    uint64_t tonemap_unauthenticated; /* tone map responses ignored: unsecured, security on */
    uint64_t join_link_sent;      /* join-hop MSDUs sent above ROBO (from the reverse link) */
    uint64_t join_link_failed;    /* ... of them failed after every retry: that peer in ROBO for 60 s */
    uint64_t no_key;              /* secured frames for a key not installed */
    uint64_t neighbours_evicted;  /* entries replaced to make room */
    uint64_t neighbours_expired;  /* entries aged out */
    uint64_t counter_saves;       /* frame counter reservations stored */
    uint64_t beacons_suppressed;  /* beacon answers not sent: enough neighbours as good did */
} plc_mac_counters;

#define PLC_MAC_SNR_HISTORY 3

typedef struct plc_mac_neighbour {
    uint16_t short_addr;
    plc_modulation mod;           /* to send to it */
    uint8_t tonemap;
    uint64_t tonemap_valid_until; /* loop us; 0: unknown (ROBO) */
    uint8_t lqi;                  /* of its last frame */
    uint64_t last_heard;          /* loop us of its last intact frame */
    /* per-carrier SNR of its last PLC_MAC_SNR_HISTORY frames to us, 0.5 dB steps */
    int8_t snr_half_db[PLC_MAC_SNR_HISTORY][PLC_PHY_CARRIERS];
    uint8_t snr_frames;           /* how many of them are filled */
    uint64_t snr_time;            /* loop us of the last one */
    uint8_t snr_next;
    uint64_t join_robo_until;     /* loop us: the join hop goes in ROBO until then */
    uint64_t tx_frames, tx_retries, tx_failures;
} plc_mac_neighbour;

typedef struct plc_mac plc_mac;

/* sec may be NULL (no security); it stays owned by the caller. seed feeds the backoff
 * draws (the same seed gives the same run). NULL when pib fails plc_mac_pib_check. */
plc_mac *plc_mac_create(const plc_mac_pib *pib, uint64_t seed, plc_loop *loop,
                        plc_phy_service phy, plc_mac_sec *sec, const plc_mac_callbacks *cb);
void plc_mac_destroy(plc_mac *m);
void plc_mac_get_pib(const plc_mac *m, plc_mac_pib *pib);
/* Checks and applies a whole PIB: PLC_ERR_ARG (nothing changed) for a bad value or a
 * change of a size fixed at create. */
int plc_mac_set_pib(plc_mac *m, const plc_mac_pib *pib);
/* Queues an MSDU: PLC_OK (a confirm follows), or the status when refused at once. */
int plc_mac_data_request(plc_mac *m, const plc_mac_data_req *rq);
/* Sends a beacon request (command 0x07) as a broadcast. */
int plc_mac_beacon_request(plc_mac *m);
/* Sends one beacon unasked (RC_COORD from the PIB): a node that just joined tells the
 * devices around it, waiting to join, that it is an agent. PLC_ERR_NO_ROUTE while
 * RC_COORD is PLC_MAC_RC_NONE or above. */
int plc_mac_beacon_send(plc_mac *m);
void plc_mac_get_counters(const plc_mac *m, plc_mac_counters *c);
/* The neighbour entry of a short address, NULL if none. */
const plc_mac_neighbour *plc_mac_neighbour_get(const plc_mac *m, uint16_t short_addr);
unsigned plc_mac_neighbour_count(const plc_mac *m);
/* MSDUs waiting (the one in progress included). */
unsigned plc_mac_queue_length(const plc_mac *m);

#endif
