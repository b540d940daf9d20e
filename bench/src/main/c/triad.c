/*
 * The C reference for io.strata.kernels.cpu.BandwidthProbe: the same two kernels, sizes and byte counts, so the
 * figures can be compared line by line.
 *
 *   triad: a[i] = b[i] + s * c[i] over float arrays, counted like STREAM as 3 x 4 bytes per element (2 reads,
 *          1 write; the write-allocate read the CPU also does is not counted).
 *   read:  sum of b[i], counted as 4 bytes per element.
 *
 * Each OpenMP thread works on its own contiguous slice (schedule(static)), the arrays are first touched by the
 * threads that use them, and the best of PASSES timed passes is reported after 3 untimed ones.
 * Built and run by bench/bandwidth.sh (gcc -O3 -march=native -fopenmp), not by Maven.
 *
 * usage: triad [MIB_PER_ARRAY [PASSES]]   (threads: OMP_NUM_THREADS)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static double now(void) { return omp_get_wtime(); }

static int cmp(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 256;
    int passes = argc > 2 ? atoi(argv[2]) : 10;
    long n = mib * 1024 * 1024 / sizeof(float);
    float *a = aligned_alloc(4096, n * sizeof(float));
    float *b = aligned_alloc(4096, n * sizeof(float));
    float *c = aligned_alloc(4096, n * sizeof(float));
    if (!a || !b || !c || passes < 1) {
        fprintf(stderr, "triad: cannot allocate 3 x %ld MiB or bad arguments\n", mib);
        return 1;
    }
    const float s = 3.0f;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        a[i] = 0.0f;
        b[i] = 0.75f;
        c[i] = 3.0f;
    }
    double *triad_t = malloc(passes * sizeof(double));
    double *read_t = malloc(passes * sizeof(double));
    double sum = 0;
    for (int p = -3; p < passes; p++) {
        double t0 = now();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) {
            a[i] = b[i] + s * c[i];
        }
        double t1 = now();
        if (p >= 0) triad_t[p] = t1 - t0;
    }
    for (int p = -3; p < passes; p++) {
        double t0 = now();
        float total = 0;
        /* gcc vectorizes a float reduction only with reassociation allowed: -O3 alone keeps it scalar */
#pragma omp parallel for simd schedule(static) reduction(+ : total)
        for (long i = 0; i < n; i++) {
            total += b[i];
        }
        double t1 = now();
        sum += total;
        if (p >= 0) read_t[p] = t1 - t0;
    }
    qsort(triad_t, passes, sizeof(double), cmp);
    qsort(read_t, passes, sizeof(double), cmp);
    int threads = omp_get_max_threads();
    printf("c    triad threads=%d array=%ldMiB best=%.2f GB/s median=%.2f GB/s\n", threads, mib,
           3.0 * n * sizeof(float) / triad_t[0] / 1e9, 3.0 * n * sizeof(float) / triad_t[passes / 2] / 1e9);
    printf("c    read  threads=%d array=%ldMiB best=%.2f GB/s median=%.2f GB/s\n", threads, mib,
           1.0 * n * sizeof(float) / read_t[0] / 1e9, 1.0 * n * sizeof(float) / read_t[passes / 2] / 1e9);
    /* print a value that depends on every pass so no loop can be dropped */
    fprintf(stderr, "(checksum %g %g)\n", sum, (double) a[n / 2]);
    return 0;
}
