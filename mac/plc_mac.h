/* G3-style MAC over a PHY data service (plc_phy_service.h), driven by an event loop.
 *
 * Data service: plc_mac_data_request (unicast with acknowledgement, or broadcast) ->
 * confirm callback; received MSDUs -> indication callback. An MSDU of up to 400 bytes is cut
 * into segments sized for the PSDU the neighbour's current tone map and modulation allow;
 * each segment is one 802.15.4 frame (its own sequence number, security and FCS) behind a
 * segment control; the receiver reassembles in order and gives up after a timeout.
 * Channel access: unslotted CSMA/CA with physical carrier sense (the PHY's busy) and
 * virtual carrier sense (a NAV set from frames overheard: the rest of an exchange, or EIFS
 * after a frame that failed its FCS); high-priority frames contend in the first
 * high_priority_window slots, normal ones after it; the next segment of a train goes in the
 * contention-free slot after CIFS.
 * ACK / NACK are PHY header-only frames carrying the FCS they answer, sent RIFS after the
 * frame; retries up to max_frame_retries; duplicates (source, sequence number) are
 * acknowledged again and dropped.
 * Link adaptation: a sender without a valid tone map for a neighbour sends in ROBO with the
 * tone map request bit; the receiver answers with a tone map response chosen from the
 * per-carrier SNR it measured (plc_mac_tonemap.h); the map is valid for tonemap_ttl_s; an
 * MSDU that fails after every retry drops the neighbour back to ROBO.
 * Security: AES-128 CCM* ENC-MIC-32 with two group keys (plc_mac_sec.h), per-neighbour
 * anti-replay on the 32-bit frame counter.
 * Nothing is allocated after create; time only from the loop. */
#ifndef PLC_MAC_H
#define PLC_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "plc_loop.h"
#include "plc_mac_frame.h"
#include "plc_mac_sec.h"
#include "plc_phy_service.h"

/* MAC PIB: attributes with their defaults (plc_mac_pib_default). Time units (CENELEC-A):
 * symbol 695 us, slot 2 symbols, CIFS = RIFS = 8 symbols. */
typedef struct plc_mac_pib {
    uint16_t pan_id;                 /* 0x781D */
    uint16_t short_addr;             /* 0xFFFF: none yet */
    uint64_t ext_addr;               /* 0 */
    unsigned min_be;                 /* macMinBE 3 */
    unsigned max_be;                 /* macMaxBE 8 */
    unsigned max_csma_backoffs;      /* macMaxCSMABackoffs 50 */
    unsigned max_frame_retries;      /* macMaxFrameRetries 5 */
    unsigned high_priority_window;   /* macHighPriorityWindowSize 7 slots [R] */
    unsigned tonemap_ttl_s;          /* macTMRTTL: tone map validity, 120 s [R] */
    unsigned reassembly_timeout_ms;  /* 3000 [R]: a segment train must finish in this */
    unsigned duplicate_ttl_ms;       /* 5000 [R]: how long (source, sequence) is remembered */
    int security_enabled;            /* 0: send unsecured; secured frames are still accepted
                                      * when a key is installed */
    uint8_t key_index;               /* group master key used to send: 0 */
    uint16_t rc_coord;               /* route cost to the coordinator, sent in beacons: 0xFFFF */
} plc_mac_pib;

void plc_mac_pib_default(plc_mac_pib *pib);

/* Durations (microseconds) of the CENELEC-A MAC time units. */
#define PLC_MAC_SYMBOL_US 695
#define PLC_MAC_SLOT_US (2 * PLC_MAC_SYMBOL_US)
#define PLC_MAC_CIFS_US (8 * PLC_MAC_SYMBOL_US)
#define PLC_MAC_RIFS_US (8 * PLC_MAC_SYMBOL_US)
#define PLC_MAC_ACK_US 15115u /* aAckTime: preamble + frame control header, 6046 samples */
#define PLC_MAC_EIFS_US ((uint64_t)PLC_MAC_SYMBOL_US * (252 + 8 + 8) + PLC_MAC_ACK_US)

