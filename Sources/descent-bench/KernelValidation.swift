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
        for check in elementwiseChecks(&generator) {
            checks += 1
            if let failure = check { failures.append(failure) }
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

extension KernelValidation {
    /// Activations, cross-entropy, embedding, reductions and updates against their references,
    /// on shapes that leave SIMD tails (and, for the per-step shapes, at the configs' sizes).
    static func elementwiseChecks(_ generator: inout Xoshiro256) -> [String?] {
        var results: [String?] = []
        for (rows, columns) in [(7, 13), (32, 200), (256, 65)] {
            let input = randomMatrix(rows, columns, &generator, scale: 3)
            let dOutput = randomMatrix(rows, columns, &generator)
            for kind in Activation.allCases {
                let fast = Matrix(rows: rows, columns: columns), slow = Matrix(rows: rows, columns: columns)
                kind.forward(output: fast, input: input)
                kind.referenceForward(output: slow, input: input)
                results.append(compare("Activation.\(kind).forward \(rows)×\(columns)", fast, slow, relative: 1e-5, absolute: 1e-30))
                let dFast = Matrix(rows: rows, columns: columns), dSlow = Matrix(rows: rows, columns: columns)
                kind.backward(dInput: dFast, dOutput: dOutput, input: input, output: fast)
                kind.referenceBackward(dInput: dSlow, dOutput: dOutput, input: input, output: fast)
                results.append(compare("Activation.\(kind).backward \(rows)×\(columns)", dFast, dSlow, relative: 1e-5, absolute: 1e-6))
            }
        }
        for (rows, vocabulary) in [(3, 7), (32, 27), (256, 65), (64, 4096)] {
            let logits = randomMatrix(rows, vocabulary, &generator, scale: 4)
            let targets = (0..<rows).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            let fast = Matrix(rows: rows, columns: vocabulary), slow = Matrix(rows: rows, columns: vocabulary)
            fast.copy(from: logits)
            slow.copy(from: logits)
            let loss = CrossEntropy.forwardBackward(logits: fast, targets: targets, gradientScale: 1 / Float(rows))
            let expected = CrossEntropy.referenceForwardBackward(logits: slow, targets: targets, gradientScale: 1 / Float(rows))
            results.append(abs(loss - expected) <= 1e-5 * max(1, expected) ? nil
                           : "CrossEntropy.forwardBackward \(rows)×\(vocabulary): loss \(loss), reference \(expected)")
            results.append(compare("CrossEntropy dLogits \(rows)×\(vocabulary)", fast, slow, relative: 1e-5, absolute: 1e-9))
        }
        for (batch, vocabulary) in [(32, 27), (256, 65), (64, 4096)] {
            let table = randomMatrix(vocabulary, vocabulary, &generator, scale: 4)
            let tokens = (0..<batch).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            let targets = (0..<batch).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            let fast = Matrix(rows: vocabulary, columns: vocabulary), slow = Matrix(rows: vocabulary, columns: vocabulary)
            let loss = TableCrossEntropy.forwardBackward(table: table, tokens: tokens, targets: targets, count: batch,
                                                         dTable: fast, gradientScale: 1 / Float(batch))
            let expected = TableCrossEntropy.referenceForwardBackward(table: table, tokens: tokens, targets: targets, count: batch,
                                                                      dTable: slow, gradientScale: 1 / Float(batch))
            results.append(abs(loss - expected) <= 1e-5 * max(1, expected) ? nil
                           : "TableCrossEntropy.forwardBackward B=\(batch) V=\(vocabulary): loss \(loss), reference \(expected)")
            results.append(compare("TableCrossEntropy dTable B=\(batch) V=\(vocabulary)", fast, slow, relative: 1e-5, absolute: 1e-9))
        }
        for (batch, context, width, vocabulary) in [(32, 3, 10, 27), (256, 16, 64, 65), (256, 8, 64, 4096)] {
            let table = randomMatrix(vocabulary, width, &generator)
            let tokens = (0..<(batch * context)).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            let fast = Matrix(rows: batch, columns: context * width), slow = Matrix(rows: batch, columns: context * width)
            Embedding.forward(output: fast, tokens: tokens, table: table, contextLength: context)
            Embedding.referenceForward(output: slow, tokens: tokens, table: table, contextLength: context)
            results.append(compare("Embedding.forward B=\(batch) T=\(context) d=\(width)", fast, slow, relative: 0, absolute: 0))
            let dFast = Matrix(rows: vocabulary, columns: width), dSlow = Matrix(rows: vocabulary, columns: width)
            Embedding.backward(dTable: dFast, dOutput: fast, tokens: tokens, contextLength: context)
            Embedding.referenceBackward(dTable: dSlow, dOutput: fast, tokens: tokens, contextLength: context)
            results.append(compare("Embedding.backward B=\(batch) T=\(context) d=\(width)", dFast, dSlow, relative: 0, absolute: 0))
        }
        for count in [13, 100_003] {
            let x = randomMatrix(1, count, &generator)
            let fast = Reduce.sumOfSquares(x), slow = Reduce.referenceSumOfSquares(x)
            results.append(abs(fast - slow) <= 1e-12 * slow ? nil : "Reduce.sumOfSquares \(count): \(fast), reference \(slow)")
            let columns = randomMatrix(37, count % 1000, &generator)
            let sumsFast = Matrix(rows: 1, columns: count % 1000), sumsSlow = Matrix(rows: 1, columns: count % 1000)
            Reduce.addColumnSums(into: sumsFast, of: columns)
            Reduce.referenceAddColumnSums(into: sumsSlow, of: columns)
            results.append(compare("Reduce.addColumnSums 37×\(count % 1000)", sumsFast, sumsSlow, relative: 0, absolute: 0))
            let gradients = randomMatrix(1, count, &generator)
            let (p1, p2) = (randomMatrix(1, count, &generator), Matrix(rows: 1, columns: count))
            p2.copy(from: p1)
            let (v1, v2) = (Matrix(rows: 1, columns: count), Matrix(rows: 1, columns: count))
            ParameterUpdate.sgd(parameters: p1, gradients: gradients, velocity: v1, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01)
            ParameterUpdate.referenceSGD(parameters: p2, gradients: gradients, velocity: v2, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01)
            results.append(compare("ParameterUpdate.sgd \(count)", p1, p2, relative: 0, absolute: 0))
            let (m1, m2, s1, s2) = (Matrix(rows: 1, columns: count), Matrix(rows: 1, columns: count), Matrix(rows: 1, columns: count), Matrix(rows: 1, columns: count))
            ParameterUpdate.adamW(parameters: p1, gradients: gradients, firstMoment: m1, secondMoment: s1, learningRate: 1e-3,
                                  beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, step: 1)
            ParameterUpdate.referenceAdamW(parameters: p2, gradients: gradients, firstMoment: m2, secondMoment: s2, learningRate: 1e-3,
                                           beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, step: 1)
            results.append(compare("ParameterUpdate.adamW \(count)", p1, p2, relative: 0, absolute: 0))
        }
        return results
    }

    /// nil when every element is within relative·|reference| + absolute.
    static func compare(_ name: String, _ fast: Matrix, _ reference: Matrix, relative: Double, absolute: Double) -> String? {
        for i in 0..<fast.count {
            let error = abs(Double(fast[i]) - Double(reference[i]))
            if !(error <= relative * abs(Double(reference[i])) + absolute) {
                return "\(name): element \(i) is \(fast[i]), reference \(reference[i])"
            }
        }
        return nil
    }
}
