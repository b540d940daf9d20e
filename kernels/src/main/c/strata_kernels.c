/*
 * Strata's native CPU kernels: the Q8_0, Q4_0, Q4_K and Q6_K matrix products of io.strata.kernels.cpu.NativeKernels, called
 * through the FFM API. Why native: the Vector API has no 8- or 16-bit dot product (vpmaddubsw/vpmaddwd, AVX-512
 * VNNI's vpdpbusd), so its int8 kernels spend about three times the instructions per block that these do, and
 * stay compute-bound below the memory bandwidth. Built by the kernels module when gcc is present (build.sh);
 * without it, or with -Dstrata.native=false, the Vector API kernels run. Same bits either way.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>
#include <pthread.h>

#define TYPE_Q8_0 0
#define TYPE_Q4_0 1
#define TYPE_Q4_K 2
#define TYPE_Q6_K 3
/* token pairs per chunk of the 512-bit tiles (16 tokens) */
#define PAIRS_PER_CHUNK 8
/* rows per chunk of the batched tiles: every token chunk runs over them (their weights stay in L2) */
#define TILE_ROW_CHUNK 64

/*
 * A per-thread scratch buffer for tables a call builds once and its tiles read many times: kept between calls, so
 * only a thread's first (or first larger) call allocates, and freed when the thread ends. NULL when memory runs
 * out; the caller then takes a path without tables.
 */
struct scratch {
    size_t bytes;
    void *p;
};
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *s) {
    free(((struct scratch *) s)->p);
    free(s);
}

static void scratch_init(void) {
    pthread_key_create(&scratch_key, scratch_free);
}

static void *scratch(size_t bytes) {
    pthread_once(&scratch_once, scratch_init);
    struct scratch *s = pthread_getspecific(scratch_key);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL || pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->bytes < bytes) {
        free(s->p);
        size_t rounded = (bytes + 63) / 64 * 64;
        s->p = aligned_alloc(64, rounded);
        s->bytes = s->p == NULL ? 0 : rounded;
    }
    return s->p;
}

/*
 * How far ahead of a decode stream its weights are prefetched. The hardware prefetchers alone left one thread at
 * 2.33 ns per Q8_0 row-block from a 1.1 GB matrix; 1 KB ahead, 1.77; Q4_K 1.2x, Q6_K 1.08x
 * (bench/src/main/c/native-ab.c). The repacked Q4_0 decode, compute-bound, lost 4-7% with it and goes without.
 */
#define PREFETCH_BYTES 1024
/* K-quant rows spend longer per byte (unpacking 4/6-bit quants and scales): 4 KB ahead was 1.17x for Q6_K over 1 KB */
#define K_PREFETCH_BYTES 4096

/* the four cache lines from p on: called once per 144- or 210-byte K-quant super-block, so the calls of a row
   cover every line it has */
static inline __attribute__((always_inline)) void prefetch_lines4(const char *p) {
    _mm_prefetch(p, _MM_HINT_T0);
    _mm_prefetch(p + 64, _MM_HINT_T0);
    _mm_prefetch(p + 128, _MM_HINT_T0);
    _mm_prefetch(p + 192, _MM_HINT_T0);
}

/* The four rows r .. r + 3 of a row tile. */
static inline __attribute__((always_inline)) void tile_rows4(const uint8_t *w, int32_t r, int64_t rowStride,
                                                             const uint8_t *rows[4]) {
    for (int i = 0; i < 4; i++) {
        rows[i] = w + (int64_t) (r + i) * rowStride;
    }
}

/* The next row tile's block at `offset` of its four rows (none when next is NULL): its weights arrive from memory
   while this tile computes. */
static inline __attribute__((always_inline)) void prefetch_next_tile(const uint8_t *next, int64_t rowStride,
                                                                     int64_t offset) {
    if (next != NULL) {
        for (int i = 0; i < 4; i++) {
            _mm_prefetch((const char *) (next + i * rowStride + offset), _MM_HINT_T0);
        }
    }
}

/* ---- AVX2 (ggml's mul_sum_i8_pairs: maddubs then madd; pair sums fit 16 bits as |w| <= 128, |x| <= 127) ---- */
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
static inline __m256i lanes_avx2(__m256i ax, __m256i sx) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sx), _mm256_set1_epi16(1));
}
#define KERNEL(name) name##_avx2
#define LANES(ax, sx) lanes_avx2(ax, sx)
#define KERNEL_TILES 1
#define DPWSSD(acc, a, b) _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
#include "strata_kernels_body.h"
#undef KERNEL
#undef LANES
#undef KERNEL_TILES
#undef DPWSSD
#pragma GCC pop_options

/* ---- AVX-512 VNNI on 256-bit vectors (one vpdpbusd per block; 32 vector registers) ---- */
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
static inline __m256i lanes_vnni(__m256i ax, __m256i sx) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sx);
}
#define KERNEL(name) name##_vnni
#define LANES(ax, sx) lanes_vnni(ax, sx)
#define KERNEL_TILES 0
#define DPWSSD(acc, a, b) _mm256_dpwssd_epi32(acc, a, b)
#include "strata_kernels_body.h"
#undef KERNEL
#undef LANES
#undef KERNEL_TILES
#undef DPWSSD

/*
 * Q4_K and Q6_K rows against T tokens at a time (T = 4, 2 or 1) on AVX-512 VNNI: a super-block's quants are
 * unpacked and its scales read once for the T tokens (k_dot unpacks them for every (row, token)). Each lane's
 * four-element sum is one vpdpbusd (Q4_K: 15·128·4 at most; Q6_K: onto −32·Σy, corr, which the call computes once
 * per token and group of 32, so the sum is Σ (q − 32)·y, within 16 bits), then times its sub-block's scale,
 * zero-extended to a dword, by one vpdpwssd: k_dot's exact lanes (two vpmaddubsw, a subtraction, a byte shuffle
 * and a vpdpwssd per group there) and its float steps in its order. Each super-block is prefetched
 * K_PREFETCH_BYTES ahead. corr: the Q6_K corrections of every token of the call, 8 per super-block.
 */
static inline __attribute__((always_inline)) void k_tokens_row_vnni(const int type, const int T,
        const uint8_t *row, int32_t blocks, const int8_t *xq, const float *xd, const int16_t *xs,
        const __m256i *corr, int32_t t, float *out, int32_t outStride, int32_t r) {
    const int64_t cols = 256 * (int64_t) blocks;
    const __m512i low4z = _mm512_set1_epi8(0x0F);
    const __m512i high2z = _mm512_set1_epi8(0x30);
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    /* Q6_K: qh bits 0-1 | 2-3 to bits 4-5 (shift left 4 | 2), bits 4-5 | 6-7 (right 0 | 2) */
    const __m512i shiftLow = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shiftHigh = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
    /* Q6_K: the lanes' scales of groups (0, 1) and (2, 3) of a half */
    const __m512i scaleIndex[2] = {_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                                   _mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7)};
    __m256 acc[4];
    __m128 mv[4];
