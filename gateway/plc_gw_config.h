/* plc-gatewayd's configuration: an INI file (libinih), every key documented in
 * docs/gateway.md with its default. A bad key or value gives one line naming the file, the
 * line, the section and key, and what is wrong:
 *   gateway.ini:12: [reading] parallel: "zero" is not a number from 1 to 64
 *
 *   [gateway]  store (gateway.db), durable (1), clock ("now": the system clock, or
 *              "YYYY-MM-DD hh:mm:ss": the local time at start, for simulations)
 *   [plc]      mode (sim | port). sim: meters (50), phy (abstract | waveform),
 *              seed (1), power_up_s (120), speed (0: as fast as it goes, else times real time),
 *              per_table (the source tree's docs/per/per_sco.dat), topology (a feeder
 *              file, sim/plc_topology.h; none: generated from the seed). port: the
 *              concentrator's modem on an SDR in real time: soapy (the device's SoapySDR
 *              arguments, required), sdr_rate (1e6), rf_hz (0), gain_db (0), eui (the
 *              modem's EUI-64, 16 hex digits: 70B3D50000000000), gmk (the area's key, 32
 *              hex digits; none: drawn at the first start and kept in the store).
 *              Both: path_survey_s (20: one meter's path discovery every so often, its
 *              parent kept for the topology; 0: none)
 *   [reading]  parallel (5), timeout_s (6), per_hop_s (2), retries (3), retry_gap_s (30),
 *              deadline (07:00), catchup_s (900)
 *   [events]   area_threshold (3), area_window_s (30), unreachable_passes (3)
 *   [control]  password (123456: the meters' level 02 password [R]), operator_code (0),
 *              command_s (120: a remote control or top-up gives up after)
 *   [time]     sync (1), sync_at (02:30; 5 minutes at least from an hour or midnight),
 *              clock_window_s (300), set_clocks (1)
 *   [archive]  sim_meters (1: the simulated meters are the archive), search_s (0)
 *   [rs485 NAME] device (required), baud (2400), parity (E): a serial line of meters whose
 *              archive port is NAME (up to 4 lines)
 *   [firmware] image (a file), signature (r || s, 128 hex digits), id (1), block (128),
 *              key (the simulated meters' trusted public key, 130 hex digits)
 *   [upstream] endpoint (none: no head-end), gateway_id, key (our secret key file), server_key
 *              (the head-end's public key file), heartbeat_s (300), heartbeat_misses (3),
 *              backoff_min_ms (1000), backoff_max_ms (60000), batch (1000), window (4),
 *              ack_timeout_s (10), clock_sync (1: only in real time), clock_samples (8),
 *              clock_step_ms (2000), latitude, longitude, altitude_m (the login's location)
 *   [gnss]     device (an NMEA 0183 GNSS receiver: its position goes in the login, "gnss";
 *              none: the [upstream] position, "configured"), baud (9600, 8N1)
 *   [task NAME] scheme (daily | energy | instant | status | clock | curve | profile), interval_s (daily: 86400,
 *              else 3600), window (00:05-23:55), priority (1)
 * Without any [task] section the daily freeze task is the one. */
#ifndef PLC_GW_CONFIG_H
#define PLC_GW_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "plc_gw.h"
#include "plc_gw_upstream.h"

#define PLC_GW_MAX_LINES 4

typedef struct plc_gw_line_config {
    char name[16];          /* [rs485 NAME]: the archive's port name for its meters */
    char device[128];       /* device: /dev/ttyUSB0 */
    unsigned baud;          /* 2400 */
    char parity;            /* 'E' (8E1) */
} plc_gw_line_config;

typedef struct plc_gw_daemon_config {
    char store[256];
    int durable;
    int64_t clock;          /* local time at start; 0: the system clock */
    int sim;                /* [plc] mode = sim */
    unsigned meters;
    int waveform;
    unsigned seed;
    unsigned power_up_s;
    double speed;
    int sim_archive;
    char soapy[256];        /* [plc] soapy: the SDR's SoapySDR arguments (mode = port) */
    double sdr_rate, rf_hz, gain_db;
    uint64_t eui;           /* [plc] eui: the concentrator modem's EUI-64 */
    uint8_t gmk[16];        /* [plc] gmk: the area's group master key ... */
    int has_gmk;            /* ... when given (else drawn once and kept in the store) */
    char topology[256];     /* [plc] topology: a feeder file (sim/plc_topology.h); "" generated */
    unsigned path_survey_s; /* [plc] path_survey_s: 20 (gateway/plc_gw_topology.h; 0 off) */
    char per_table[256];    /* [plc] per_table: the abstract PHY's PER table (the source
                             * tree's docs/per/per_sco.dat by default) */
    plc_gw_config gw;       /* [reading], [events], [archive] search_s, the tasks */
    unsigned n_lines;
    plc_gw_line_config line[PLC_GW_MAX_LINES];
    /* [firmware] the image a FIRMWARE command sends, and (simulation) the meters' trusted key */
    char image[256];        /* image: a file ("": none) */
    uint8_t image_sig[64];  /* signature: r || s in hex (ECDSA P-256 of the image's SHA-256) */
    int has_sig;
    unsigned image_id;      /* id: 1 */
    unsigned image_block;   /* block: 128 */
    uint8_t key[65];        /* key: the simulated meters' trusted public key, 04 x y in hex */
    int has_key;
    plc_gw_upstream_config up; /* [upstream]: used when up.endpoint is set */
    char gnss_device[128];     /* [gnss] device: "" none */
    unsigned gnss_baud;        /* [gnss] baud: 9600 */
} plc_gw_daemon_config;

void plc_gw_daemon_config_default(plc_gw_daemon_config *c);
/* Reads path over the defaults: PLC_OK, or PLC_ERR_CONFIG / PLC_ERR_IO with the one-line
 * message in err. */
int plc_gw_config_load(plc_gw_daemon_config *c, const char *path, char *err, size_t errlen);
/* The same from an open stream, named `name` in the message. */
int plc_gw_config_read(plc_gw_daemon_config *c, FILE *f, const char *name, char *err,
                       size_t errlen);
/* 1 when t is exactly 2n hex digits, the n bytes in out; 0 otherwise. */
int plc_gw_parse_hex(const char *t, uint8_t *out, size_t n);
/* "YYYY-MM-DD hh:mm:ss" (or "YYYY-MM-DD hh:mm") as local seconds since 1970. */
int plc_gw_parse_time(const char *text, int64_t *out);

#endif
