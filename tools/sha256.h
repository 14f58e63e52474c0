/* SHA-256 (FIPS 180-4), small and streaming, for checking transfers. */
#ifndef SYNACK_TOOLS_SHA256_H
#define SYNACK_TOOLS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;     /* message length so far */
	uint8_t buf[64];    /* a partial block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* The digest as 64 lowercase hex digits and a NUL (as sha256sum prints it). */
void sha256_hex(const uint8_t d[SHA256_LEN], char out[2 * SHA256_LEN + 1]);

#endif