#pragma GCC unroll 4
    for (int j = 0; j < T; j++) {
        acc[j] = _mm256_setzero_ps();
        mv[j] = _mm_setzero_ps();
    }
    for (int32_t b = 0; b < blocks; b++) {
        /* every line of the super-block (one prefetch per 210 or 144 bytes left two lines in three to the
           hardware: prefetching all four made Q6_K decode 1.14-1.36x faster from memory) */
        prefetch_lines4((const char *) (row + (type == TYPE_Q6_K ? 210 : 144) * (int64_t) b + K_PREFETCH_BYTES));
        /* Q6_K: two groups of 32 per 512-bit vector (the first in the low half), q the quants, s the lanes' scales
           (1.03-1.26x the 256-bit form); Q4_K: a sub-block per 256-bit vector (the 512-bit form was 0.90-0.99x) */
        __m512i q[4];
        __m512i s[4];
        __m256i q4[8];
        __m256i s4[8];
        float d;
        float dmin = 0;
        __m128i mw = _mm_setzero_si128();
        if (type == TYPE_Q6_K) {
            const uint8_t *blk = row + 210 * (int64_t) b;
            d = scale_vnni(blk + 208);
            __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (blk + 192)));
            __m256i sc[2] = {_mm256_cvtepu16_epi32(_mm256_castsi256_si128(s16)),
                             _mm256_cvtepu16_epi32(_mm256_extracti128_si256(s16, 1))};
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                /* groups 4h, 4h + 1 take ql's low nibbles and qh bits 0-1, 2-3; groups 4h + 2, 4h + 3 the high
                   nibbles and bits 4-5, 6-7: each moved to bits 4, 5 by a shift per half */
                __m512i ql = _mm512_loadu_si512((const void *) (blk + 64 * h));
                __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) (blk + 128 + 32 * h)));
                __m512i lowHigh = _mm512_or_si512(_mm512_and_si512(ql, low4z),
                        _mm512_and_si512(_mm512_sllv_epi16(qh, shiftLow), high2z));
                __m512i highHigh = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4z),
                        _mm512_and_si512(_mm512_srlv_epi16(qh, shiftHigh), high2z));
                q[2 * h] = lowHigh;
                q[2 * h + 1] = highHigh;
                __m512i scz = _mm512_castsi256_si512(sc[h]);
                s[2 * h] = _mm512_permutexvar_epi32(scaleIndex[0], scz);
                s[2 * h + 1] = _mm512_permutexvar_epi32(scaleIndex[1], scz);
            }
        } else {
            const uint8_t *blk = row + 144 * (int64_t) b;
            d = scale_vnni(blk);
            dmin = scale_vnni(blk + 2);
            uint32_t sc[2], m[2];
            q4k_scales_vnni(blk + 4, sc, m);
            mw = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int) m[1], (int) m[0]));
            __m256i scd = _mm256_cvtepu8_epi32(_mm_set_epi32(0, 0, (int) sc[1], (int) sc[0]));
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m256i qs = _mm256_loadu_si256((const __m256i *) (blk + 16 + 32 * j));
                q4[2 * j] = _mm256_and_si256(qs, low4);
                q4[2 * j + 1] = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low4);
                s4[2 * j] = _mm256_permutevar8x32_epi32(scd, _mm256_set1_epi32(2 * j));
                s4[2 * j + 1] = _mm256_permutevar8x32_epi32(scd, _mm256_set1_epi32(2 * j + 1));
            }
        }
#pragma GCC unroll 4
        for (int j = 0; j < T; j++) {
            const int8_t *y = xq + (int64_t) (t + j) * cols + 256 * (int64_t) b;
            float yd = xd[(int64_t) (t + j) * blocks + b];
            __m512i sum[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
            if (type == TYPE_Q6_K) {
                const __m256i *c = corr + ((int64_t) (t + j) * blocks + b) * 8;
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) {
                    /* groups 2k, 2k + 1 (group g % 4 of half g / 4 has its 32 activations at 32 g) */
                    __m512i tv = _mm512_dpbusd_epi32(_mm512_loadu_si512((const void *) (c + 2 * k)), q[k],
                                                     _mm512_loadu_si512((const void *) (y + 64 * k)));
                    sum[k & 1] = _mm512_dpwssd_epi32(sum[k & 1], tv, s[k]);
                }
            } else {
                const int16_t *bs = xs + ((int64_t) (t + j) * blocks + b) * 16;
                __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *) bs),
                                               _mm_loadu_si128((const __m128i *) (bs + 8)));
                __m128i mins = _mm_madd_epi16(pairs, mw);
                mv[j] = _mm_fmadd_ps(_mm_set1_ps(-yd * dmin), _mm_cvtepi32_ps(mins), mv[j]);
                __m256i sum4[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
#pragma GCC unroll 8
                for (int k = 0; k < 8; k++) {
                    /* sub-block k: low (k even) or high (k odd) nibbles of qs chunk k / 2; activations at 32 k */
                    __m256i tv = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q4[k],
                                                     _mm256_loadu_si256((const __m256i *) (y + 32 * k)));
                    sum4[k & 1] = _mm256_dpwssd_epi32(sum4[k & 1], tv, s4[k]);
                }
                sum[0] = _mm512_castsi256_si512(_mm256_add_epi32(sum4[0], sum4[1]));
            }
            /* the exact lanes (Q6_K: both halves' group sums added; integers, so in any order) */
            __m256i lanes = _mm512_castsi512_si256(sum[0]);
            if (type == TYPE_Q6_K) {
                __m512i both = _mm512_add_epi32(sum[0], sum[1]);
                lanes = _mm256_add_epi32(_mm512_castsi512_si256(both), _mm512_extracti64x4_epi64(both, 1));
            }
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(yd * d), _mm256_cvtepi32_ps(lanes), acc[j]);
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < T; j++) {
        float v = hsum8_vnni(acc[j]);
        if (type == TYPE_Q4_K) {
            __m128 m = _mm_add_ps(mv[j], _mm_movehl_ps(mv[j], mv[j]));
            v += _mm_cvtss_f32(_mm_add_ss(m, _mm_shuffle_ps(m, m, 1)));
        }
        out[(int64_t) (t + j) * outStride + r] = v;
    }
}

static inline __attribute__((always_inline)) void k_tokens_of_vnni(const int type, const uint8_t *w,
        int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks, const int8_t *xq, const float *xd,
        const int16_t *xs, const __m256i *corr, int32_t tokens, float *out, int32_t outStride) {
    int32_t r = r0;
    if (tokens <= 2) {
        /* decode: four rows from four places a quarter of the range apart, both tokens in turn: four streams */
        int32_t quarter = (r1 - r0) / 4;
        for (int32_t a = r0; a < r0 + quarter; a++) {
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                int32_t row = a + i * quarter;
                if (tokens == 1) {
                    k_tokens_row_vnni(type, 1, w + (int64_t) row * rowStride, blocks, xq, xd, xs, corr, 0, out,
                                      outStride, row);
                } else {
                    k_tokens_row_vnni(type, 2, w + (int64_t) row * rowStride, blocks, xq, xd, xs, corr, 0, out,
                                      outStride, row);
                }
            }
        }
        r = r0 + 4 * quarter;
    }
    for (; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * rowStride;
        int32_t t = 0;
        for (; t + 4 <= tokens; t += 4) {
            k_tokens_row_vnni(type, 4, row, blocks, xq, xd, xs, corr, t, out, outStride, r);
        }
        if (t + 2 <= tokens) {
            k_tokens_row_vnni(type, 2, row, blocks, xq, xd, xs, corr, t, out, outStride, r);
            t += 2;
        }
        if (t < tokens) {
            k_tokens_row_vnni(type, 1, row, blocks, xq, xd, xs, corr, t, out, outStride, r);
        }
    }
}

