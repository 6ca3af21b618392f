// The run-time choice of the GEMM's instruction set: parsing DESCENT_ISA and /proc/cpuinfo, the
// fallback when a CPU lacks the requested set, and bitwise equality of the AVX2 and AVX-512
// instances on every path, form and unfriendly size.

import Core
import GemmCore
import XCTest
@testable import Kernels

final class InstructionSetTests: XCTestCase {
    func testEnvironmentRequests() {
        XCTAssertEqual(InstructionSet.request(fromEnvironment: "avx2"), .avx2)
        XCTAssertEqual(InstructionSet.request(fromEnvironment: "AVX512"), .avx512)
        XCTAssertNil(InstructionSet.request(fromEnvironment: "auto"))
        XCTAssertNil(InstructionSet.request(fromEnvironment: nil))
        XCTAssertNil(InstructionSet.request(fromEnvironment: "sse2"))
    }

    func testRequestsFallBackToWhatTheCPUHas() {
        XCTAssertEqual(InstructionSet.resolve(nil, best: .avx512), .avx512)
        XCTAssertEqual(InstructionSet.resolve(.avx2, best: .avx512), .avx2)
        XCTAssertEqual(InstructionSet.resolve(.avx512, best: .avx2), .avx2, "no AVX-512 on an AVX2-only CPU")
        XCTAssertEqual(InstructionSet.resolve(nil, best: .avx2), .avx2)
        XCTAssertEqual(InstructionSet.resolve(.portable, best: .avx512), .avx2)
        XCTAssertEqual(InstructionSet.resolve(.avx512, best: .portable), .portable)
        XCTAssertEqual(InstructionSet.resolve(.avx2, best: .portable), .portable)
        XCTAssertTrue(InstructionSet.best.isSupported)
        if InstructionSet.best != .avx512 {
            withInstructionSet(.avx512) { XCTAssertEqual(InstructionSet.active, InstructionSet.best) }
        }
    }

    func testCpuinfoFlags() {
        let zen3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma bmi2\nbugs\t\t: sysret_ss_attrs\n"
        let sapphireRapids = "processor\t: 0\nflags\t\t: fpu avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_fp16\n"
        let knightsLanding = "flags\t\t: avx2 fma avx512f avx512cd avx512er avx512pf\n"
        let noFlagsLine = "processor\t: 0\nfeatures\t: avx512f avx512cd avx512bw avx512dq avx512vl\n"
        XCTAssertFalse(InstructionSet.listsX86_64V4(cpuinfo: zen3))
        XCTAssertTrue(InstructionSet.listsX86_64V4(cpuinfo: sapphireRapids))
        XCTAssertFalse(InstructionSet.listsX86_64V4(cpuinfo: knightsLanding), "no BW/DQ/VL")
        XCTAssertFalse(InstructionSet.listsX86_64V4(cpuinfo: noFlagsLine))
        XCTAssertFalse(InstructionSet.listsX86_64V4(cpuinfo: ""))
        #if arch(x86_64)
        XCTAssertNotEqual(InstructionSet.best, .portable)
        #else
        XCTAssertEqual(InstructionSet.best, .portable)
        #endif
    }

