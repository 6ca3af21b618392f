// SHA-256 block compression with the x86 SHA extensions, for Core's SHA256. Compiled for any
// x86-64 (the instructions are enabled per function), called only after the CPU check says yes;
// on other architectures both functions exist and report no support.
#ifndef CSHA256_H
#define CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when the CPU has the SHA extensions (and SSSE3/SSE4.1, which every such CPU has), else 0.
int descent_sha256_hardware_available(void);

/// Compresses `blocks` 64-byte blocks at `data` into `state` (a..h, FIPS 180-4 order).
void descent_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