/* Q4_K or Q6_K rows; false (nothing done) when the Q6_K corrections get no scratch. */
static int k_tokens_vnni(int type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                         const int8_t *xq, const float *xd, const int16_t *xs, int32_t tokens, float *out,
                         int32_t outStride) {
    if (type == TYPE_Q4_K) {
        k_tokens_of_vnni(TYPE_Q4_K, w, rowStride, r0, r1, blocks, xq, xd, xs, NULL, tokens, out, outStride);
        return 1;
    }
    __m256i *corr = scratch(sizeof(__m256i) * 8 * (size_t) blocks * tokens);
    if (corr == NULL) {
        return 0;
    }
    const __m256i thirtyTwo = _mm256_set1_epi8(32);
    for (int64_t i = 0; i < 8 * (int64_t) blocks * tokens; i++) {
        __m256i y = _mm256_loadu_si256((const __m256i *) (xq + 32 * i));
        corr[i] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), thirtyTwo, y));
    }
    k_tokens_of_vnni(TYPE_Q6_K, w, rowStride, r0, r1, blocks, xq, xd, xs, corr, tokens, out, outStride);
    return 1;
}
#pragma GCC pop_options


/*
 * The 4 x 4 (rows x tokens) tile of vec_dot on AVX-512 VNNI: per (row, token, block) one vpdpbusd of the weights as
 * unsigned bytes (Q8_0: w + 128, i.e. w ^ 0x80; Q4_0: the raw nibble, w + 8) onto the token's correction (−128·Σx
 * or −8·Σx per lane, one vpdpbusd per token and block, shared by the tile's 4 rows), so the int32 lanes come out
 * exact without a per-(row, token) sign step; one conversion; one FMA whose scale dw·dx (rounded as the reference
 * rounds it) is broadcast from memory, a load rather than a shuffle. Rows go in chunks of 16 and tokens in chunks
 * of 16, so a chunk's weights and activations stay in L2 while its 16 tiles run. Leftover rows and tokens go
 * through vec_dot.
 */
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
static inline __attribute__((always_inline)) void tile4x4_vnni(const int type, const uint8_t *w, int64_t rowStride,
        int32_t r, int32_t blocks, const int8_t *xq, const float *xd, int32_t t, float *out, int32_t outStride,
        const uint8_t *next) {
    const int64_t blockBytes = type == TYPE_Q8_0 ? 34 : 18;
    const int64_t cols = 32 * (int64_t) blocks;
    const __m256i offset = _mm256_set1_epi8(type == TYPE_Q8_0 ? (char) 0x80 : 8);
    const __m256i flip = _mm256_set1_epi8((char) 0x80);
    const __m128i low4 = _mm_set1_epi8(0x0F);
    const uint8_t *rows[4];
    tile_rows4(w, r, rowStride, rows);
    __m256 acc[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            acc[i][j] = _mm256_setzero_ps();
        }
    }
    for (int32_t b = 0; b < blocks; b++) {
        prefetch_next_tile(next, rowStride, blockBytes * b);
        __m256i wu[4];
        float d[4][4] __attribute__((aligned(16)));
        __m128 dx = _mm_set_ps(xd[(int64_t) (t + 3) * blocks + b], xd[(int64_t) (t + 2) * blocks + b],
                               xd[(int64_t) (t + 1) * blocks + b], xd[(int64_t) t * blocks + b]);
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            const uint8_t *block = rows[i] + blockBytes * b;
            if (type == TYPE_Q8_0) {
                wu[i] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *) (block + 2)), flip);
            } else {
                __m128i qs = _mm_loadu_si128((const __m128i *) (block + 2));
                wu[i] = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(qs, 4), low4), _mm_and_si128(qs, low4));
            }
            uint16_t h;
            memcpy(&h, block, 2);
            _mm_store_ps(d[i], _mm_mul_ps(_mm_set1_ps(_cvtsh_ss(h)), dx));
        }
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            __m256i x = _mm256_loadu_si256((const __m256i *) (xq + (t + j) * cols + 32 * b));
            __m256i c = _mm256_sub_epi32(_mm256_setzero_si256(),
                                         _mm256_dpbusd_epi32(_mm256_setzero_si256(), offset, x));
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                __m256i lanes = _mm256_dpbusd_epi32(c, wu[i], x);
                acc[i][j] = _mm256_fmadd_ps(_mm256_broadcast_ss(&d[i][j]), _mm256_cvtepi32_ps(lanes), acc[i][j]);
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            out[(int64_t) (t + j) * outStride + r + i] = hsum8_vnni(acc[i][j]);
        }
    }
}

/*
 * A 4-row x 8-token tile on 512-bit vectors: each vector holds one row against two tokens (low half token t,
 * high half t + 1), so one vpdpbusd, one conversion and one fused multiply-add serve two (row, token) pairs; the
 * row's weights are broadcast to both halves (a load), the token pair's activations, corrections and scales are
 * built once per block for the four rows. Each half runs tile4x4_vnni's steps for its (row, token): the same bits.
 * Why: on this core (Sapphire/Emerald Rapids class) a 512-bit vpdpbusd, conversion or FMA issues as fast as a
 * 256-bit one, so the pairs cost half.
 */
/*
 * The token pairs of a chunk as tile4x8_zmm reads them, per block: the two tokens' activations in one vector (low
 * half token t, high half t + 1), their corrections (−128·Σx or −8·Σx per lane: the accumulator's start) and their
 * scales (each broadcast over its half). Built once per row chunk and token chunk, read by every row tile.
 */
struct pair_block {
    __m512i x;
    __m512i c;
    __m512 dx;
};

/* Tokens t .. tEnd − 1 as (tEnd − t + 1) / 2 pairs; an odd count's last pair holds its last token twice. */
static void pair_table_vnni(const int type, int32_t blocks, const int8_t *xq, const float *xd, int32_t t,
                            int32_t tEnd, struct pair_block *table) {
    const int64_t cols = 32 * (int64_t) blocks;
    const __m512i offset = _mm512_set1_epi8(type == TYPE_Q8_0 ? (char) 0x80 : 8);
    int32_t pairs = (tEnd - t + 1) / 2;
    for (int32_t b = 0; b < blocks; b++) {
        for (int32_t p = 0; p < pairs; p++) {
            int32_t second = t + 2 * p + 1 < tEnd ? t + 2 * p + 1 : t + 2 * p;
            const int8_t *x0 = xq + (int64_t) (t + 2 * p) * cols + 32 * b;
            const int8_t *x1 = xq + (int64_t) second * cols + 32 * b;
            __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *) x0)),
                                           _mm256_loadu_si256((const __m256i *) x1), 1);
            struct pair_block *e = table + (int64_t) b * PAIRS_PER_CHUNK + p;
            e->x = x;
            e->c = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, x));
            e->dx = _mm512_castpd_ps(_mm512_insertf64x4(
                    _mm512_castps_pd(_mm512_set1_ps(xd[(int64_t) (t + 2 * p) * blocks + b])),
                    _mm256_castps_pd(_mm256_set1_ps(xd[(int64_t) second * blocks + b])), 1));
        }
    }
}

/*
 * A 4-row x 2P-token tile (P = 4, 2 or 1 pairs) on 512-bit vectors: each vector holds one row against a token pair
 * (pair_block), so one vpdpbusd, one conversion and one fused multiply-add serve two (row, token) pairs; a row's
 * weights are broadcast to both halves (a load). Each half runs tile4x4_vnni's steps for its (row, token): the
 * same bits. Why: here a 512-bit vpdpbusd, conversion or FMA issues as fast as a 256-bit one (two ports either
 * way), so pairs cost half: 1.24-1.56x the 4 x 4 tile (native-ab).
 */
