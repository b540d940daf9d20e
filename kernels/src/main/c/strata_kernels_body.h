/*
 * The kernels of one instruction set, included once per target by strata_kernels.c with KERNEL(name) naming the
 * functions and LANES(ax, sx) forming ggml's eight int32 lanes from |w| (unsigned bytes) and x·sign(w) (signed
 * bytes): lane t = the sum over elements 4t .. 4t + 3 of the 32-element block. KERNEL_TILES says whether the
 * body's own tiles and 8-row groups are compiled: the VNNI build has its own (strata_kernels.c) and takes only this
 * body's decode streams and leftover rows. Every function computes, for each (row, token), the bits of the scalar reference (io.strata.model.tensor.LegacyDots): the integer lanes are exact,
 * and the float steps are the reference's, in its order (no -ffast-math; -ffp-contract=off so that only the
 * explicit fused multiply-adds are fused).
 */

/* ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)): Lanes.hsum8 */
static inline float KERNEL(hsum8)(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

/* The 32 signed weights of block b of a Q8_0 or Q4_0 row, in ggml's element order. */
static inline __m256i KERNEL(weights)(int type, const uint8_t *block) {
    if (type == TYPE_Q8_0) {
        return _mm256_loadu_si256((const __m256i *) (block + 2));
    }
    __m128i qs = _mm_loadu_si128((const __m128i *) (block + 2));
    __m128i lo = _mm_and_si128(qs, _mm_set1_epi8(0x0F));
    __m128i hi = _mm_and_si128(_mm_srli_epi16(qs, 4), _mm_set1_epi8(0x0F));
    return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
}

static inline float KERNEL(scale)(const uint8_t *block) {
    uint16_t h;
    memcpy(&h, block, 2);
    return _cvtsh_ss(h);
}

/*
 * out[t·outStride + r] = row r · token t for rows r0 .. r1 − 1 and tokens 0 .. tokens − 1, in ggml_vec_dot's order
 * (Q8_0·Q8_0, Q4_0·Q8_0): per (row, token) acc_t = fma(dw·dx, lane_t, acc_t), then hsum8. Rows go in tiles of
 * 4 x 4 tokens where they fit, each weight block loaded once per tile.
 */
static inline __attribute__((always_inline)) void KERNEL(vec_dot_of)(const int type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                            const int8_t *xq, const float *xd, int32_t tokens, float *out, int32_t outStride) {
    const int64_t blockBytes = type == TYPE_Q8_0 ? 34 : 18;
    const int32_t cols = blocks * 32;
    int32_t r = r0;
    if (KERNEL_TILES && tokens >= 4) {
        for (; r + 4 <= r1; r += 4) {
            const uint8_t *rows[4];
            for (int i = 0; i < 4; i++) {
                rows[i] = w + (int64_t) (r + i) * rowStride;
            }
            int32_t t = 0;
            for (; t + 4 <= tokens; t += 4) {
                __m256 acc[4][4];
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
                    for (int j = 0; j < 4; j++) {
                        acc[i][j] = _mm256_setzero_ps();
                    }
                }
                for (int32_t b = 0; b < blocks; b++) {
                    __m256i wv[4];
                    __m256i aw[4];
                    __m256 dw[4];
#pragma GCC unroll 4
                    for (int i = 0; i < 4; i++) {
                        const uint8_t *block = rows[i] + blockBytes * b;
                        wv[i] = KERNEL(weights)(type, block);
                        aw[i] = _mm256_sign_epi8(wv[i], wv[i]);
                        dw[i] = _mm256_set1_ps(KERNEL(scale)(block));
                    }
#pragma GCC unroll 4
                    for (int j = 0; j < 4; j++) {
                        __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) (t + j) * cols + 32 * b));
                        __m256 dx = _mm256_set1_ps(xd[(int64_t) (t + j) * blocks + b]);
#pragma GCC unroll 4
                        for (int i = 0; i < 4; i++) {
                            __m256i lanes = LANES(aw[i], _mm256_sign_epi8(xv, wv[i]));
                            acc[i][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw[i], dx), _mm256_cvtepi32_ps(lanes), acc[i][j]);
                        }
                    }
                }
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {
#pragma GCC unroll 4
                    for (int j = 0; j < 4; j++) {
                        out[(int64_t) (t + j) * outStride + r + i] = KERNEL(hsum8)(acc[i][j]);
                    }
                }
            }
            for (; t < tokens; t++) {
                for (int i = 0; i < 4; i++) {
                    __m256 acc = _mm256_setzero_ps();
                    for (int32_t b = 0; b < blocks; b++) {
                        const uint8_t *block = rows[i] + blockBytes * b;
                        __m256i wv = KERNEL(weights)(type, block);
                        __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) t * cols + 32 * b));
                        float d = KERNEL(scale)(block) * xd[(int64_t) t * blocks + b];
                        __m256i lanes = LANES(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);
                    }
                    out[(int64_t) t * outStride + r + i] = KERNEL(hsum8)(acc);
                }
            }
        }
    }
    if (r < r1 && tokens < 4) {
        /* decode: four rows from four places a quarter of the range apart, so the thread streams four regions of
           the matrix at once (one sequential stream does not keep the prefetchers busy) */
        int32_t quarter = (r1 - r) / 4;
        for (int32_t a = r; a < r + quarter; a++) {
            const uint8_t *rows[4];
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                rows[i] = w + (int64_t) (a + i * quarter) * rowStride;
            }
            for (int32_t t = 0; t < tokens; t++) {
                __m256 acc[4];
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {
                    acc[i] = _mm256_setzero_ps();
                }
                for (int32_t b = 0; b < blocks; b++) {
                    __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) t * cols + 32 * b));
                    float dx = xd[(int64_t) t * blocks + b];
