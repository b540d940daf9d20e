/*
 * Two builds of the native kernels (libstrata_kernels.so) against each other, in one process, in turns, one
 * thread: best of 40 runs each on random weights, ns per (row, token, block) and whether both gave the same bits.
 * A kernel change is measured this way because this VM's speed moves by up to 1.5x within minutes.
 *
 *   sh kernels/src/main/c/build.sh /tmp/new                     # the changed kernels
 *   (git stash; sh kernels/src/main/c/build.sh /tmp/old; git stash pop)
 *   gcc -O2 -o /tmp/native-ab bench/src/main/c/native-ab.c -ldl
 *   /tmp/native-ab TYPE ROWS COLS TOKENS /tmp/old/libstrata_kernels.so /tmp/new/libstrata_kernels.so
 *   THREADS=2 /tmp/native-ab ...   # the rows in two halves on two threads (a matrix beyond the L3: from memory)
 *   PIECES=n /tmp/native-ab ...    # each thread's rows in n calls (the engine's 512-row pieces)
 *
 * TYPE: 0 Q8_0 (vec_dot), 1 Q4_0 (repacked GEMV), 2 Q4_K, 3 Q6_K (blocks of 256), 4 Q4_0: A's repacked GEMV
 * on the file's rows against B's on the rows interleaved 16 at a time (strata_q4_0_interleave), 6 Q4_K: A's
 * strata_k_quant against B's interleaved Q4_K (strata_q4_k_interleave).
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <dlfcn.h>
#include <pthread.h>
typedef void (*vd_t)(int32_t, int32_t, const uint8_t *, int64_t, int32_t, int32_t, int32_t, const int8_t *, const float *, int32_t, float *, int32_t);
typedef void (*kq_t)(int32_t, int32_t, const uint8_t *, int64_t, int32_t, int32_t, int32_t, const int8_t *, const float *, const int16_t *, int32_t, float *, int32_t);
typedef void (*rp_t)(int32_t, const uint8_t *, int64_t, int32_t, int32_t, int32_t, const int8_t *, const float *, int32_t, float *, int32_t);
typedef int32_t (*il_t)(const uint8_t *, int32_t, int32_t, int32_t, const int8_t *, const float *, int32_t, float *, int32_t);
typedef void (*ilc_t)(const uint8_t *, int64_t, int32_t, int32_t, uint8_t *);
typedef int64_t (*ilb_t)(int32_t, int32_t);
typedef void (*ilk_t)(const uint8_t *, int32_t, int32_t, int32_t, const int8_t *, const float *, const int16_t *, int32_t, float *, int32_t);
struct job { void *lib; int type, rows, blocks, bb, tokens, r0, r1; const uint8_t *w; const int8_t *x; const float *xd; const int16_t *xs; float *o; };
static const uint8_t *interleaved; /* type 4: the B side's copy */
static void call(const struct job *j) {
    if (j->type == 7) ((ilk_t) dlsym(j->lib, "strata_q4_k_interleaved"))(interleaved, j->r0, j->r1, j->blocks, j->x, j->xd, j->xs, j->tokens, j->o, j->rows);
    else if (j->type == 5) ((il_t) dlsym(j->lib, "strata_q4_0_interleaved"))(interleaved, j->r0, j->r1, j->blocks, j->x, j->xd, j->tokens, j->o, j->rows);
    else if (j->type == 0) ((vd_t) dlsym(j->lib, "strata_vec_dot"))(2, 0, j->w, j->bb * j->blocks, j->r0, j->r1, j->blocks, j->x, j->xd, j->tokens, j->o, j->rows);
    else if (j->type >= 2) ((kq_t) dlsym(j->lib, "strata_k_quant"))(2, j->type, j->w, j->bb * j->blocks, j->r0, j->r1, j->blocks, j->x, j->xd, j->xs, j->tokens, j->o, j->rows);
    else ((rp_t) dlsym(j->lib, "strata_q4_0_repacked"))(2, j->w, j->bb * j->blocks, j->r0, j->r1, j->blocks, j->x, j->xd, j->tokens, j->o, j->rows);
}
/* PIECES=n: each thread's rows in n calls one after another, as the engine's pieces of a product */
static void calls(const struct job *j) {
    int n = getenv("PIECES") ? atoi(getenv("PIECES")) : 1;
    int per = (j->r1 - j->r0) / n / 16 * 16;
    for (int i = 0; i < n; i++) {
        struct job p = *j;
        p.r0 = j->r0 + i * per;
        p.r1 = i == n - 1 ? j->r1 : p.r0 + per;
        call(&p);
    }
}
static void *run(void *p) { calls((const struct job *) p); return NULL; }
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
    int type = atoi(argv[1]); /* 0 q8_0 vec_dot, 1 q4_0 repacked */
    int rows = atoi(argv[2]), cols = atoi(argv[3]), tokens = atoi(argv[4]);
    void *A = dlopen(argv[5], RTLD_NOW | RTLD_LOCAL), *B = dlopen(argv[6], RTLD_NOW | RTLD_LOCAL);
    if (!A || !B) { printf("dlopen: %s\n", dlerror()); return 1; }
    int interleave = type == 4 || type == 6; if (type == 4) type = 1; if (type == 6) type = 2;
    int blocks = type >= 2 ? cols / 256 : cols / 32; int bb = type == 0 ? 34 : type == 1 ? 18 : type == 2 ? 144 : 210;
    size_t wsize = (size_t) rows * bb * blocks;
    uint8_t *w = malloc(wsize); for (size_t i = 0; i < wsize; i++) w[i] = rand();
    for (int r = 0; r < rows; r++) for (int b = 0; b < blocks; b++) { uint16_t h = 0x2000 + (rand() & 0x3ff); memcpy(w + (size_t) r * bb * blocks + bb * b, &h, 2); }
    int8_t *x = malloc((size_t) tokens * cols); for (size_t i = 0; i < (size_t) tokens * cols; i++) x[i] = (rand() % 255) - 127;
    float *xd = malloc(sizeof(float) * tokens * blocks); for (int i = 0; i < tokens * blocks; i++) xd[i] = 0.01f;
    int16_t *xs = malloc(2 * 16 * tokens * blocks); for (int i = 0; i < 16 * tokens * blocks; i++) xs[i] = (rand() % 4000) - 2000;
    if (interleave) {
        const char *kind = type == 1 ? "strata_q4_0_interleave" : "strata_q4_k_interleave";
        char bytesName[64]; snprintf(bytesName, sizeof bytesName, "%sd_bytes", kind);
        uint8_t *il = aligned_alloc(64, (((ilb_t) dlsym(B, bytesName))(rows, blocks) + 63) / 64 * 64);
        ((ilc_t) dlsym(B, kind))(w, (int64_t) bb * blocks, rows, blocks, il);
        interleaved = il;
    }
    float *oa = malloc(sizeof(float) * tokens * rows), *ob = malloc(sizeof(float) * tokens * rows);
    double best[2] = {1e9, 1e9};
    for (int rep = 0; rep < 40; rep++) {
        for (int k = 0; k < 2; k++) {
            void *L = k ? B : A; float *o = k ? ob : oa;
            /* THREADS=2: the rows split in two halves on two threads, as the engine's thread team does */
            int threads = getenv("THREADS") ? atoi(getenv("THREADS")) : 1;
            struct job j[2];
            for (int i = 0; i < 2; i++) {
                /* BOTH=1: A runs its interleaved kernel too (two builds of it against each other) */
                int il = interleave && (k || getenv("BOTH"));
                j[i] = (struct job) {L, il ? (type == 1 ? 5 : 7) : type, rows, blocks, bb, tokens, i == 0 ? 0 : rows / 2 / 16 * 16, i == 0 ? (threads > 1 ? rows / 2 / 16 * 16 : rows) : rows, w, x, xd, xs, o};
            }
            double t0 = now();
            if (threads > 1) {
                pthread_t th;
                pthread_create(&th, NULL, run, &j[1]);
                calls(&j[0]);
                pthread_join(th, NULL);
            } else {
                calls(&j[0]);
            }
            double t = now() - t0; if (t < best[k]) best[k] = t;
        }
    }
    double rtb = (double) rows * tokens * blocks;
    printf("type %d rows %d cols %d tokens %d: A %.2f ns B %.2f ns per (row,token,block), %.1f / %.1f GB/s, B/A speed x%.2f, same output %s\n", type, rows, cols, tokens,
           best[0] * 1e9 / rtb, best[1] * 1e9 / rtb, wsize / best[0] / 1e9, wsize / best[1] / 1e9, best[0] / best[1], memcmp(oa, ob, sizeof(float) * tokens * rows) ? "NO" : "yes");
    return 0;
}