static inline __attribute__((always_inline)) void tile_pairs_zmm(const int P, const int type, const uint8_t *w,
        int64_t rowStride, int32_t r, int32_t blocks, const struct pair_block *pairs, int32_t t, int32_t tEnd,
        float *out, int32_t outStride, const uint8_t *next) {
    const int64_t blockBytes = type == TYPE_Q8_0 ? 34 : 18;
    const __m512i flip = _mm512_set1_epi8((char) 0x80);
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i nibbleShift = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    const uint8_t *rows[4];
    tile_rows4(w, r, rowStride, rows);
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            acc[i][p] = _mm512_setzero_ps();
        }
    }
    for (int32_t b = 0; b < blocks; b++) {
        prefetch_next_tile(next, rowStride, blockBytes * b);
        __m512i wv[4];
        /* the four rows' scales converted together (one vcvtph2ps, not one per row) */
        uint64_t h4 = 0;
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            uint16_t h;
            memcpy(&h, rows[i] + blockBytes * b, 2);
            h4 |= (uint64_t) h << (16 * i);
        }
        __m128 dw4 = _mm_cvtph_ps(_mm_cvtsi64_si128((int64_t) h4));
        __m512 dw[4] = {_mm512_broadcastss_ps(dw4), _mm512_broadcastss_ps(_mm_permute_ps(dw4, 0x55)),
                        _mm512_broadcastss_ps(_mm_permute_ps(dw4, 0xAA)),
                        _mm512_broadcastss_ps(_mm_permute_ps(dw4, 0xFF))};
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            const uint8_t *block = rows[i] + blockBytes * b;
            if (type == TYPE_Q8_0) {
                wv[i] = _mm512_xor_si512(_mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) (block + 2))),
                                         flip);
            } else {
                /* [low nibbles | high nibbles] in each 256-bit half: elements 0-15 then 16-31 */
                wv[i] = _mm512_and_si512(_mm512_srlv_epi64(_mm512_broadcast_i32x4(
                        _mm_loadu_si128((const __m128i *) (block + 2))), nibbleShift), low4);
            }
        }
        const struct pair_block *e = pairs + (int64_t) b * PAIRS_PER_CHUNK;
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                __m512i lanes = _mm512_dpbusd_epi32(e[p].c, wv[i], e[p].x);
                acc[i][p] = _mm512_fmadd_ps(_mm512_mul_ps(dw[i], e[p].dx), _mm512_cvtepi32_ps(lanes), acc[i][p]);
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            out[(int64_t) (t + 2 * p) * outStride + r + i] = hsum8_vnni(_mm512_castps512_ps256(acc[i][p]));
            if (t + 2 * p + 1 < tEnd) {
                out[(int64_t) (t + 2 * p + 1) * outStride + r + i] = hsum8_vnni(
                        _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[i][p]), 1)));
            }
        }
    }
}

static inline __attribute__((always_inline)) void vec_dot_tiles_vnni_of(const int type, const uint8_t *w,
        int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks, const int8_t *xq, const float *xd, int32_t tokens,
        float *out, int32_t outStride) {
    const int64_t cols = 32 * (int64_t) blocks;
    int32_t tiledRows = (r1 - r0) / 4 * 4;
    /* the 512-bit tiles' token pairs, built per (row chunk, token chunk); without scratch, only 4x4 tiles run */
    struct pair_block *pairs = tokens >= 2 ? scratch(sizeof(struct pair_block) * PAIRS_PER_CHUNK * (size_t) blocks)
                                           : NULL;
    /* with pairs every token is in a tile (an odd one as a pair with itself), in the one pass over the weights */
    int32_t tiledTokens = pairs != NULL ? tokens : tokens / 4 * 4;
    for (int32_t rc = r0; rc < r0 + tiledRows; rc += TILE_ROW_CHUNK) {
        int32_t rEnd = rc + TILE_ROW_CHUNK < r0 + tiledRows ? rc + TILE_ROW_CHUNK : r0 + tiledRows;
        for (int32_t tc = 0; tc < tiledTokens; tc += 16) {
            int32_t tEnd = tc + 16 < tiledTokens ? tc + 16 : tiledTokens;
            int32_t np = pairs != NULL ? (tEnd - tc + 1) / 2 : 0;
            if (np > 0) {
                pair_table_vnni(type, blocks, xq, xd, tc, tEnd, pairs);
            }
            for (int32_t r = rc; r < rEnd; r += 4) {
                const uint8_t *next = r + 8 <= r1 ? w + (int64_t) (r + 4) * rowStride : NULL;
                int32_t p = 0;
                for (; p + 4 <= np; p += 4) {
                    tile_pairs_zmm(4, type, w, rowStride, r, blocks, pairs + p, tc + 2 * p, tEnd, out, outStride,
                                   p == 0 ? next : NULL);
                }
                if (p + 2 <= np) {
                    tile_pairs_zmm(2, type, w, rowStride, r, blocks, pairs + p, tc + 2 * p, tEnd, out, outStride,
                                   p == 0 ? next : NULL);
                    p += 2;
                }
                if (p < np) {
                    tile_pairs_zmm(1, type, w, rowStride, r, blocks, pairs + p, tc + 2 * p, tEnd, out, outStride,
                                   p == 0 ? next : NULL);
                }
                for (int32_t t = tc; np == 0 && t < tEnd; t += 4) {
                    tile4x4_vnni(type, w, rowStride, r, blocks, xq, xd, t, out, outStride,
                                 t == tc ? next : NULL);
                }
            }
        }
    }
    if (tiledTokens < tokens) {
        vec_dot_vnni(type, w, rowStride, r0, r0 + tiledRows, blocks, xq + tiledTokens * cols,
                     xd + (int64_t) tiledTokens * blocks, tokens - tiledTokens, out + (int64_t) tiledTokens * outStride,
                     outStride);
    }
    if (r0 + tiledRows < r1) {
        vec_dot_vnni(type, w, rowStride, r0 + tiledRows, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

static void vec_dot_tiles_vnni(int type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1,
                               int32_t blocks, const int8_t *xq, const float *xd, int32_t tokens, float *out,
                               int32_t outStride) {
    if (type == TYPE_Q8_0) {
        vec_dot_tiles_vnni_of(TYPE_Q8_0, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else {
        vec_dot_tiles_vnni_of(TYPE_Q4_0, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    }
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
/*
 * The repacked Q4_0 GEMV's order on AVX-512 VNNI with rows as lanes: the 16 nibble bytes of a block of eight rows
 * are transposed dword by dword (lane i = row r + i), so each vpdpbusd takes four quants of all eight rows against
 * four activations broadcast to every lane, and the lanes end the block holding its eight exact sums: no
 * horizontal reduction per row, which cost an 8-row form with one vector per row (eight rows' lanes reduced
 * together) 14 shuffles per 8 row-blocks; the eight scales come in one gather. 1.1-1.24x that form for one token,
 * 1.3-1.48x for four (native-ab). G groups of
 * eight rows (G = 4 from four places for decode: four memory streams, which beat 1, 2 and 3) and T tokens (1, 2
 * or 4) per pass: a transposed block serves the T tokens, a block's activations the G groups.
 * A group's eight rows are 8 · 18 · blocks contiguous bytes read 144 at a time across eight lines; prefetching
 * each row ahead (the Q8_0 decode's way) lost 7-13% (32 streams of prefetched lines crowd the L1), prefetching
 * the next group's bytes as one stream, 144 per block (prefetchNext), made one thread 1.5-1.67x faster from a
 * 151 MB matrix. csum[t·blocks + b] = −8·Σx of token t's block b.
 */
#define DECODE_GROUPS 4

static inline __attribute__((always_inline)) void rows_as_lanes_vnni(const int G, const int T,
        const uint8_t *const *base, int64_t rowStride, const int32_t *at, int32_t blocks, const int8_t *xq,
        const float *xd, int32_t t, const int32_t *csum, float *out, int32_t outStride, int prefetchNext) {
    const int64_t cols = 32 * (int64_t) blocks;
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i rowOffsets = _mm256_mullo_epi32(_mm256_set1_epi32((int32_t) rowStride),
                                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 acc[DECODE_GROUPS][4];
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 4
        for (int j = 0; j < T; j++) {
            acc[g][j] = _mm256_setzero_ps();
        }
    }
    for (int32_t b = 0; b < blocks; b++) {
#pragma GCC unroll 4
        for (int g = 0; g < G; g++) {
            const uint8_t *p = base[g] + 18 * (int64_t) b;
            if (prefetchNext) {
                const char *n = (const char *) (base[g] + 8 * rowStride + 144 * (int64_t) b);
                _mm_prefetch(n, _MM_HINT_T0);
                _mm_prefetch(n + 64, _MM_HINT_T0);
                _mm_prefetch(n + 128, _MM_HINT_T0);
            }
            /* the scales: the low word of each gathered dword */
            __m256 dw = _mm256_cvtph_ps(_mm256_cvtepi32_epi16(_mm256_i32gather_epi32((const int *) p, rowOffsets, 1)));
            __m256i a[4];
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                a[i] = _mm256_inserti128_si256(
                        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (p + i * rowStride + 2))),
                        _mm_loadu_si128((const __m128i *) (p + (i + 4) * rowStride + 2)), 1);
            }
            __m256i t0 = _mm256_unpacklo_epi32(a[0], a[1]);
            __m256i t1 = _mm256_unpackhi_epi32(a[0], a[1]);
            __m256i t2 = _mm256_unpacklo_epi32(a[2], a[3]);
            __m256i t3 = _mm256_unpackhi_epi32(a[2], a[3]);
            /* q[k] lane i: bytes 4k..4k+3 of row i's block, i.e. elements 4k.. (low nibbles), 16 + 4k.. (high) */
            __m256i q[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                            _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
            __m256i lo[4], hi[4];
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                lo[k] = _mm256_and_si256(q[k], low4);
                hi[k] = _mm256_and_si256(_mm256_srli_epi16(q[k], 4), low4);
            }
#pragma GCC unroll 4
            for (int j = 0; j < T; j++) {
                const int32_t *xw = (const int32_t *) (xq + (int64_t) (t + j) * cols + 32 * (int64_t) b);
                /* four short chains, not one of eight: vpdpbusd's latency would otherwise bound the loop */
                __m256i part[4] = {_mm256_set1_epi32(csum[(int64_t) (t + j) * blocks + b]), _mm256_setzero_si256(),
                                   _mm256_setzero_si256(), _mm256_setzero_si256()};
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) {
                    part[k & 1] = _mm256_dpbusd_epi32(part[k & 1], lo[k], _mm256_set1_epi32(xw[k]));
                    part[2 + (k & 1)] = _mm256_dpbusd_epi32(part[2 + (k & 1)], hi[k], _mm256_set1_epi32(xw[4 + k]));
                }
                __m256i sum = _mm256_add_epi32(_mm256_add_epi32(part[0], part[1]),
                                               _mm256_add_epi32(part[2], part[3]));
                __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(xd[(int64_t) (t + j) * blocks + b]));
                acc[g][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), d, acc[g][j]);
            }
        }
    }
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 4
        for (int j = 0; j < T; j++) {
            _mm256_storeu_ps(out + (int64_t) (t + j) * outStride + at[g], acc[g][j]);
        }
    }
}

