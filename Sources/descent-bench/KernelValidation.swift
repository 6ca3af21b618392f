// Validation run by `descent-bench kernels` before any timing: every fast kernel against its
// reference on unfriendly sizes, and every benchmarked GEMM shape on sampled entries.

import Core
import Kernels

enum KernelValidation {
    /// Returns one message per failed check (empty when all pass).
    static func run(log: (String) -> Void) -> [String] {
        var failures: [String] = []
        var checks = 0
        var generator = Xoshiro256(seed: 7)
        for form in MatMulForm.allCases {
            for (m, n, k) in [(1, 1, 1), (7, 13, 65), (13, 7, 257), (65, 33, 17), (6, 16, 5), (37, 129, 400)] {
                for path in [MatMulPath.direct, .packed] {
                    for (accumulate, hasBias) in [(false, false), (true, true)] {
                        checks += 1
                        if let failure = checkGemm(form: form, m: m, n: n, k: k, path: path, accumulate: accumulate,
                                                   hasBias: hasBias, &generator) {
                            failures.append(failure)
                        }
                    }
                }
            }
        }
        for cell in GemmCell.all {
            checks += 1
            if let failure = checkGemmSampled(cell, &generator) { failures.append(failure) }
        }
        log("validated \(checks) kernel checks against their references: \(failures.isEmpty ? "all pass" : "\(failures.count) FAILED")")
        return failures
    }

    static func checkGemm(form: MatMulForm, m: Int, n: Int, k: Int, path: MatMulPath, accumulate: Bool, hasBias: Bool,
                          _ generator: inout Xoshiro256) -> String? {
        let a = form == .tn ? randomMatrix(k, m, &generator) : randomMatrix(m, k, &generator)
        let b = form == .nt ? randomMatrix(n, k, &generator) : randomMatrix(k, n, &generator)
        let bias = hasBias ? randomMatrix(1, n, &generator) : nil
        let c = randomMatrix(m, n, &generator)
        let expected = Matrix(rows: m, columns: n)
        expected.copy(from: c)
        MatMul.multiply(c, a, b, form: form, accumulate: accumulate, bias: bias, path: path)
        MatMul.reference(expected, a, b, form: form, accumulate: accumulate, bias: bias, m: m, n: n, k: k)
        let tolerance = 1e-5 * Double(k + 2)
        for i in 0..<(m * n) where abs(Double(c[i]) - Double(expected[i])) > tolerance * max(1, abs(Double(expected[i]))) {
            return "MatMul.\(form) \(m)×\(n)×\(k) path \(path) accumulate \(accumulate) bias \(hasBias): element \(i) is \(c[i]), reference \(expected[i])"
        }
        return nil
    }

    /// The benchmarked shape itself, checked on 64 entries computed in Double.
    static func checkGemmSampled(_ cell: GemmCell, _ generator: inout Xoshiro256) -> String? {
        let form = cell.form
        let a = form == .tn ? randomMatrix(cell.k, cell.m, &generator) : randomMatrix(cell.m, cell.k, &generator)
        let b = form == .nt ? randomMatrix(cell.n, cell.k, &generator) : randomMatrix(cell.k, cell.n, &generator)
        let c = Matrix(rows: cell.m, columns: cell.n)
        MatMul.multiply(c, a, b, form: form)
        for _ in 0..<64 {
            let i = generator.nextInt(below: cell.m), j = generator.nextInt(below: cell.n)
            var sum = 0.0, magnitude = 0.0
            for p in 0..<cell.k {
                let x = Double(form == .tn ? a[p, i] : a[i, p]), y = Double(form == .nt ? b[j, p] : b[p, j])
                sum += x * y
                magnitude += abs(x * y)
            }
            if abs(Double(c[i, j]) - sum) > 1e-5 * max(magnitude, 1) {
                return "\(cell.op) \(cell.m)×\(cell.n)×\(cell.k): c[\(i), \(j)] = \(c[i, j]), expected \(sum)"
            }
        }
        return nil
    }
}

enum OtherKernels {
    static func cases() -> [(String, () -> Void)] { [] }
}