    /// Sizes around both tiles (6×16 and 6×32, their half panels, AVX-512's 12-row packed
    /// panels and their 1-11-row remainders, last panels of 1-8 columns) and the 384 k-block.
    let sizes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 13, 65), (13, 65, 7), (6, 16, 1), (6, 32, 3), (5, 17, 400), (12, 24, 257), (7, 31, 13),
        (19, 33, 769), (2, 47, 5), (11, 48, 9), (6, 49, 20), (65, 100, 33), (3, 257, 17), (30, 64, 50), (47, 96, 21),
        (25, 35, 40), (14, 38, 70),
    ]

    /// Runs `body` once per instance and returns the bit patterns it produced; skips when the CPU
    /// has no AVX-512.
    func bitsPerInstructionSet(_ body: () -> [UInt32]) throws -> (avx2: [UInt32], avx512: [UInt32]) {
        guard InstructionSet.avx512.isSupported else { throw XCTSkip("this CPU has no AVX-512 (x86-64-v4)") }
        let avx2 = withInstructionSet(.avx2) { () -> [UInt32] in
            XCTAssertEqual(InstructionSet.active, .avx2)
            return body()
        }
        let avx512 = withInstructionSet(.avx512) { () -> [UInt32] in
            XCTAssertEqual(InstructionSet.active, .avx512)
            return body()
        }
        return (avx2, avx512)
    }

    func testAVX2AndAVX512InstancesAreBitwiseEqual() throws {
        var generator = Xoshiro256(seed: 21)
        for form in MatMulForm.allCases {
            for (m, n, k) in sizes {
                let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
                let bias = randomMatrix(1, n, &generator)
                let start = randomMatrix(m, n, &generator)
                for path in MatMulPath.allCases {
                    for (accumulate, hasBias) in [(false, false), (true, true)] {
                        let (avx2, avx512) = try bitsPerInstructionSet {
                            let c = copyOf(start)
                            MatMul.multiply(c, a, b, form: form, accumulate: accumulate, bias: hasBias ? bias : nil, path: path)
                            return bits(c)
                        }
                        XCTAssertEqual(avx2, avx512, "\(form) \(m)×\(n)×\(k) \(path) accumulate \(accumulate) bias \(hasBias)")
                    }
                }
            }
        }
    }

    /// Products past the parallel threshold, and one whose B is packed block by block (two column
    /// chunks, two k-blocks): the same bits on both instances at 1, 2 and 3 threads.
    func testInstancesAgreeAcrossThreadCountsAndBlockPacking() throws {
        var generator = Xoshiro256(seed: 22)
        let shapes: [(MatMulForm, Int, Int, Int)] = [
            (.nn, 134, 97, 170), (.nt, 40, 300, 181), (.tn, 301, 45, 160), (.nn, 7, 1000, 300),
            (.nn, 13, 1100, 400), (.nt, 13, 1100, 400), (.tn, 13, 1100, 400), (.nn, 100, 1030, 390),
            (.nn, 40, 60, 2500), (.nt, 50, 1100, 400),
        ]
        for (form, m, n, k) in shapes {
            if n >= 1000 { XCTAssertGreaterThan(k * n, GemmBlocking.wholePackedBMaximum) }
            let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
            let bias = randomMatrix(1, n, &generator)
            let start = randomMatrix(m, n, &generator)
            var results: [[UInt32]] = []
            for threads in [1, 2, 3] {
                let (avx2, avx512) = try bitsPerInstructionSet {
                    let c = copyOf(start)
                    withThreads(threads) { MatMul.multiply(c, a, b, form: form, accumulate: true, bias: bias) }
                    return bits(c)
                }
                results += [avx2, avx512]
            }
            for (index, result) in results.enumerated().dropFirst() {
                XCTAssertEqual(result, results[0], "\(form) \(m)×\(n)×\(k): run \(index) (threads \(index / 2 + 1), \(index % 2 == 0 ? "avx2" : "avx512"))")
            }
        }
    }

    func testActiveInstanceMatchesDoubleReference() {
        var generator = Xoshiro256(seed: 23)
        for set in [InstructionSet.avx2, .avx512] {
            withInstructionSet(set) {
                for form in MatMulForm.allCases {
                    let (m, n, k) = (9, 45, 70)
                    let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
                    let c = Matrix(rows: m, columns: n)
                    MatMul.multiply(c, a, b, form: form, path: .packed)
                    let (value, magnitude) = doubleProduct(a, b, form: form, m: m, n: n, k: k, bias: nil)
                    for i in 0..<(m * n) where abs(Double(c[i]) - value[i]) > 1e-5 * magnitude[i] {
                        XCTFail("\(InstructionSet.active) \(form): [\(i)] = \(c[i]), expected \(value[i])")
                        return
                    }
                }
            }
        }
    }
}