/* −8·Σx of each block of one token's activations: the unsigned nibbles' correction. */
static inline void nibble_corrections_vnni(const int8_t *x, int32_t blocks, int32_t *csum) {
    const __m256i eight = _mm256_set1_epi8(8);
    for (int32_t b = 0; b < blocks; b++) {
        __m256i l = _mm256_dpbusd_epi32(_mm256_setzero_si256(), eight,
                                        _mm256_loadu_si256((const __m256i *) (x + 32 * (int64_t) b)));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(l), _mm256_extracti128_si256(l, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        csum[b] = -_mm_cvtsi128_si32(s);
    }
}

/* One or two tokens: four 8-row groups from four places at a time (csum: as rows_as_lanes_vnni's, made). */
static void q4_0_decode_vnni(const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                             const int8_t *xq, const float *xd, const int32_t *csum, int32_t tokens, float *out,
                             int32_t outStride) {
    /* whole rows one after another (not a column slice's): the next group's bytes follow a group's */
    const int contiguous = rowStride == 18 * (int64_t) blocks;
    int32_t grouped = (r1 - r0) / 8 * 8;
    int32_t part = grouped / (8 * DECODE_GROUPS) * 8;
    for (int32_t a = r0; a < r0 + part; a += 8) {
        int32_t at[DECODE_GROUPS];
        const uint8_t *base[DECODE_GROUPS];
#pragma GCC unroll 4
        for (int g = 0; g < DECODE_GROUPS; g++) {
            at[g] = a + g * part;
            base[g] = w + (int64_t) at[g] * rowStride;
        }
        if (tokens == 1) {
            rows_as_lanes_vnni(DECODE_GROUPS, 1, base, rowStride, at, blocks, xq, xd, 0, csum, out, outStride,
                               contiguous);
        } else {
            rows_as_lanes_vnni(DECODE_GROUPS, 2, base, rowStride, at, blocks, xq, xd, 0, csum, out, outStride,
                               contiguous);
        }
    }
    for (int32_t a = r0 + DECODE_GROUPS * part; a < r0 + grouped; a += 8) {
        const uint8_t *base = w + (int64_t) a * rowStride;
        if (tokens == 1) {
            rows_as_lanes_vnni(1, 1, &base, rowStride, &a, blocks, xq, xd, 0, csum, out, outStride, contiguous);
        } else {
            rows_as_lanes_vnni(1, 2, &base, rowStride, &a, blocks, xq, xd, 0, csum, out, outStride, contiguous);
        }
    }
    if (r0 + grouped < r1) {
        q4_0_repacked_vnni(w, rowStride, r0 + grouped, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

static void q4_0_repacked_fast_vnni(const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                                    const int8_t *xq, const float *xd, int32_t tokens, float *out,
                                    int32_t outStride) {
    int32_t grouped = (r1 - r0) / 8 * 8;
    /* every token's corrections, once per call; without scratch memory the rows go one at a time */
    int32_t *csum = grouped > 0 ? scratch(sizeof(int32_t) * (size_t) tokens * blocks) : NULL;
    if (csum == NULL) {
        q4_0_repacked_vnni(w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
        return;
    }
    for (int32_t t = 0; t < tokens; t++) {
        nibble_corrections_vnni(xq + (int64_t) t * 32 * blocks, blocks, csum + (int64_t) t * blocks);
    }
    if (tokens <= 2) {
        q4_0_decode_vnni(w, rowStride, r0, r1, blocks, xq, xd, csum, tokens, out, outStride);
        return;
    }
    const int contiguous = rowStride == 18 * (int64_t) blocks;
    for (int32_t r = r0; r < r0 + grouped; r += 8) {
        const uint8_t *base = w + (int64_t) r * rowStride;
        int prefetchNext = contiguous && r + 16 <= r0 + grouped;
        int32_t t = 0;
        for (; t + 4 <= tokens; t += 4) {
            rows_as_lanes_vnni(1, 4, &base, rowStride, &r, blocks, xq, xd, t, csum, out, outStride,
                               t == 0 && prefetchNext);
        }
        if (t + 2 <= tokens) {
            rows_as_lanes_vnni(1, 2, &base, rowStride, &r, blocks, xq, xd, t, csum, out, outStride,
                               t == 0 && prefetchNext);
            t += 2;
        }
        if (t < tokens) {
            rows_as_lanes_vnni(1, 1, &base, rowStride, &r, blocks, xq, xd, t, csum, out, outStride,
                               t == 0 && prefetchNext);
        }
    }
    if (r0 + grouped < r1) {
        q4_0_repacked_vnni(w, rowStride, r0 + grouped, r1, blocks, xq, xd, tokens, out, outStride);
    }
}
#pragma GCC pop_options

/*
 * Q4_0 rows interleaved sixteen at a time: the layout strata_q4_0_interleave copies a matrix into once at load
 * (llama.cpp copies Q4_0 matrices into its own interleaved layout at load too). Group g (rows 16g .. 16g + 15) is
 * one run of q4_0_group_bytes(blocks) bytes: first every block's sixteen fp16 scales (32 bytes per block, padded
 * to a whole line), then every block's quants, 256 bytes per block in four 64-byte chunks, chunk k's dword lane i
 * holding row 16g + i's quant bytes 4k .. 4k + 3. So each chunk is one aligned 512-bit load that vpdpbusd takes
 * as it is, lane i = row i: none of the transposing shuffles and gathers the rows-as-lanes kernel spends on the
 * file's layout, and a thread's rows stream as two sequential runs.
 */
static int64_t q4_0_group_bytes(int32_t blocks) {
    return ((32 * (int64_t) blocks + 63) & ~(int64_t) 63) + 256 * (int64_t) blocks;
}

int64_t strata_q4_0_interleaved_bytes(int32_t rows, int32_t blocks) {
    return rows / 16 * q4_0_group_bytes(blocks);
}

/* Copies rows 0 .. rows − 1 (rows % 16 == 0, rowStride bytes apart) into dst in the interleaved layout. */
void strata_q4_0_interleave(const uint8_t *src, int64_t rowStride, int32_t rows, int32_t blocks, uint8_t *dst) {
    const int64_t scaleBytes = q4_0_group_bytes(blocks) - 256 * (int64_t) blocks;
    for (int32_t g = 0; g < rows / 16; g++) {
        uint8_t *group = dst + g * q4_0_group_bytes(blocks);
        memset(group, 0, (size_t) scaleBytes);
        for (int32_t i = 0; i < 16; i++) {
            const uint8_t *row = src + (16 * (int64_t) g + i) * rowStride;
            for (int32_t b = 0; b < blocks; b++) {
                memcpy(group + 32 * (int64_t) b + 2 * i, row + 18 * (int64_t) b, 2);
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) {
                    memcpy(group + scaleBytes + 256 * (int64_t) b + 64 * k + 4 * i, row + 18 * (int64_t) b + 2 + 4 * k, 4);
                }
            }
        }
    }
}

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
/*
 * G groups (from G places: G pairs of streams) times T tokens of the interleaved layout, in the repacked GEMV's
 * order: per row, acc = fma((float) isum, dw·dx, acc) block by block, isum exact (unsigned nibbles onto the
 * token's −8·Σx, csum[t·blocks + b]). A block's sixteen rows take eight vpdpbusd per token; its unpacked nibbles
 * serve the T tokens.
 */
#ifndef INTERLEAVED_STREAMS
#define INTERLEAVED_STREAMS 4
#endif
#ifndef INTERLEAVED_PREFETCH
#define INTERLEAVED_PREFETCH 2048
#endif
static inline __attribute__((always_inline)) void interleaved_groups_vnni(const int G, const int T,
        const uint8_t *const *group, int64_t scaleBytes, const int32_t *at, int32_t blocks, const int8_t *xq,
        const float *xd, int32_t t, const int32_t *csum, float *out, int32_t outStride) {
    const int64_t cols = 32 * (int64_t) blocks;
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 4
        for (int j = 0; j < T; j++) {
            acc[g][j] = _mm512_setzero_ps();
        }
    }
    for (int32_t b = 0; b < blocks; b++) {
#pragma GCC unroll 4
        for (int g = 0; g < G; g++) {
            const uint8_t *q = group[g] + scaleBytes + 256 * (int64_t) b;
            if (INTERLEAVED_PREFETCH > 0) {
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) {
                    _mm_prefetch((const char *) (q + INTERLEAVED_PREFETCH + 64 * k), _MM_HINT_T0);
                }
                if ((b & 1) == 0) {
                    _mm_prefetch((const char *) (group[g] + 32 * (int64_t) b + INTERLEAVED_PREFETCH / 8), _MM_HINT_T0);
                }
            }
            __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (group[g] + 32 * (int64_t) b)));
            __m512i lo[4], hi[4];
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {
                __m512i v = _mm512_load_si512((const void *) (q + 64 * k));
                lo[k] = _mm512_and_si512(v, low4);
                hi[k] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
            }
#pragma GCC unroll 4
            for (int j = 0; j < T; j++) {
                const int32_t *xw = (const int32_t *) (xq + (int64_t) (t + j) * cols + 32 * (int64_t) b);
                __m512i part[2] = {_mm512_set1_epi32(csum[(int64_t) (t + j) * blocks + b]), _mm512_setzero_si512()};
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) {
                    part[0] = _mm512_dpbusd_epi32(part[0], lo[k], _mm512_set1_epi32(xw[k]));
                    part[1] = _mm512_dpbusd_epi32(part[1], hi[k], _mm512_set1_epi32(xw[4 + k]));
                }
                __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(xd[(int64_t) (t + j) * blocks + b]));
                acc[g][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(part[0], part[1])), d, acc[g][j]);
            }
        }
    }
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 4
        for (int j = 0; j < T; j++) {
            _mm512_storeu_ps(out + (int64_t) (t + j) * outStride + at[g], acc[g][j]);
        }
    }
}


