// The memory floor of one SGD-momentum step over config C's parameters, in plain C: what the
// optimizer pass costs when nothing but its own traffic limits it. It reads weights, gradients
// and velocities and writes weights and velocities (5 × 4 bytes per parameter), over caches
// emptied between repetitions as a training step's products empty them (read, not dirtied, so the floor is a fair one). Beside the product,
// not part of it: a yardstick for `descent-bench train --config C --breakdown`'s update share.
//
// Usage: sgd-memory-floor PARAMETERS THREADS REPETITIONS

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static float *weights, *gradients, *velocities;
static volatile float flushSink;

struct range { long start, end; };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *update(void *argument) {
    const struct range *r = argument;
    for (long i = r->start; i < r->end; i++) {
        float v = 0.9f * velocities[i] + gradients[i];
        velocities[i] = v;
        weights[i] -= 0.05f * v;
    }
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PARAMETERS THREADS REPETITIONS\n", argv[0]);
        return 2;
    }
    long count = atol(argv[1]);
    int threads = atoi(argv[2]), repetitions = atoi(argv[3]);
    if (count < 1 || threads < 1 || threads > 64 || repetitions < 1) {
        fprintf(stderr, "PARAMETERS and REPETITIONS must be at least 1, THREADS 1 to 64\n");
        return 2;
    }
    weights = aligned_alloc(64, (count * 4 + 63) / 64 * 64);
    gradients = aligned_alloc(64, (count * 4 + 63) / 64 * 64);
    velocities = aligned_alloc(64, (count * 4 + 63) / 64 * 64);
    long flushCount = 16L << 20;  // 64 MB of floats: more than any L3 these machines have
    float *flush = malloc(flushCount * sizeof(float));
    double *times = malloc(repetitions * sizeof(double));
    if (!weights || !gradients || !velocities || !flush || !times) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (long i = 0; i < count; i++) { weights[i] = 1; gradients[i] = 1e-3f; velocities[i] = 0; }
    for (long i = 0; i < flushCount; i++) flush[i] = 0;
    pthread_t workers[64];
    struct range ranges[64];
    for (int t = 0; t < threads; t++) {
        ranges[t].start = count * t / threads;
        ranges[t].end = count * (t + 1) / threads;
    }
    for (int r = 0; r < repetitions; r++) {
        // Read, not written: dirty lines would cost write-backs inside the timed pass.
        float sink = 0;
        for (long i = 0; i < flushCount; i += 16) sink += flush[i];
        flushSink = sink;
        double start = seconds();
        for (int t = 1; t < threads; t++) pthread_create(&workers[t], NULL, update, &ranges[t]);
        update(&ranges[0]);
        for (int t = 1; t < threads; t++) pthread_join(workers[t], NULL);
        times[r] = seconds() - start;
    }
    qsort(times, repetitions, sizeof(double), compare);
    double bytes = 20.0 * count;
    printf("SGD momentum over %ld parameters, %d threads, %d repetitions: best %.0f us, median %.0f us "
           "(%.1f and %.1f GB/s of the %.1f MB it moves)\n",
           count, threads, repetitions, times[0] * 1e6, times[repetitions / 2] * 1e6,
           bytes / times[0] / 1e9, bytes / times[repetitions / 2] / 1e9, bytes / 1e6);
    return 0;
}