#pragma GCC unroll 4
                    for (int i = 0; i < 4; i++) {
                        const uint8_t *block = rows[i] + blockBytes * b;
                        if ((b & 1) == 0) { /* once per two blocks: about a cache line */
                            _mm_prefetch((const char *) (block + PREFETCH_BYTES), _MM_HINT_T0);
                        }
                        __m256i wv = KERNEL(weights)(type, block);
                        float d = KERNEL(scale)(block) * dx;
                        __m256i lanes = LANES(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
                        acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc[i]);
                    }
                }
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {
                    out[(int64_t) t * outStride + a + i * quarter] = KERNEL(hsum8)(acc[i]);
                }
            }
        }
        r += 4 * quarter;
    }
    for (; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * rowStride;
        for (int32_t t = 0; t < tokens; t++) {
            __m256 acc = _mm256_setzero_ps();
            for (int32_t b = 0; b < blocks; b++) {
                const uint8_t *block = row + blockBytes * b;
                __m256i wv = KERNEL(weights)(type, block);
                __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) t * cols + 32 * b));
                float d = KERNEL(scale)(block) * xd[(int64_t) t * blocks + b];
                __m256i lanes = LANES(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
                acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);
            }
            out[(int64_t) t * outStride + r] = KERNEL(hsum8)(acc);
        }
    }
}