/*
 * Rows r0 .. r1 − 1 (multiples of 16) of an interleaved Q4_0 matrix (w from strata_q4_0_interleave) times
 * tokens 0 .. tokens − 1, the bits of strata_q4_0_repacked on the original rows. AVX-512 VNNI only: the layout
 * is made only where these kernels run. 0, or −1 when the thread has no scratch memory for the corrections.
 */
int32_t strata_q4_0_interleaved(const uint8_t *w, int32_t r0, int32_t r1, int32_t blocks, const int8_t *xq,
                                const float *xd, int32_t tokens, float *out, int32_t outStride) {
    const int64_t groupBytes = q4_0_group_bytes(blocks);
    const int64_t scaleBytes = groupBytes - 256 * (int64_t) blocks;
    int32_t *csum = scratch(sizeof(int32_t) * (size_t) tokens * blocks);
    if (csum == NULL) {
        return -1; /* no scratch memory: the caller takes the file's rows instead */
    }
    for (int32_t t = 0; t < tokens; t++) {
        nibble_corrections_vnni(xq + (int64_t) t * 32 * blocks, blocks, csum + (int64_t) t * blocks);
    }
    const int32_t g0 = r0 / 16, g1 = r1 / 16;
    if (tokens <= 2) {
        const int S = INTERLEAVED_STREAMS;
        int32_t part = (g1 - g0) / S;
        for (int32_t a = g0; a < g0 + part; a++) {
            int32_t at[4];
            const uint8_t *group[4];
#pragma GCC unroll 4
            for (int s = 0; s < S; s++) {
                at[s] = 16 * (a + s * part);
                group[s] = w + (a + s * part) * groupBytes;
            }
            if (tokens == 1) {
                interleaved_groups_vnni(S, 1, group, scaleBytes, at, blocks, xq, xd, 0, csum, out, outStride);
            } else {
                interleaved_groups_vnni(S, 2, group, scaleBytes, at, blocks, xq, xd, 0, csum, out, outStride);
            }
        }
        for (int32_t a = g0 + S * part; a < g1; a++) {
            int32_t at = 16 * a;
            const uint8_t *group = w + a * groupBytes;
            if (tokens == 1) {
                interleaved_groups_vnni(1, 1, &group, scaleBytes, &at, blocks, xq, xd, 0, csum, out, outStride);
            } else {
                interleaved_groups_vnni(1, 2, &group, scaleBytes, &at, blocks, xq, xd, 0, csum, out, outStride);
            }
        }
        return 0;
    }
    for (int32_t a = g0; a < g1; a++) {
        int32_t at = 16 * a;
        const uint8_t *group = w + a * groupBytes;
        int32_t t = 0;
        for (; t + 4 <= tokens; t += 4) {
            interleaved_groups_vnni(1, 4, &group, scaleBytes, &at, blocks, xq, xd, t, csum, out, outStride);
        }
        if (t + 2 <= tokens) {
            interleaved_groups_vnni(1, 2, &group, scaleBytes, &at, blocks, xq, xd, t, csum, out, outStride);
            t += 2;
        }
        if (t < tokens) {
            interleaved_groups_vnni(1, 1, &group, scaleBytes, &at, blocks, xq, xd, t, csum, out, outStride);
        }
    }
    return 0;
}
#pragma GCC pop_options

