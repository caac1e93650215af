/* pcap capture files (libpcap classic format, microsecond timestamps). The MAC's frames go
 * in as link type 230 (LINKTYPE_IEEE802_15_4_NOFCS): 802.15.4 frames whose FCS the MAC has
 * already checked, written without it. The G3 FCS is CRC-16/XMODEM, which Wireshark's wpan
 * dissector cannot check (it knows only the 802.15.4 CRC), so a capture with the FCS (195)
 * would show every frame as bad. */
#ifndef PLC_PCAP_H
#define PLC_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PLC_PCAP_LINKTYPE_IEEE802_15_4_NOFCS 230
/* Ethernet: with EtherType 0xA0ED (RFC 7973) the payload is a 6LoWPAN packet, which
 * Wireshark hands to its 6LoWPAN dissector whatever follows the headers. */
#define PLC_PCAP_LINKTYPE_ETHERNET 1
#define PLC_PCAP_ETHERTYPE_6LOWPAN 0xA0ED

typedef struct plc_pcap plc_pcap;

/* NULL when the file cannot be created. */
plc_pcap *plc_pcap_open(const char *path, uint32_t linktype);
/* One packet at time t_us (microseconds since the capture's epoch). */
int plc_pcap_write(plc_pcap *p, uint64_t t_us, const uint8_t *data, size_t len);
/* Flushes and closes; PLC_ERR_IO if anything failed to reach the file. */
int plc_pcap_close(plc_pcap *p);

#endif