static void KERNEL(vec_dot)(int type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                            const int8_t *xq, const float *xd, int32_t tokens, float *out, int32_t outStride) {
    if (type == TYPE_Q8_0) {
        KERNEL(vec_dot_of)(TYPE_Q8_0, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    } else {
        KERNEL(vec_dot_of)(TYPE_Q4_0, w, rowStride, r0, r1, blocks, xq, xd, tokens, out, outStride);
    }
}

/* [Σ v0, Σ v1, ..., Σ v7]: the exact integer sums of eight 8-lane vectors. */
static inline __m256i KERNEL(sums8)(__m256i v[8]) {
    __m256i h01 = _mm256_hadd_epi32(v[0], v[1]);
    __m256i h23 = _mm256_hadd_epi32(v[2], v[3]);
    __m256i h45 = _mm256_hadd_epi32(v[4], v[5]);
    __m256i h67 = _mm256_hadd_epi32(v[6], v[7]);
    __m256i h0123 = _mm256_hadd_epi32(h01, h23);
    __m256i h4567 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                            _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

/*
 * The repacked Q4_0 GEMV's order (ggml_gemv_q4_0_8x8_q8_0; LegacyDots.q4_0Repacked): per (row, token) one float
 * accumulator, acc = fma((float) isum, dw·dx, acc) block by block, isum the block's exact sum. Eight rows at a
 * time share one vector (lane i = row r + i): their block sums reduced together, their scales converted together.
 */
static void KERNEL(q4_0_repacked)(const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                                  const int8_t *xq, const float *xd, int32_t tokens, float *out, int32_t outStride) {
    const int32_t cols = blocks * 32;
    int32_t r = r0;
    if (KERNEL_TILES && tokens <= 2 && r1 - r >= 16) {
        /* decode: two 8-row groups from two places half the range apart, one token at a time: two streams */
        int32_t half = (r1 - r) / 16 * 8;
        for (int32_t a = r; a < r + half; a += 8) {
            const uint8_t *rows[16];
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) {
                rows[i] = w + (int64_t) (a + (i & 7) + (i >> 3) * half) * rowStride;
            }
            for (int32_t t = 0; t < tokens; t++) {
                __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
                for (int32_t b = 0; b < blocks; b++) {
                    __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) t * cols + 32 * b));
                    __m256 dx = _mm256_set1_ps(xd[(int64_t) t * blocks + b]);
#pragma GCC unroll 2
                    for (int g = 0; g < 2; g++) {
                        uint16_t h[8];
                        __m256i lanes[8];
#pragma GCC unroll 8
                        for (int i = 0; i < 8; i++) {
                            const uint8_t *block = rows[8 * g + i] + 18 * b;
                            memcpy(&h[i], block, 2);
                            __m256i wv = KERNEL(weights)(TYPE_Q4_0, block);
                            lanes[i] = LANES(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
                        }
                        __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) h)), dx);
                        acc[g] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(KERNEL(sums8)(lanes)), d, acc[g]);
                    }
                }
                _mm256_storeu_ps(out + (int64_t) t * outStride + a, acc[0]);
                _mm256_storeu_ps(out + (int64_t) t * outStride + a + half, acc[1]);
            }
        }
        r += 2 * half;
    }
    for (; KERNEL_TILES && r + 8 <= r1; r += 8) {
        const uint8_t *rows[8];
        for (int i = 0; i < 8; i++) {
            rows[i] = w + (int64_t) (r + i) * rowStride;
        }
        int32_t t = 0;
        for (; t < tokens; t += 2) {
            int two = t + 1 < tokens;
            __m256 acc0 = _mm256_setzero_ps();
            __m256 acc1 = _mm256_setzero_ps();
            for (int32_t b = 0; b < blocks; b++) {
                uint16_t h[8];
                __m256i wv[8];
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++) {
                    const uint8_t *block = rows[i] + 18 * b;
                    memcpy(&h[i], block, 2);
                    wv[i] = KERNEL(weights)(TYPE_Q4_0, block);
                }
                __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) h));
                __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) t * cols + 32 * b));
                __m256i lanes[8];
#pragma GCC unroll 8
                for (int i = 0; i < 8; i++) {
                    lanes[i] = LANES(_mm256_sign_epi8(wv[i], wv[i]), _mm256_sign_epi8(xv, wv[i]));
                }
                __m256 d0 = _mm256_mul_ps(dw, _mm256_set1_ps(xd[(int64_t) t * blocks + b]));
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(KERNEL(sums8)(lanes)), d0, acc0);
                if (two) {
                    __m256i yv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) (t + 1) * cols + 32 * b));
#pragma GCC unroll 8
                    for (int i = 0; i < 8; i++) {
                        lanes[i] = LANES(_mm256_sign_epi8(wv[i], wv[i]), _mm256_sign_epi8(yv, wv[i]));
                    }
                    __m256 d1 = _mm256_mul_ps(dw, _mm256_set1_ps(xd[(int64_t) (t + 1) * blocks + b]));
                    acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(KERNEL(sums8)(lanes)), d1, acc1);
                }
            }
            _mm256_storeu_ps(out + (int64_t) t * outStride + r, acc0);
            if (two) {
                _mm256_storeu_ps(out + (int64_t) (t + 1) * outStride + r, acc1);
            }
        }
    }
    for (; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * rowStride;
        for (int32_t t = 0; t < tokens; t++) {
            float acc = 0;
            for (int32_t b = 0; b < blocks; b++) {
                const uint8_t *block = row + 18 * b;
                __m256i wv = KERNEL(weights)(TYPE_Q4_0, block);
                __m256i xv = _mm256_loadu_si256((const __m256i *) (xq + (int64_t) t * cols + 32 * b));
                __m256i l = LANES(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
                __m128i s = _mm_add_epi32(_mm256_castsi256_si128(l), _mm256_extracti128_si256(l, 1));
                s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
                s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
                float d = KERNEL(scale)(block) * xd[(int64_t) t * blocks + b];
                acc = fmaf((float) _mm_cvtsi128_si32(s), d, acc);
            }
            out[(int64_t) t * outStride + r] = acc;
        }
    }
}