/*
 * Q4_K rows interleaved sixteen at a time (strata_q4_k_interleave), the same bytes as the file's rows in another
 * order: group g (rows 16g .. 16g + 15) is one run of blocks · 2304 bytes, super-block b's part holding the sixteen
 * rows' fp16 d (32 bytes), fp16 dmin (32), the three dwords of packed 6-bit scales and mins (three 64-byte
 * vectors, lane i = row i), then the quants as 32 vectors: vector 8j + t, lane i = row i's quant dword 32j + 4t.
 * So the kernel unpacks sixteen rows' scales with a handful of vector operations (the file's layout costs a
 * scalar unpack and shuffles per row) and every quant load is an aligned vector that vpdpbusd takes as it is.
 */
#define Q4K_GROUP_BLOCK 2304

int64_t strata_q4_k_interleaved_bytes(int32_t rows, int32_t blocks) {
    return rows / 16 * (int64_t) blocks * Q4K_GROUP_BLOCK;
}

void strata_q4_k_interleave(const uint8_t *src, int64_t rowStride, int32_t rows, int32_t blocks, uint8_t *dst) {
    for (int32_t g = 0; g < rows / 16; g++) {
        for (int32_t b = 0; b < blocks; b++) {
            uint8_t *o = dst + ((int64_t) g * blocks + b) * Q4K_GROUP_BLOCK;
            for (int32_t i = 0; i < 16; i++) {
                const uint8_t *blk = src + (16 * (int64_t) g + i) * rowStride + 144 * (int64_t) b;
                memcpy(o + 2 * i, blk, 2);
                memcpy(o + 32 + 2 * i, blk + 2, 2);
                for (int k = 0; k < 3; k++) {
                    memcpy(o + 64 + 64 * k + 4 * i, blk + 4 + 4 * k, 4);
                }
                for (int v = 0; v < 32; v++) {
                    memcpy(o + 256 + 64 * v + 4 * i, blk + 16 + 4 * v, 4);
                }
            }
        }
    }
}

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
/* each line prefetched 2 KB ahead into L1 and 8 KB ahead into L2: one thread's single stream keeps more misses in
   flight than the L1 alone allows (1.26-1.36x the interleaved kernel with L1 prefetches only, from memory) */
#ifndef Q4K_PREFETCH
#define Q4K_PREFETCH 2048
#endif
#ifndef Q4K_FAR
#define Q4K_FAR 8192
#endif
#ifndef Q4K_STREAMS
#define Q4K_STREAMS 2
#endif
/*
 * One 16-row group of the interleaved Q4_K layout times one token, in KQuantDots' order: per row and super-block
 * the eight exact int32 lanes (lane t: Σ_j scale_2j·dot4(low nibbles of dword 32j + 4t, y) + scale_2j+1·dot4(high
 * nibbles, y + 32)), acc_t = fma(yd·d, lane_t, acc_t), and the four min lanes m_i = fma(−yd·dmin, m_2i·S_2i +
 * m_2i+1·S_2i+1, m_i); the result hsum8(acc) + ((m0 + m2) + (m1 + m3)). Lanes are rows, so each of the twelve
 * accumulators is one vector and the sums are vertical.
 */
static inline __attribute__((always_inline)) void q4_k_group_vnni(const int G, const uint8_t *const *group,
        int32_t blocks, const int8_t *y, const float *yd, const int16_t *bsums, float *const *out) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i six = _mm512_set1_epi8(0x3F);
    const __m512i low2 = _mm512_set1_epi8(0x03);
    /* vpshufb controls (indices within a 128-bit lane, dword p's bytes at 4p): byte k of each dword to its low
       byte, zeros above; bytes 2h, 2h + 1 of each dword to its two 16-bit halves */
    __m512i byteK[4], pairI[2];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        const __m128i dwordAt = _mm_setr_epi32(0, 4, 8, 12);
        byteK[k] = _mm512_broadcast_i32x4(_mm_or_si128(dwordAt, _mm_set1_epi32((int) 0x80808000 | k)));
        if (k < 2) {
            pairI[k] = _mm512_broadcast_i32x4(_mm_add_epi32(_mm_set1_epi32((int) 0x80018000 + 0x00020002 * k),
                                                            _mm_mullo_epi32(dwordAt, _mm_set1_epi32(0x00010001))));
        }
    }
    __m512 acc[4][8], mv[4][4];
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 8
        for (int t = 0; t < 8; t++) {
            acc[g][t] = _mm512_setzero_ps();
        }
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            mv[g][i] = _mm512_setzero_ps();
        }
    }
    for (int32_t b = 0; b < blocks; b++) {
#pragma GCC unroll 4
      for (int g = 0; g < G; g++) {
        const uint8_t *p = group[g] + (int64_t) b * Q4K_GROUP_BLOCK;
#pragma GCC unroll 9
        for (int l = 0; l < Q4K_GROUP_BLOCK; l += 256) {
#pragma GCC unroll 4
            for (int c = 0; c < 256; c += 64) {
                _mm_prefetch((const char *) (p + Q4K_PREFETCH + l + c), _MM_HINT_T0);
                _mm_prefetch((const char *) (p + Q4K_FAR + l + c), _MM_HINT_T1);
            }
        }
        const float ydb = yd[b];
        __m512 d = _mm512_mul_ps(_mm512_set1_ps(ydb), _mm512_cvtph_ps(_mm256_load_si256((const __m256i *) p)));
        __m512 dmin = _mm512_mul_ps(_mm512_set1_ps(-ydb),
                                    _mm512_cvtph_ps(_mm256_load_si256((const __m256i *) (p + 32))));
        __m512i u0 = _mm512_load_si512((const void *) (p + 64));
        __m512i u1 = _mm512_load_si512((const void *) (p + 128));
        __m512i u2 = _mm512_load_si512((const void *) (p + 192));
        __m512i sc[2] = {_mm512_and_si512(u0, six),
                         _mm512_or_si512(_mm512_and_si512(u2, low4),
                                         _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u0, 6), low2), 4))};
        __m512i mn[2] = {_mm512_and_si512(u1, six),
                         _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u2, 4), low4),
                                         _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u1, 6), low2), 4))};
        __m512i scale[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            scale[k] = _mm512_shuffle_epi8(sc[k >> 2], byteK[k & 3]);
        }
        /* the min lanes: S_b = bsums[2b] + bsums[2b + 1] as 16-bit pairs (S_2i, S_2i+1) */
        const int16_t *bs = bsums + 16 * (int64_t) b;
        __m128i s8 = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *) bs), _mm_loadu_si128((const __m128i *) (bs + 8)));
        int32_t spair[4];
        _mm_storeu_si128((__m128i *) spair, s8);
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            __m512i pairs = _mm512_shuffle_epi8(mn[i >> 1], pairI[i & 1]);
            __m512i prod = _mm512_dpwssd_epi32(_mm512_setzero_si512(), pairs, _mm512_set1_epi32(spair[i]));
            mv[g][i] = _mm512_fmadd_ps(dmin, _mm512_cvtepi32_ps(prod), mv[g][i]);
        }
        const int8_t *yb = y + 256 * (int64_t) b;
        const uint8_t *q = p + 256;
