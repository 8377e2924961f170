#include "sha256_pair.h"
#include <string.h>

static const uint32_t initial[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

int bd_sha256_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ssse3 && sse41 && ((b >> 29) & 1);
}

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* The state as the SHA instructions want it: ABEF and CDGH. */
SHA_TARGET static inline void load_state(const uint32_t h[8], __m128i *abef, __m128i *cdgh) {
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1); /* CDAB */
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* EFGH */
    *abef = _mm_alignr_epi8(tmp, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, tmp, 0xF0);
}

SHA_TARGET static inline void store_state(uint32_t h[8], __m128i abef, __m128i cdgh) {
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0)); /* DCBA */
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));    /* HGFE */
}

/* Words 4g..4g+3 of the message schedule from the four groups before (ring m). */
#define SCHEDULE(g) SCHEDULE_OF(m, p, g)
#define SCHEDULE_OF(m, p, g)                                                                            \
    ((g) < 4 ? _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * (g))), mask)              \
             : _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m[(g) & 3], m[((g) + 1) & 3]), \
                                                  _mm_alignr_epi8(m[((g) + 3) & 3], m[((g) + 2) & 3], 4)), \
                                    m[((g) + 3) & 3]))

SHA_TARGET static void blocks_one(uint32_t h[8], const uint8_t *p, size_t count) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef, cdgh;
    load_state(h, &abef, &cdgh);
    for (; count > 0; count--, p += 64) {
        __m128i saved_abef = abef, saved_cdgh = cdgh, m[4];
        /* Unrolled, so that the schedule's ring and the branch on g fold away. */
#pragma clang loop unroll(full)
        for (int g = 0; g < 16; g++) {
            __m128i w = SCHEDULE(g);
            m[g & 3] = w;
            __m128i msg = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(msg, 0x0E));
        }
        abef = _mm_add_epi32(abef, saved_abef);
        cdgh = _mm_add_epi32(cdgh, saved_cdgh);
    }
    store_state(h, abef, cdgh);
}

SHA_TARGET static void blocks_two(uint32_t ha[8], uint32_t hb[8], const uint8_t *p, size_t count) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef_a, cdgh_a, abef_b, cdgh_b;
    load_state(ha, &abef_a, &cdgh_a);
    load_state(hb, &abef_b, &cdgh_b);
    for (; count > 0; count--, p += 64) {
        __m128i saved_abef_a = abef_a, saved_cdgh_a = cdgh_a, saved_abef_b = abef_b, saved_cdgh_b = cdgh_b, m[4];
        /* Unrolled, so that the schedule's ring and the branch on g fold away. */
#pragma clang loop unroll(full)
        for (int g = 0; g < 16; g++) {
            __m128i w = SCHEDULE(g);
            m[g & 3] = w;
            __m128i msg = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
            __m128i high = _mm_shuffle_epi32(msg, 0x0E);
            cdgh_a = _mm_sha256rnds2_epu32(cdgh_a, abef_a, msg);
            cdgh_b = _mm_sha256rnds2_epu32(cdgh_b, abef_b, msg);
            abef_a = _mm_sha256rnds2_epu32(abef_a, cdgh_a, high);
            abef_b = _mm_sha256rnds2_epu32(abef_b, cdgh_b, high);
        }
        abef_a = _mm_add_epi32(abef_a, saved_abef_a);
        cdgh_a = _mm_add_epi32(cdgh_a, saved_cdgh_a);
        abef_b = _mm_add_epi32(abef_b, saved_abef_b);
        cdgh_b = _mm_add_epi32(cdgh_b, saved_cdgh_b);
    }
    store_state(ha, abef_a, cdgh_a);
    store_state(hb, abef_b, cdgh_b);
}

/* Two different messages, block by block in step: each has its own schedule, and the two round
   chains interleave, which hides the SHA instructions' latency (about 0.7 of two single passes). */
