// The non-GEMM kernels of one MLP training step, at each config's shapes, for
// `descent-bench kernels` (timed after the GEMMs; µs per call).

import Core
import Kernels

enum OtherKernels {
    /// (name, body) pairs; every body works on buffers allocated here, once.
    static func cases() -> [(String, () -> Void)] {
        var generator = Xoshiro256(seed: 99)
        var cases: [(String, () -> Void)] = []
        for (name, batch, vocabulary, context, width, hidden) in [("A", 32, 27, 3, 10, 200), ("B", 256, 65, 16, 64, 512),
                                                                   ("C", 256, 4096, 8, 64, 512)] {
            let d = context * width
            let pre = randomMatrix(batch, hidden, &generator, scale: 2)
            let h = Matrix(rows: batch, columns: hidden)
            let dh = randomMatrix(batch, hidden, &generator)
            let dpre = Matrix(rows: batch, columns: hidden)
            let db1 = Matrix(rows: 1, columns: hidden)
            cases.append(("\(name) tanh forward [\(batch)x\(hidden)]", { Activation.tanh.forward(output: h, input: pre) }))
            cases.append(("\(name) tanh backward + db1 [\(batch)x\(hidden)]", {
                Activation.tanh.backward(dInput: dpre, dOutput: dh, input: pre, output: h, dBias: db1)
            }))
            let logits = randomMatrix(batch, vocabulary, &generator, scale: 3)
            let scratch = Matrix(rows: batch, columns: vocabulary)
            let targets = (0..<batch).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            cases.append(("\(name) cross-entropy fwd+bwd [\(batch)x\(vocabulary)]", {
                scratch.copy(from: logits)
                _ = CrossEntropy.forwardBackward(logits: scratch, targets: targets, gradientScale: 1 / Float(batch))
            }))
            let table = randomMatrix(vocabulary, width, &generator)
            let dTable = Matrix(rows: vocabulary, columns: width)
            let x = Matrix(rows: batch, columns: d)
            let tokens = (0..<(batch * context)).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            cases.append(("\(name) embedding forward [\(batch)x\(d)]", {
                Embedding.forward(output: x, tokens: tokens, table: table, contextLength: context)
            }))
            cases.append(("\(name) embedding backward [\(batch)x\(d)]", {
                Embedding.backward(dTable: dTable, dOutput: x, tokens: tokens, contextLength: context)
            }))
            let parameterCount = vocabulary * width + d * hidden + hidden + hidden * vocabulary + vocabulary
            let parameters = randomMatrix(1, parameterCount, &generator)
            let gradients = randomMatrix(1, parameterCount, &generator, scale: 1e-3)
            let velocity = Matrix(rows: 1, columns: parameterCount)
            let secondMoment = Matrix(rows: 1, columns: parameterCount)
            cases.append(("\(name) gradient norm (\(parameterCount) params)", { _ = Reduce.sumOfSquares(gradients) }))
            cases.append(("\(name) SGD momentum (\(parameterCount) params)", {
                ParameterUpdate.sgd(parameters: parameters, gradients: gradients, velocity: velocity, learningRate: 1e-3,
                                    momentum: 0.9, nesterov: false, weightDecay: 0)
            }))
            cases.append(("\(name) AdamW (\(parameterCount) params)", {
                ParameterUpdate.adamW(parameters: parameters, gradients: gradients, firstMoment: velocity, secondMoment: secondMoment,
                                      learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, step: 10)
            }))
        }
        return cases
    }
}