#pragma GCC unroll 8
        for (int t = 0; t < 8; t++) {
            __m512i sum = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m512i v = _mm512_load_si512((const void *) (q + 64 * (8 * j + t)));
                __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(v, low4),
                                                 _mm512_set1_epi32(*(const int32_t *) (yb + 64 * j + 4 * t)));
                __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                                 _mm512_and_si512(_mm512_srli_epi16(v, 4), low4),
                                                 _mm512_set1_epi32(*(const int32_t *) (yb + 64 * j + 32 + 4 * t)));
                sum = _mm512_dpwssd_epi32(sum, lo, scale[2 * j]);
                sum = _mm512_dpwssd_epi32(sum, hi, scale[2 * j + 1]);
            }
            acc[g][t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum), acc[g][t]);
        }
      }
    }
    /* hsum8 per row, vertically: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), plus (m0 + m2) + (m1 + m3) */
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
        __m512 h = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(acc[g][0], acc[g][4]), _mm512_add_ps(acc[g][2], acc[g][6])),
                                 _mm512_add_ps(_mm512_add_ps(acc[g][1], acc[g][5]), _mm512_add_ps(acc[g][3], acc[g][7])));
        __m512 m = _mm512_add_ps(_mm512_add_ps(mv[g][0], mv[g][2]), _mm512_add_ps(mv[g][1], mv[g][3]));
        _mm512_storeu_ps(out[g], _mm512_add_ps(h, m));
    }
}

/*
 * Rows r0 .. r1 − 1 (multiples of 16) of an interleaved Q4_K matrix times tokens 0 .. tokens − 1 (Q8_K: quants,
 * scales, per-16 sums), the bits of strata_k_quant on the file's rows: Q4K_STREAMS groups from as many places at
 * once (two streams: 1.04-1.07x one from memory, four no better; each group takes 12 accumulators), each token in
 * turn (the second token's pass finds the groups in cache). AVX-512 VNNI only.
 */
void strata_q4_k_interleaved(const uint8_t *w, int32_t r0, int32_t r1, int32_t blocks, const int8_t *xq,
                             const float *xd, const int16_t *xs, int32_t tokens, float *out, int32_t outStride) {
    const int64_t groupBytes = (int64_t) blocks * Q4K_GROUP_BLOCK;
    const int S = Q4K_STREAMS;
    const int32_t g0 = r0 / 16, g1 = r1 / 16;
    const int32_t part = (g1 - g0) / S;
    for (int32_t a = g0; a < g0 + part; a++) {
        for (int32_t t = 0; t < tokens; t++) {
            const uint8_t *group[4];
            float *o[4];
#pragma GCC unroll 4
            for (int s = 0; s < S; s++) {
                group[s] = w + (a + s * part) * groupBytes;
                o[s] = out + (int64_t) t * outStride + 16 * (a + s * part);
            }
            q4_k_group_vnni(S, group, blocks, xq + (int64_t) t * 256 * blocks, xd + (int64_t) t * blocks,
                            xs + (int64_t) t * 16 * blocks, o);
        }
    }
    for (int32_t g = g0 + S * part; g < g1; g++) {
        for (int32_t t = 0; t < tokens; t++) {
            const uint8_t *group = w + g * groupBytes;
            float *o = out + (int64_t) t * outStride + 16 * g;
            q4_k_group_vnni(1, &group, blocks, xq + (int64_t) t * 256 * blocks, xd + (int64_t) t * blocks,
                            xs + (int64_t) t * 16 * blocks, &o);
        }
    }
}
#pragma GCC pop_options

/* 2: AVX-512 VNNI, 1: AVX2 + FMA + F16C, 0: neither (the Java kernels run). */
int32_t strata_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512bw")) {
        return 2;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return 1;
    }
    return 0;
}

/* Q8_0 rows (type 0) or Q4_0 rows in vec_dot order (type 1) on the given instruction set (isa from strata_isa). */
void strata_vec_dot(int32_t isa, int32_t type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1,
                    int32_t blocks, const int8_t *xq, const float *xd, int32_t tokens, float *out,
                    int32_t outStride) {
    if (isa == 2 && tokens >= 4 && r1 - r0 >= 4) {
        vec_dot_tiles_vnni(type, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else if (isa == 2) {
        vec_dot_vnni(type, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else {
        vec_dot_avx2(type, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

/* Q4_0 rows in the repacked GEMV's order. */
void strata_q4_0_repacked(int32_t isa, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                          const int8_t *xq, const float *xd, int32_t tokens, float *out, int32_t outStride) {
    if (isa == 2) {
        q4_0_repacked_fast_vnni(w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else {
        q4_0_repacked_avx2(w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

/* Q4_K (type 2) or Q6_K (type 3) rows times Q8_K activations (quants, block scales, per-16 sums). */
void strata_k_quant(int32_t isa, int32_t type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1,
                    int32_t blocks, const int8_t *xq, const float *xd, const int16_t *xs, int32_t tokens,
                    float *out, int32_t outStride) {
    if (isa == 2 && k_tokens_vnni(type, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride)) {
        return;
    } else if (isa == 2) {
        k_quant_vnni(type, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
    } else {
        k_quant_avx2(type, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
    }
}

/*
 * The bandwidth probe's read kernel streaming as the decode kernels do (BandwidthProbe.nativeRead): four streams
 * a quarter of the range apart, each prefetched ahead; the sum of `bytes` (a multiple of 64) of floats. A probe
 * that streamed less well than the kernels would understate what memory delivers and flatter decode / bound.
 */
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
double strata_read(const uint8_t *p, int64_t bytes) {
    /* four streams a quarter of the range apart, as the decode kernels take their rows */
    int64_t quarter = bytes / 256 * 64;
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t off = 0; off < quarter; off += 64) {
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            const uint8_t *q = p + i * quarter + off;
            _mm_prefetch((const char *) (q + PREFETCH_BYTES), _MM_HINT_T0);
            s[i] = _mm256_add_ps(s[i], _mm256_add_ps(_mm256_loadu_ps((const float *) q),
                                                     _mm256_loadu_ps((const float *) (q + 32))));
        }
    }
    for (int64_t off = 4 * quarter; off + 64 <= bytes; off += 64) {
        s[0] = _mm256_add_ps(s[0], _mm256_add_ps(_mm256_loadu_ps((const float *) (p + off)),
                                                 _mm256_loadu_ps((const float *) (p + off + 32))));
    }
    __m256 t = _mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3]));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
}
#pragma GCC pop_options
