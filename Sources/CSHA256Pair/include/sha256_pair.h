#ifndef BACKUPD_SHA256_PAIR_H
#define BACKUPD_SHA256_PAIR_H
#include <stddef.h>
#include <stdint.h>

/* SHA-256 with the x86 SHA extensions, able to advance two digests over the same bytes in one
   pass: the message schedule is computed once and the two round chains interleave, which the
   SHA instructions' latency leaves room for. Used only when bd_sha256_available() says so. */
typedef struct {
    uint32_t h[8];
    uint64_t length;
    uint8_t buffer[64];
    uint32_t used;
} bd_sha256_ctx;

/* 1 when this CPU has the SHA extensions (and SSSE3, SSE4.1), else 0 (always 0 off x86-64). */
int bd_sha256_available(void);
void bd_sha256_init(bd_sha256_ctx *ctx);
void bd_sha256_update(bd_sha256_ctx *ctx, const void *data, size_t count);
/* Both digests take the same bytes; in one pass when they are at the same block offset. */
void bd_sha256_update_pair(bd_sha256_ctx *a, bd_sha256_ctx *b, const void *data, size_t count);
/* Two different messages of `count` bytes each, one per digest: in one interleaved pass when both
   digests are at the same block offset (two parts of a stream hashed together). */
void bd_sha256_update_two(bd_sha256_ctx *a, const void *data_a, bd_sha256_ctx *b, const void *data_b, size_t count);
void bd_sha256_final(bd_sha256_ctx *ctx, uint8_t digest[32]);
#endif
