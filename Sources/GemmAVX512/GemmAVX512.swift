// The GEMM instance for x86-64-v4 (AVX-512F/CD/BW/DQ/VL): GemmCore's generic code specialized for
// SIMD16<Float>: a 12×32 tile in 24 zmm accumulators for packed A, 6×32 elsewhere. This target
// alone is compiled with `-march=x86-64-v4` (Package.swift), so nothing here may run unless
// Kernels' instruction-set check passed: Kernels calls these two entry points only when
// `InstructionSet.active` is `.avx512`. They are `@inline(never)` so that no client inlines (and
// recompiles for its own CPU level) the AVX-512 code, and every function this module emits is
// either one of them or a GemmCore function specialized for SIMD16, a symbol no other module
// defines (scripts/check-isa-isolation.sh verifies both on the release binary).
//
// On other architectures the module is empty.

#if arch(x86_64)
import GemmCore

package enum GemmAVX512 {
    /// `GemmKernel.packBPanels` for the 32-wide tile.
    @inline(never)
    package static func packB(_ plan: UnsafePointer<GemmPlan>, panels: Range<Int>) {
        GemmKernel<SIMD16<Float>>.packBPanels(plan.pointee, panels: panels)
    }

    /// `GemmKernel.computeRectangle` for the 12×32 and 6×32 tiles.
    @inline(never)
    package static func computeRectangle(_ plan: UnsafePointer<GemmPlan>, rows: Range<Int>, panels: Range<Int>,
                                         scratch: GemmScratch) {
        GemmKernel<SIMD16<Float>>.computeRectangle(plan.pointee, rows: rows, panels: panels, scratch: scratch)
    }
}
#endif