typedef enum plc_mac_status {
    PLC_MAC_SUCCESS = 0,
    PLC_MAC_NO_ACK = 1,                 /* no ACK after every retry (or NACKed) */
    PLC_MAC_CHANNEL_ACCESS_FAILURE = 2, /* medium busy for max_csma_backoffs + 1 attempts */
    PLC_MAC_TRANSACTION_OVERFLOW = 3,   /* queue full */
    PLC_MAC_INVALID_PARAMETER = 4,      /* MSDU too long, bad address */
    PLC_MAC_MSDU_TOO_LONG = 5,          /* needs more than 64 segments */
    PLC_MAC_UNAVAILABLE_KEY = 6,        /* security asked for without the key */
} plc_mac_status;

const char *plc_mac_status_name(int status);

typedef struct plc_mac_data_request {
    uint16_t dst;          /* short address, PLC_MAC_BROADCAST for everyone */
    const uint8_t *msdu;   /* copied by the request */
    size_t len;            /* 1..PLC_MAC_MAX_MSDU */
    uint8_t handle;        /* returned in the confirm */
    int high_priority;     /* contend in the high-priority window */
} plc_mac_data_req;

typedef struct plc_mac_data_indication {
    uint16_t src, dst;
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
    void *user;
} plc_mac_callbacks;

typedef struct plc_mac_counters {
    uint64_t tx_frames;           /* frames put on the line (retries included, ACKs not) */
    uint64_t tx_retries;
    uint64_t tx_acks;             /* ACKs and NACKs sent */
    uint64_t tx_msdu_ok, tx_msdu_failed;
    uint64_t channel_access_failures;
    uint64_t csma_busy;           /* carrier sense found the medium busy */
    uint64_t rx_frames;           /* intact frames for this node */
    uint64_t rx_msdu;
    uint64_t fcs_errors;
    uint64_t malformed;           /* other codec errors */
    uint64_t decryption_errors;
    uint64_t replays;             /* frame counter not above the neighbour's last */
    uint64_t duplicates;
    uint64_t reassembly_timeouts;
    uint64_t nacks_received;
    uint64_t tonemap_responses;   /* received */
    uint64_t no_key;              /* secured frames for a key not installed */
} plc_mac_counters;

#define PLC_MAC_MAX_NEIGHBOURS 64
#define PLC_MAC_SNR_HISTORY 3

typedef struct plc_mac_neighbour {
    uint16_t short_addr;
    plc_modulation mod;           /* to send to it */
    uint8_t tonemap;
    uint64_t tonemap_valid_until; /* loop us; 0: unknown (ROBO) */
    uint8_t lqi;                  /* of its last frame */
    /* per-carrier SNR of its last PLC_MAC_SNR_HISTORY frames to us, 0.5 dB steps */
    int8_t snr_half_db[PLC_MAC_SNR_HISTORY][PLC_PHY_CARRIERS];
    uint8_t snr_frames;           /* how many of them are filled */
    uint64_t snr_time;            /* loop us of the last one */
    uint8_t snr_next;
    uint32_t rx_frame_counter;    /* anti-replay */
    int has_counter;
    uint64_t tx_frames, tx_retries, tx_failures;
} plc_mac_neighbour;

typedef struct plc_mac plc_mac;

/* sec may be NULL (no security); it stays owned by the caller. seed feeds the backoff
 * draws (the same seed gives the same run). */
plc_mac *plc_mac_create(const plc_mac_pib *pib, uint64_t seed, plc_loop *loop,
                        plc_phy_service phy, plc_mac_sec *sec, const plc_mac_callbacks *cb);
void plc_mac_destroy(plc_mac *m);
plc_mac_pib *plc_mac_get_pib(plc_mac *m);
/* Queues an MSDU. PLC_OK, or a plc_mac_status (> 0) when refused at once (no confirm). */
int plc_mac_data_request(plc_mac *m, const plc_mac_data_req *rq);
/* Sends a beacon request (command 0x07) as a broadcast. */
int plc_mac_beacon_request(plc_mac *m);
void plc_mac_get_counters(const plc_mac *m, plc_mac_counters *c);
/* The neighbour entry of a short address, NULL if none. */
const plc_mac_neighbour *plc_mac_neighbour_get(const plc_mac *m, uint16_t short_addr);
/* MSDUs waiting (the one in progress included). */
unsigned plc_mac_queue_length(const plc_mac *m);

#endif
