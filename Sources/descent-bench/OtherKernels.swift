// The non-GEMM kernels of one MLP training step, at each config's shapes, for
// `descent-bench kernels` (timed after the GEMMs; µs per call), and config D's tables path.

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
            let bigram = randomMatrix(vocabulary, vocabulary, &generator, scale: 3)
            let dBigram = Matrix(rows: vocabulary, columns: vocabulary)
            let previous = (0..<batch).map { _ in Int32(generator.nextInt(below: vocabulary)) }
            cases.append(("\(name) bigram table cross-entropy fwd+bwd [\(batch) of \(vocabulary)x\(vocabulary)]", {
                _ = TableCrossEntropy.forwardBackward(table: bigram, tokens: previous, targets: targets, count: batch,
                                                      dTable: dBigram, gradientScale: 1 / Float(batch))
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
        cases += tokenTablesCases(&generator)
        return cases
    }

    /// The tables path of the first layer at config D's shape (B 256, V 65, T 32, d 32, H 512),
    /// and config D's GELU.
    static func tokenTablesCases(_ generator: inout Xoshiro256) -> [(String, () -> Void)] {
        let (batch, vocabulary, context, width, hidden) = (256, 65, 32, 32, 512)
        let embedding = randomMatrix(vocabulary, width, &generator), weight = randomMatrix(context * width, hidden, &generator)
        let tables = Matrix(rows: context * vocabulary, columns: hidden)
        let dEmbedding = Matrix(rows: vocabulary, columns: width), dWeight = Matrix(rows: context * width, columns: hidden)
        let bias = randomMatrix(1, hidden, &generator)
        let output = Matrix(rows: batch, columns: hidden), dOutput = randomMatrix(batch, hidden, &generator)
        let tokens = (0..<(batch * context)).map { _ in Int32(generator.nextInt(below: vocabulary)) }
        let pre = randomMatrix(batch, hidden, &generator, scale: 2), h = Matrix(rows: batch, columns: hidden)
        let dpre = Matrix(rows: batch, columns: hidden), db = Matrix(rows: 1, columns: hidden)
        let shape = "[B \(batch), V \(vocabulary), T \(context), d \(width), H \(hidden)]"
        return [
            ("D tables build \(shape)", { TokenTables.build(tables: tables, embedding: embedding, weight: weight, contextLength: context) }),
            ("D gather-sum \(shape)", {
                TokenTables.gatherSum(output: output, tables: tables, tokens: tokens, contextLength: context, bias: bias)
            }),
            ("D tables layer forward (fused) \(shape)", {
                TokenTables.forward(output: output, embedding: embedding, weight: weight, tokens: tokens, contextLength: context, bias: bias)
            }),
            ("D tables layer backward (fused) \(shape)", {
                TokenTables.backward(dEmbedding: dEmbedding, dWeight: dWeight, dOutput: dOutput, embedding: embedding, weight: weight,
                                     tokens: tokens, contextLength: context)
            }),
            ("D gelu forward [\(batch)x\(hidden)]", { Activation.gelu.forward(output: h, input: pre) }),
            ("D gelu backward + db [\(batch)x\(hidden)]", {
                Activation.gelu.backward(dInput: dpre, dOutput: dOutput, input: pre, output: h, dBias: db)
            }),
        ]
    }
}
