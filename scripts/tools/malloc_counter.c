// LD_PRELOAD interposer that counts malloc/calloc/realloc/posix_memalign/aligned_alloc calls and
// prints the total at exit. Used by scripts/count-allocations.sh to show that a training step
// allocates nothing: the count of a run of 2N steps minus that of N steps, divided by N.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_long calls;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);

// dlsym may call calloc before real_calloc is known; serve it from a static arena.
static char bootstrap[4096];
static size_t bootstrap_used;

static void resolve(void) {
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
}

void *malloc(size_t size) {
    if (!real_malloc) resolve();
    atomic_fetch_add(&calls, 1);
    return real_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (!real_calloc) {
        size_t bytes = (count * size + 15) & ~(size_t)15;
        if (bootstrap_used + bytes <= sizeof bootstrap) { void *p = bootstrap + bootstrap_used; bootstrap_used += bytes; return p; }
        return NULL;
    }
    atomic_fetch_add(&calls, 1);
    return real_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    if (!real_realloc) resolve();
    atomic_fetch_add(&calls, 1);
    return real_realloc(pointer, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (!real_posix_memalign) resolve();
    atomic_fetch_add(&calls, 1);
    return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (!real_aligned_alloc) resolve();
    atomic_fetch_add(&calls, 1);
    return real_aligned_alloc(alignment, size);
}

void free(void *pointer) {
    static void (*real_free)(void *);
    if ((char *)pointer >= bootstrap && (char *)pointer < bootstrap + sizeof bootstrap) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(pointer);
}

__attribute__((destructor)) static void report(void) {
    // Only the process that asked (MALLOC_COUNTER_OUT names a file): shells and wrappers stay quiet.
    const char *path = getenv("MALLOC_COUNTER_OUT");
    if (!path) return;
    FILE *out = fopen(path, "a");
    if (!out) return;
    fprintf(out, "%ld\n", (long)atomic_load(&calls));
    fclose(out);
}
