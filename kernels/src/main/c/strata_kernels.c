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

#define TYPE_Q8_0 0
#define TYPE_Q4_0 1
#define TYPE_Q4_K 2
#define TYPE_Q6_K 3

/* ---- AVX2 (ggml's mul_sum_i8_pairs: maddubs then madd; pair sums fit 16 bits as |w| <= 128, |x| <= 127) ---- */
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
static inline __m256i lanes_avx2(__m256i ax, __m256i sx) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sx), _mm256_set1_epi16(1));
}
#define KERNEL(name) name##_avx2
#define LANES(ax, sx) lanes_avx2(ax, sx)
#include "strata_kernels_body.h"
#undef KERNEL
#undef LANES
#pragma GCC pop_options

/* ---- AVX-512 VNNI on 256-bit vectors (one vpdpbusd per block; 32 vector registers) ---- */
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
static inline __m256i lanes_vnni(__m256i ax, __m256i sx) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sx);
}
#define KERNEL(name) name##_vnni
#define LANES(ax, sx) lanes_vnni(ax, sx)
#include "strata_kernels_body.h"
#undef KERNEL
#undef LANES
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
    if (isa == 2) {
        vec_dot_vnni(type, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else {
        vec_dot_avx2(type, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

/* Q4_0 rows in the repacked GEMV's order. */
void strata_q4_0_repacked(int32_t isa, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                          const int8_t *xq, const float *xd, int32_t tokens, float *out, int32_t outStride) {
    if (isa == 2) {
        q4_0_repacked_vnni(w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else {
        q4_0_repacked_avx2(w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

/* Q4_K (type 2) or Q6_K (type 3) rows times Q8_K activations (quants, block scales, per-16 sums). */
void strata_k_quant(int32_t isa, int32_t type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1,
                    int32_t blocks, const int8_t *xq, const float *xd, const int16_t *xs, int32_t tokens,
                    float *out, int32_t outStride) {
    if (isa == 2) {
        k_quant_vnni(type, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
    } else {
        k_quant_avx2(type, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
    }
}