SHA_TARGET static void blocks_two_messages(uint32_t ha[8], const uint8_t *pa, uint32_t hb[8], const uint8_t *pb, size_t count) {
    const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef_a, cdgh_a, abef_b, cdgh_b;
    load_state(ha, &abef_a, &cdgh_a);
    load_state(hb, &abef_b, &cdgh_b);
    for (; count > 0; count--, pa += 64, pb += 64) {
        __m128i saved_abef_a = abef_a, saved_cdgh_a = cdgh_a, saved_abef_b = abef_b, saved_cdgh_b = cdgh_b, ma[4], mb[4];
        /* Unrolled, so that the schedules' rings and the branch on g fold away. */
#pragma clang loop unroll(full)
        for (int g = 0; g < 16; g++) {
            __m128i wa = SCHEDULE_OF(ma, pa, g);
            __m128i wb = SCHEDULE_OF(mb, pb, g);
            ma[g & 3] = wa;
            mb[g & 3] = wb;
            __m128i k = _mm_loadu_si128((const __m128i *)&K[4 * g]);
            __m128i xa = _mm_add_epi32(wa, k), xb = _mm_add_epi32(wb, k);
            cdgh_a = _mm_sha256rnds2_epu32(cdgh_a, abef_a, xa);
            cdgh_b = _mm_sha256rnds2_epu32(cdgh_b, abef_b, xb);
            abef_a = _mm_sha256rnds2_epu32(abef_a, cdgh_a, _mm_shuffle_epi32(xa, 0x0E));
            abef_b = _mm_sha256rnds2_epu32(abef_b, cdgh_b, _mm_shuffle_epi32(xb, 0x0E));
        }
        abef_a = _mm_add_epi32(abef_a, saved_abef_a);
        cdgh_a = _mm_add_epi32(cdgh_a, saved_cdgh_a);
        abef_b = _mm_add_epi32(abef_b, saved_abef_b);
        cdgh_b = _mm_add_epi32(cdgh_b, saved_cdgh_b);
    }
    store_state(ha, abef_a, cdgh_a);
    store_state(hb, abef_b, cdgh_b);
}
#else
int bd_sha256_available(void) { return 0; }
/* Never called: callers use OpenSSL where bd_sha256_available() is 0. */
static void blocks_one(uint32_t h[8], const uint8_t *p, size_t count) { (void)h; (void)p; (void)count; }
static void blocks_two(uint32_t ha[8], uint32_t hb[8], const uint8_t *p, size_t count) {
    (void)ha; (void)hb; (void)p; (void)count;
}
static void blocks_two_messages(uint32_t ha[8], const uint8_t *pa, uint32_t hb[8], const uint8_t *pb, size_t count) {
    (void)ha; (void)pa; (void)hb; (void)pb; (void)count;
}
#endif

void bd_sha256_init(bd_sha256_ctx *ctx) {
    memcpy(ctx->h, initial, sizeof initial);
    ctx->length = 0;
    ctx->used = 0;
}

void bd_sha256_update(bd_sha256_ctx *ctx, const void *data, size_t count) {
    const uint8_t *p = data;
    ctx->length += count;
    if (ctx->used > 0) {
        size_t take = 64 - ctx->used < count ? 64 - ctx->used : count;
        memcpy(ctx->buffer + ctx->used, p, take);
        ctx->used += (uint32_t)take;
        p += take;
        count -= take;
        if (ctx->used < 64) return;
        blocks_one(ctx->h, ctx->buffer, 1);
        ctx->used = 0;
    }
    size_t blocks = count / 64;
    if (blocks > 0) blocks_one(ctx->h, p, blocks);
    p += blocks * 64;
    count -= blocks * 64;
    if (count > 0) {
        memcpy(ctx->buffer, p, count);
        ctx->used = (uint32_t)count;
    }
}

void bd_sha256_update_pair(bd_sha256_ctx *a, bd_sha256_ctx *b, const void *data, size_t count) {
    const uint8_t *p = data;
    if (a->used != b->used) {
        bd_sha256_update(a, p, count);
        bd_sha256_update(b, p, count);
        return;
    }
    if (a->used > 0) {
        size_t take = 64 - a->used < count ? 64 - a->used : count;
        bd_sha256_update(a, p, take);
        bd_sha256_update(b, p, take);
        p += take;
        count -= take;
    }
    size_t blocks = count / 64;
    if (blocks > 0) {
        blocks_two(a->h, b->h, p, blocks);
        a->length += blocks * 64;
        b->length += blocks * 64;
    }
    p += blocks * 64;
    count -= blocks * 64;
    if (count > 0) {
        bd_sha256_update(a, p, count);
        bd_sha256_update(b, p, count);
    }
}

void bd_sha256_final(bd_sha256_ctx *ctx, uint8_t digest[32]) {
    uint8_t tail[128];
    uint64_t bits = ctx->length * 8;
    size_t used = ctx->used;
    memcpy(tail, ctx->buffer, used);
    tail[used++] = 0x80;
    size_t total = used + 8 <= 64 ? 64 : 128;
    memset(tail + used, 0, total - used);
    for (int i = 0; i < 8; i++) tail[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks_one(ctx->h, tail, total / 64);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(ctx->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->h[i];
    }
}

void bd_sha256_update_two(bd_sha256_ctx *a, const void *data_a, bd_sha256_ctx *b, const void *data_b, size_t count) {
    const uint8_t *pa = data_a, *pb = data_b;
    if (a->used != b->used) {
        bd_sha256_update(a, pa, count);
        bd_sha256_update(b, pb, count);
        return;
    }
    if (a->used > 0) {
        size_t take = 64 - a->used < count ? 64 - a->used : count;
        bd_sha256_update(a, pa, take);
        bd_sha256_update(b, pb, take);
        pa += take;
        pb += take;
        count -= take;
    }
    size_t blocks = count / 64;
    if (blocks > 0) {
        blocks_two_messages(a->h, pa, b->h, pb, blocks);
        a->length += blocks * 64;
        b->length += blocks * 64;
    }
    if (count > blocks * 64) {
        bd_sha256_update(a, pa + blocks * 64, count - blocks * 64);
        bd_sha256_update(b, pb + blocks * 64, count - blocks * 64);
    }
}