/*
 * Q6_K super-block (210 bytes: ql 0:128, qh 128:64, int8 scales 192:16, f16 d 208) times 256 activation quants:
 * the eight int32 lanes of KQuantDots.q6_K, exact. Group g of half h: q = (ql nibble | qh 2 bits << 4), 0..63;
 * its products summed in pairs (vpmaddubsw), less 32 times the pair sums of y (so each pair is Σ(q − 32)·y, within
 * 16 bits), then the pairs times their scale (lanes 0-3 scale 8h + 2g, lanes 4-7 scale 8h + 2g + 1) summed into the
 * lanes (vpdpwssd, or vpmaddwd and an add).
 */
static inline __m256i KERNEL(q6k_lanes)(const uint8_t *blk, const int8_t *y) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i low2 = _mm256_set1_epi8(0x03);
    const __m256i thirtyTwo = _mm256_set1_epi8(32);
    /* low 128 bits: the dword's low word (scale k) in every word; high 128: its high word (scale k + 1) */
    const __m256i halves = _mm256_set_epi8(3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2,
                                           1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0);
    int16_t words[16] __attribute__((aligned(32)));
    _mm256_store_si256((__m256i *) words, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) (blk + 192))));
    __m256i sum = _mm256_setzero_si256();
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        __m256i qh = _mm256_loadu_si256((const __m256i *) (blk + 128 + 32 * h));
        __m256i ql0 = _mm256_loadu_si256((const __m256i *) (blk + 64 * h));
        __m256i ql1 = _mm256_loadu_si256((const __m256i *) (blk + 64 * h + 32));
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) {
            __m256i ql = (g & 1) ? ql1 : ql0;
            __m256i nib = g < 2 ? _mm256_and_si256(ql, low4) : _mm256_and_si256(_mm256_srli_epi16(ql, 4), low4);
            __m256i hb = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), low2), 4);
            __m256i q = _mm256_or_si256(nib, hb);
            __m256i yv = _mm256_loadu_si256((const __m256i *) (y + 128 * h + 32 * g));
            __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(q, yv), _mm256_maddubs_epi16(thirtyTwo, yv));
            int k = 8 * h + 2 * g;
            int32_t both;
            memcpy(&both, &words[k], 4);
            __m256i sc = _mm256_shuffle_epi8(_mm256_set1_epi32(both), halves);
            sum = DPWSSD(sum, pairs, sc);
        }
    }
    return sum;
}

/*
 * The eight 6-bit scales (sc) and mins (m) of a Q4_K super-block (get_scale_min_k4) as bytes of two words each:
 * sc0..3 | sc4..7 and m0..3 | m4..7, from the 12 scale bytes read as three words.
 */
static inline void KERNEL(q4k_scales)(const uint8_t *s, uint32_t sc[2], uint32_t m[2]) {
    uint32_t u[3];
    memcpy(u, s, 12);
    sc[0] = u[0] & 0x3f3f3f3fu;
    m[0] = u[1] & 0x3f3f3f3fu;
    sc[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
    m[1] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
}

/*
 * Q4_K super-block (144 bytes: f16 d 0, f16 dmin 2, scales 4:12, qs 16:128): the eight int32 lanes, exact. Each
 * 32-element half-chunk's products are summed in pairs (vpmaddubsw: 15·127·2 fits 16 bits), then the pairs times
 * the sub-block's scale are summed into the lanes (vpdpwssd, or vpmaddwd and an add).
 */
static inline __m256i KERNEL(q4k_lanes)(const uint8_t *blk, const int8_t *y, const uint32_t sc[2]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    /* both halves: the eight scales as 16-bit words */
    const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int) sc[1], (int) sc[0])));
    __m256i sum = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m256i qs = _mm256_loadu_si256((const __m256i *) (blk + 16 + 32 * j));
        __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(qs, low4),
                                          _mm256_loadu_si256((const __m256i *) (y + 64 * j)));
        __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(qs, 4), low4),
                                          _mm256_loadu_si256((const __m256i *) (y + 64 * j + 32)));
        __m256i s0 = _mm256_shuffle_epi8(scales, _mm256_set1_epi16((short) ((4 * j) | ((4 * j + 1) << 8))));
        __m256i s1 = _mm256_shuffle_epi8(scales, _mm256_set1_epi16((short) ((4 * j + 2) | ((4 * j + 3) << 8))));
        sum = DPWSSD(sum, lo, s0);
        sum = DPWSSD(sum, hi, s1);
    }
    return sum;
}

