import Core
import Foundation
import Kernels
import Parameters
import XCTest
@testable import Optimizers

/// Golden values: Golden/optimizers.json, written by Golden/make_optimizer_golden.py with
/// torch 2.13.0+cpu (`torch.optim.SGD`, `torch.optim.AdamW`, `clip_grad_norm_`).
struct Golden: Decodable {
    struct Tensors: Decodable { let weight: [Float]; let bias: [Float] }
    struct Settings: Decodable {
        let kind: String
        let lr: Double
        let momentum: Double?
        let nesterov: Bool?
        let weight_decay: Double
        let beta1: Double?
        let beta2: Double?
        let eps: Double?
    }
    struct Case: Decodable { let settings: Settings; let after1: Tensors; let after10: Tensors }
    struct Clip: Decodable { let maxNorm: Double; let norm: Double; let weight: [Float]; let bias: [Float] }
    let weight0: [Float]
    let bias0: [Float]
    let gradients: [Tensors]
    let cases: [String: Case]
    let clip: Clip

    static func load() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/optimizers.json")
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }
}

final class OptimizerTests: XCTestCase {
    func makeLayout() -> ParameterLayout {
        var layout = ParameterLayout()
        layout.add("weight", rows: 2, columns: 3, kind: .weight)
        layout.add("bias", rows: 1, columns: 3, kind: .bias)
        return layout
    }

    func load(_ values: Golden.Tensors, into buffer: FloatBuffer, layout: ParameterLayout) {
        layout.view(layout["weight"]!, in: buffer).copy(from: values.weight)
        layout.view(layout["bias"]!, in: buffer).copy(from: values.bias)
    }

