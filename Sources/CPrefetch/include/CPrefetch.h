// Software prefetch for the GEMM micro-kernel. Swift has no prefetch intrinsic, and a plain early
// load would be sunk to its use by the optimizer; a static inline C function imports into Swift
// and inlines to one prefetcht1.
#ifndef DESCENT_CPREFETCH_H
#define DESCENT_CPREFETCH_H

/// Asks for the cache line holding `address` in L2 (and L3) for a later read; never faults.
static inline void descent_prefetch_l2(const void *address) {
    __builtin_prefetch(address, 0, 2);
}

#endif