/*
 * One (row, token) of a K-quant row of `blocks` super-blocks in KQuantDots' order: Q6_K acc_t = fma(dy·d, lane_t,
 * acc_t), hsum8; Q4_K the same with d = dy·d, plus the min terms m_i = fma(−dy·dmin, minPair_i, m_i) added as
 * ((m0 + m2) + (m1 + m3)).
 */
static inline __attribute__((always_inline)) float KERNEL(k_dot)(const int type, const uint8_t *row,
        int32_t blocks, const int8_t *y, const float *dy, const int16_t *bsums) {
    __m256 acc = _mm256_setzero_ps();
    __m128 mv = _mm_setzero_ps();
    for (int32_t b = 0; b < blocks; b++) {
        prefetch_lines4((const char *) (row + (type == TYPE_Q6_K ? 210 : 144) * (int64_t) b + K_PREFETCH_BYTES));
        if (type == TYPE_Q6_K) {
            const uint8_t *blk = row + 210 * (int64_t) b;
            float d = dy[b] * KERNEL(scale)(blk + 208);
            __m256i lanes = KERNEL(q6k_lanes)(blk, y + 256 * (int64_t) b);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);
        } else {
            const uint8_t *blk = row + 144 * (int64_t) b;
            float yd = dy[b];
            float d = yd * KERNEL(scale)(blk);
            float dmin = -yd * KERNEL(scale)(blk + 2);
            uint32_t sc[2], m[2];
            KERNEL(q4k_scales)(blk + 4, sc, m);
            /* the min terms, lane i = m_2i·(s_4i + s_4i+1) + m_2i+1·(s_4i+2 + s_4i+3), s the per-16 sums */
            const int16_t *s = bsums + 16 * (int64_t) b;
            __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *) s),
                                           _mm_loadu_si128((const __m128i *) (s + 8)));
            __m128i mins = _mm_madd_epi16(pairs, _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int) m[1], (int) m[0])));
            mv = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(mins), mv);
            __m256i lanes = KERNEL(q4k_lanes)(blk, y + 256 * (int64_t) b, sc);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);
        }
    }
    float r = KERNEL(hsum8)(acc);
    if (type == TYPE_Q6_K) {
        return r;
    }
    __m128 t = _mm_add_ps(mv, _mm_movehl_ps(mv, mv)); /* (m0 + m2), (m1 + m3) */
    return r + _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

/* Q4_K or Q6_K rows r0 .. r1 − 1 times tokens 0 .. tokens − 1 (Q8_K: quants, scales, 16 group sums per block). */
static inline __attribute__((always_inline)) void KERNEL(k_quant_of)(const int type, const uint8_t *w,
        int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks, const int8_t *xq, const float *xd,
        const int16_t *xs, int32_t tokens, float *out, int32_t outStride) {
    const int64_t cols = 256 * (int64_t) blocks;
    int32_t r = r0;
    /* four rows from four places a quarter of the range apart, each token in turn: four streams from memory */
    int32_t quarter = (r1 - r) / 4;
    for (int32_t a = r; a < r + quarter; a++) {
        for (int32_t t = 0; t < tokens; t++) {
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
                int32_t row = a + i * quarter;
                out[(int64_t) t * outStride + row] = KERNEL(k_dot)(type, w + (int64_t) row * rowStride, blocks,
                        xq + t * cols, xd + (int64_t) t * blocks, xs + (int64_t) t * 16 * blocks);
            }
        }
    }
    for (r += 4 * quarter; r < r1; r++) {
        for (int32_t t = 0; t < tokens; t++) {
            out[(int64_t) t * outStride + r] = KERNEL(k_dot)(type, w + (int64_t) r * rowStride, blocks,
                    xq + t * cols, xd + (int64_t) t * blocks, xs + (int64_t) t * 16 * blocks);
        }
    }
}

static void KERNEL(k_quant)(int type, const uint8_t *w, int64_t rowStride, int32_t r0, int32_t r1, int32_t blocks,
                            const int8_t *xq, const float *xd, const int16_t *xs, int32_t tokens, float *out,
                            int32_t outStride) {
    if (type == TYPE_Q6_K) {
        KERNEL(k_quant_of)(TYPE_Q6_K, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
    } else {
        KERNEL(k_quant_of)(TYPE_Q4_K, w, rowStride, r0, r1, blocks, xq, xd, xs, tokens, out, outStride);
    }
}