    func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 2e-6, _ message: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "\(message): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    func testMatchesPyTorchAfterOneAndTenSteps() throws {
        let golden = try Golden.load()
        XCTAssertEqual(golden.cases.count, 6)
        for (name, testCase) in golden.cases.sorted(by: { $0.key < $1.key }) {
            var settings = makeSettings()
            settings.kind = testCase.settings.kind == "sgd" ? .sgd : .adamw
            settings.momentum = testCase.settings.momentum ?? 0
            settings.nesterov = testCase.settings.nesterov ?? false
            settings.weightDecay = testCase.settings.weight_decay
            settings.beta1 = testCase.settings.beta1 ?? 0.9
            settings.beta2 = testCase.settings.beta2 ?? 0.999
            settings.epsilon = testCase.settings.eps ?? 1e-8
            let layout = makeLayout()
            let optimizer = Optimizer(settings: settings, layout: layout)
            let parameters = layout.makeBuffer(), gradients = layout.makeBuffer()
            load(Golden.Tensors(weight: golden.weight0, bias: golden.bias0), into: parameters, layout: layout)
            for (index, gradient) in golden.gradients.enumerated() {
                load(gradient, into: gradients, layout: layout)
                optimizer.step(parameters: parameters, gradients: gradients, learningRate: testCase.settings.lr)
                let expected: Golden.Tensors? = index == 0 ? testCase.after1 : index == 9 ? testCase.after10 : nil
                if let expected {
                    assertClose(layout.view(layout["weight"]!, in: parameters).toArray(), expected.weight, "\(name) weight after \(index + 1)")
                    assertClose(layout.view(layout["bias"]!, in: parameters).toArray(), expected.bias, "\(name) bias after \(index + 1)")
                }
            }
            XCTAssertEqual(optimizer.stepCount, 10)
        }
    }

    func testClippingMatchesPyTorch() throws {
        let golden = try Golden.load()
        let layout = makeLayout()
        let gradients = layout.makeBuffer()
        load(golden.gradients[0], into: gradients, layout: layout)
        let result = Optimizer.clipGradients(gradients, maxNorm: golden.clip.maxNorm)
        XCTAssertTrue(result.clipped)
        XCTAssertEqual(result.norm, golden.clip.norm, accuracy: 1e-5)
        assertClose(layout.view(layout["weight"]!, in: gradients).toArray(), golden.clip.weight, "clipped weight grad")
        assertClose(layout.view(layout["bias"]!, in: gradients).toArray(), golden.clip.bias, "clipped bias grad")
        // Below the threshold, or with clipping off, nothing changes.
        let before = gradients.toArray()
        XCTAssertFalse(Optimizer.clipGradients(gradients, maxNorm: 100).clipped)
        XCTAssertFalse(Optimizer.clipGradients(gradients, maxNorm: 0).clipped)
        XCTAssertEqual(gradients.toArray(), before)
    }

    /// One step by hand: p = 1, g = 0.5, lr = 0.1, μ = 0.9, wd = 0.1 (on the weight only).
    func testSingleStepsByHand() {
        func run(_ configure: (inout OptimizerSettings) -> Void, steps: Int) -> (weight: Float, bias: Float) {
            var settings = makeSettings()
            configure(&settings)
            var layout = ParameterLayout()
            layout.add("w", rows: 1, columns: 1, kind: .weight)
            layout.add("b", rows: 1, columns: 1, kind: .bias)
            let optimizer = Optimizer(settings: settings, layout: layout)
            let p = layout.makeBuffer(), g = layout.makeBuffer()
            layout.view(layout["w"]!, in: p)[0] = 1
            layout.view(layout["b"]!, in: p)[0] = 1
            for _ in 0..<steps {
                layout.view(layout["w"]!, in: g)[0] = 0.5
                layout.view(layout["b"]!, in: g)[0] = 0.5
                optimizer.step(parameters: p, gradients: g, learningRate: 0.1)
            }
            return (layout.view(layout["w"]!, in: p)[0], layout.view(layout["b"]!, in: p)[0])
        }
        // Plain SGD: 1 − 0.1·0.5.
        XCTAssertEqual(run({ $0.momentum = 0 }, steps: 1).weight, 0.95, accuracy: 1e-7)
        // Momentum, two steps: v1 = 0.5, p1 = 0.95; v2 = 0.45 + 0.5 = 0.95, p2 = 0.95 − 0.095 = 0.855.
        XCTAssertEqual(run({ $0.momentum = 0.9 }, steps: 2).weight, 0.855, accuracy: 1e-6)
        // Nesterov, one step: v1 = 0.5, update g + μ·v = 0.95, p1 = 1 − 0.095 = 0.905.
        XCTAssertEqual(run({ $0.momentum = 0.9; $0.nesterov = true }, steps: 1).weight, 0.905, accuracy: 1e-6)
        // Weight decay 0.1 on the weight: g = 0.5 + 0.1 = 0.6, p = 0.94; the bias is not decayed.
        let decayed = run({ $0.momentum = 0; $0.weightDecay = 0.1 }, steps: 1)
        XCTAssertEqual(decayed.weight, 0.94, accuracy: 1e-6)
        XCTAssertEqual(decayed.bias, 0.95, accuracy: 1e-6)
        // AdamW's first step moves by lr·sign(g) (up to ε), after decoupled decay p·(1 − lr·wd).
        let adam = run({ $0.kind = .adamw; $0.weightDecay = 0.1 }, steps: 1)
        XCTAssertEqual(adam.weight, 1 * (1 - 0.01) - 0.1, accuracy: 1e-6)
        XCTAssertEqual(adam.bias, 1 - 0.1, accuracy: 1e-6)
    }

    func testStateRoundTripResumesExactly() throws {
        for kind in OptimizerKind.allCases {
            var settings = makeSettings()
            settings.kind = kind
            let layout = makeLayout()
            let straight = Optimizer(settings: settings, layout: layout)
            let p1 = layout.makeBuffer(), g = layout.makeBuffer()
            for i in 0..<layout.count { g[i] = Float(i % 5) * 0.1 - 0.2 }
            for _ in 0..<3 { straight.step(parameters: p1, gradients: g, learningRate: 0.01) }
            let p2 = FloatBuffer(p1.toArray())
            let restored = Optimizer(settings: settings, layout: layout)
            try restored.restore(stateBlob: straight.stateBlob())
            XCTAssertEqual(restored.stepCount, 3)
            for _ in 0..<2 {
                straight.step(parameters: p1, gradients: g, learningRate: 0.01)
                restored.step(parameters: p2, gradients: g, learningRate: 0.01)
            }
            XCTAssertEqual(p1.toArray(), p2.toArray(), "\(kind)")
        }
    }

    func testRestoreRejectsMismatchedState() {
        var sgd = makeSettings()
        sgd.kind = .sgd
        var adam = makeSettings()
        adam.kind = .adamw
        let layout = makeLayout()
        let blob = Optimizer(settings: sgd, layout: layout).stateBlob()
        XCTAssertThrowsError(try Optimizer(settings: adam, layout: layout).restore(stateBlob: blob))
        XCTAssertThrowsError(try Optimizer(settings: sgd, layout: layout).restore(stateBlob: Array(blob.dropLast(4))))
        XCTAssertThrowsError(try Optimizer(settings: sgd, layout: layout).restore(stateBlob: [1, 2, 3]))
        var other = ParameterLayout()
        other.add("weight", rows: 4, columns: 4, kind: .weight)
        XCTAssertThrowsError(try Optimizer(settings: sgd, layout: other).restore(stateBlob: blob))
    }
}

