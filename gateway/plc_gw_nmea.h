/* The concentrator's position from a GNSS receiver's NMEA 0183 output (the seeds' 4G +
 * Beidou terminal reports one), for the head-end's login: GGA (position, altitude) and RMC
 * (position) sentences of any talker (GP, GN, BD, GB, GL, GA), checksum required. Linux side;
 * pure parsing, the daemon reads the serial line. */
#ifndef PLC_GW_NMEA_H
#define PLC_GW_NMEA_H

#include <stddef.h>
#include <stdint.h>

typedef struct plc_gw_fix {
    double latitude, longitude; /* degrees, north and east positive */
    double altitude_m;          /* above mean sea level (GGA only) */
    int has_altitude;
    unsigned satellites;        /* GGA */
} plc_gw_fix;

/* One sentence, "$..*hh" with or without CR LF: PLC_OK with *fix for a GGA or RMC with a fix;
 * PLC_ERR_CRC a checksum that does not match (or none); PLC_ERR_FORMAT a malformed field;
 * PLC_ERR_UNSUPPORTED another sentence, or one that says there is no fix. */
int plc_gw_nmea_parse(const char *s, size_t len, plc_gw_fix *fix);

/* A byte stream cut into sentences. */
typedef struct plc_gw_nmea {
    char line[128];
    size_t n;
    int overlong;               /* the line in hand ran past 82 characters: dropped */
    uint64_t sentences, fixes, bad; /* bad: checksum, format, cut short or overlong */
} plc_gw_nmea;

/* Feeds bytes; returns 1 when a new fix came (in *fix: the last one), else 0. */
int plc_gw_nmea_feed(plc_gw_nmea *r, const uint8_t *data, size_t len, plc_gw_fix *fix);

#endif
