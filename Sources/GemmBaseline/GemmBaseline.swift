// The GEMM instance for the package's baseline CPU level: GemmCore's generic code specialized for
// SIMD8<Float>, a 6×16 tile in 12 ymm accumulators on x86-64-v3 (AVX2 + FMA), or in the target's
// own SIMD registers on other architectures. Kernels runs it whenever `InstructionSet.active` is
// not `.avx512`. Like GemmAVX512 it is compiled optimized in every configuration (Package.swift):
// unspecialized, the generic GEMM would be far too slow for the debug test suite.

import GemmCore

package enum GemmBaseline {
    /// `GemmKernel.packBPanels` for the 6×16 tile.
    @inline(never)
    package static func packB(_ plan: UnsafePointer<GemmPlan>, panels: Range<Int>) {
        GemmKernel<SIMD8<Float>>.packBPanels(plan.pointee, panels: panels)
    }

    /// `GemmKernel.computeRectangle` for the 6×16 tile.
    @inline(never)
    package static func computeRectangle(_ plan: UnsafePointer<GemmPlan>, rows: Range<Int>, panels: Range<Int>,
                                         scratch: GemmScratch) {
        GemmKernel<SIMD8<Float>>.computeRectangle(plan.pointee, rows: rows, panels: panels, scratch: scratch)
    }
}