final class ScheduleTests: XCTestCase {
    /// Pinned at step 0, the end of warmup, warmup + 1 and the last step (peak 1, W 10, N 110, 10%).
    func testWarmupCosineBoundaries() {
        let schedule = WarmupCosineSchedule(peak: 1, warmupSteps: 10, totalSteps: 110, minimumFraction: 0.1)
        XCTAssertEqual(schedule.learningRate(at: 0), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 9), 1.0, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 10), 1.0, accuracy: 1e-12)
        // s = 11: 0.1 + 0.45·(1 + cos(π/100))
        XCTAssertEqual(schedule.learningRate(at: 11), 0.1 + 0.45 * (1 + cos(Double.pi / 100)), accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 11), 0.999777952, accuracy: 1e-9)
        // s = N − 1: 0.1 + 0.45·(1 + cos(99π/100)) ≈ 0.100222
        XCTAssertEqual(schedule.learningRate(at: 109), 0.100222048, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(at: 110), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 500), 0.1, accuracy: 1e-12)
        // Midpoint of the cosine: halfway between peak and floor.
        XCTAssertEqual(schedule.learningRate(at: 60), 0.55, accuracy: 1e-12)
    }

    func testNoWarmupStartsAtPeakAndIsMonotone() {
        let schedule = WarmupCosineSchedule(peak: 0.5, warmupSteps: 0, totalSteps: 50, minimumFraction: 0)
        XCTAssertEqual(schedule.learningRate(at: 0), 0.5)
        for step in 1..<50 { XCTAssertLessThanOrEqual(schedule.learningRate(at: step), schedule.learningRate(at: step - 1)) }
        XCTAssertGreaterThan(schedule.learningRate(at: 49), 0)
    }
}

final class OptimizerStateTests: XCTestCase {
    /// A 1×2 weight (one tensor, so the layout has no padding), SGD with momentum 0.9 or AdamW,
    /// two steps taken.
    func makeOptimizer(_ kind: OptimizerKind = .sgd) -> Optimizer {
        let settings = makeSettings(kind)
        var layout = ParameterLayout()
        layout.add("w", rows: 1, columns: 2, kind: .weight)
        let optimizer = Optimizer(settings: settings, layout: layout)
        let parameters = FloatBuffer([1, 1]), gradients = FloatBuffer([0.5, -0.25])
        for _ in 0..<2 { optimizer.step(parameters: parameters, gradients: gradients, learningRate: 0.1) }
        return optimizer
    }

    func failure(_ optimizer: Optimizer, _ blob: [UInt8]) -> OptimizerError? {
        do { try optimizer.restore(stateBlob: blob) } catch { return error }
        return nil
    }

    func testKindCodesAreStable() {
        XCTAssertEqual(OptimizerKind.sgd.code, 0)
        XCTAssertEqual(OptimizerKind.adamw.code, 1)
        for kind in OptimizerKind.allCases { XCTAssertEqual(OptimizerKind(code: kind.code), kind) }
        XCTAssertNil(OptimizerKind(code: 2))
        XCTAssertEqual(OptimizerKind.codeList, "0 (sgd) or 1 (adamw)")
    }

