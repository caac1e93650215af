/* plc-keygen: a CURVE key pair for the upstream link (docs/upstream.md).
 *   plc-keygen BASE     writes BASE.key (secret, mode 0600) and BASE.pub, prints the public key
 * Existing files are never overwritten. */
#include <stdio.h>
#include <string.h>

#include "plc_err.h"
#include "plc_up_link.h"

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: plc-keygen BASE\n  writes BASE.key (secret, 0600) and BASE.pub "
                "(Z85 CURVE keys) and prints the public key\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    char pub[41], err[512];
    if (plc_up_keygen(argv[1], pub, err, sizeof(err)) != PLC_OK) {
        fprintf(stderr, "plc-keygen: %s\n", err);
        return 1;
    }
    printf("%s\n", pub);
    return 0;
}