    /// "DOPT", version 1, kind 0, 1 moment, step 2, 2 floats, then the velocity: v = 0.5 + 0.9·0.5
    /// = 0.95 and −0.25 − 0.9·0.25 = −0.475.
    func testBlobLayout() {
        let velocity = [Float(0.5).addingProduct(0.9, 0.5), Float(-0.25).addingProduct(0.9, -0.25)]
        var expected = Array("DOPT".utf8) + [1, 0, 0, 0] + [0, 0, 0, 0] + [1, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0]
        for value in velocity { withUnsafeBytes(of: value.bitPattern.littleEndian) { expected += $0 } }
        XCTAssertEqual(makeOptimizer().stateBlob(), expected)
        XCTAssertEqual(makeOptimizer(.adamw).stateBlob()[8..<16], [1, 0, 0, 0, 2, 0, 0, 0])
    }

    func testUnknownKindCodeIsRejectedByName() {
        var blob = makeOptimizer().stateBlob()
        blob[8] = 7
        XCTAssertEqual(failure(makeOptimizer(), blob), .badState(reason: "kind code 7 at byte 8, expected 0 (sgd) or 1 (adamw)"))
        blob[8] = 1
        XCTAssertEqual(failure(makeOptimizer(), blob), .badState(reason: "saved by adamw, this run uses sgd"))
    }

    /// A step count past Int.max (it once trapped converting UInt64 to Int), a float count that
    /// overflows `count * 4`, trailing bytes: errors, and the optimizer keeps its state.
    func testDamagedCountsAreErrorsAndLeaveTheStateAlone() {
        let optimizer = makeOptimizer()
        let good = optimizer.stateBlob()
        var blob = good
        blob.replaceSubrange(16..<24, with: [UInt8](repeating: 0xFF, count: 8))
        XCTAssertEqual(failure(optimizer, blob), .badState(reason: "step count \(UInt64.max) at byte 16, expected at most \(Int.max)"))
        blob = good
        blob.replaceSubrange(24..<32, with: [0, 0, 0, 0, 0, 0, 0, 0x40])
        XCTAssertEqual(failure(optimizer, blob), .badState(reason: "\(UInt64(1) << 62) values per buffer, the model has 2"))
        XCTAssertEqual(failure(optimizer, good + [0]), .badState(reason: "1 byte unexpected after the last field at byte 40"))
        XCTAssertEqual(failure(optimizer, Array(good.dropLast())), .badState(reason: "truncated at byte 32: 2 × 4 bytes needed, 7 left"))
        XCTAssertEqual(optimizer.stepCount, 2)
        XCTAssertEqual(optimizer.stateBlob(), good)
    }

    /// Seeded random damage to valid blobs of both kinds: every outcome is a restore or an
    /// `OptimizerError`, never a trap, and a failed restore changes nothing.
    func testRandomMutationsNeverTrap() {
        var generator = Xoshiro256(seed: 99)
        var restored = 0
        for trial in 0..<5_000 {
            let kind = OptimizerKind.allCases[generator.nextInt(below: 2)]
            let optimizer = makeOptimizer(kind)
            let good = optimizer.stateBlob()
            var blob = good
            BlobDamage.apply(to: &blob, using: &generator)
            do {
                try optimizer.restore(stateBlob: blob)
                XCTAssertEqual(optimizer.stateBlob(), blob, "trial \(trial)")
                restored += 1
            } catch {
                XCTAssertEqual(optimizer.stateBlob(), good, "trial \(trial): \(error)")
            }
        }
        XCTAssertGreaterThan(restored, 100)
    }

    /// AdamW's learning rate: rounded to Float, read back at its shortest decimal, so a written
    /// rate stays exact and a long one is taken at Float precision.
    func testAdamWLearningRateIsTheFloatsShortestDecimal() {
        XCTAssertEqual(Optimizer.adamWLearningRate(0.999), 0.999)
        XCTAssertEqual(Optimizer.adamWLearningRate(1e-8), 1e-8)
        XCTAssertEqual(Optimizer.adamWLearningRate(1e-3), 1e-3)
        XCTAssertEqual(Optimizer.adamWLearningRate(0.1 + 0.2), 0.3)
        XCTAssertEqual(Optimizer.adamWLearningRate(0.0012345678901), 0.0012345678)
    }
}

/// Settings for these tests: SGD with momentum 0.9 unless a test says otherwise, and PyTorch's
/// AdamW defaults.
func makeSettings(_ kind: OptimizerKind = .sgd) -> OptimizerSettings {
    OptimizerSettings(kind: kind, momentum: 0.9, nesterov: false, weightDecay: 0, decayEmbeddings: false,
                      beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
}
