// The loss on a plane (or a line) through weights θ*: L(θ* + α·δ + β·η) on a grid of (α, β),
// over a fixed set of batches (Li et al. 2018).
//
// The grid's points are independent, so they are spread over the cores whole: each lane (one per
// thread) owns a copy of the model and takes the next unclaimed point until none is left. A
// point's loss is computed by the same code in the same order whichever lane takes it (kernels
// called inside a task run on that thread alone), so the surface has the same bits on any
// number of threads. The weights of a point are θ*_i + α·δ_i + β·η_i in Float, as the model
// would hold them. Not handled: batch-norm statistics (no model here has them).

import Data
import Kernels
import Models
import Parameters
import Synchronization

/// Examples held in memory: `batchCount` batches of `contexts` (B·T ids) and `targets` (B).
public struct FixedBatches: Sendable {
    public var contexts: [[Int32]]
    public var targets: [[Int32]]
    /// Valid rows of each batch.
    public var counts: [Int]

    public init(contexts: [[Int32]], targets: [[Int32]], counts: [Int]) {
        precondition(contexts.count == targets.count && targets.count == counts.count, "FixedBatches: unequal batch lists")
        self.contexts = contexts
        self.targets = targets
        self.counts = counts
    }

    public var exampleCount: Int { counts.reduce(0, +) }
    public var largestBatch: Int { counts.max() ?? 0 }
}

/// A grid of losses: `values[j][i]` is the loss at (xs[i], ys[j]).
public struct LossGrid: Sendable, Equatable {
    public var xs: [Double]
    public var ys: [Double]
    public var values: [[Double]]

    /// The grid point with the lowest loss, as (i, j).
    public var lowest: (i: Int, j: Int) {
        var best = (i: 0, j: 0)
        for j in values.indices {
            for i in values[j].indices where values[j][i] < values[best.j][best.i] { best = (i, j) }
        }
        return best
    }
}

public final class LossSurface {
    public let architecture: ModelArchitecture
    public let layout: ParameterLayout
    public let center: FloatBuffer
    public let batches: FixedBatches

    /// - Parameters:
    ///   - model: supplies the architecture and the weights θ*; it is not modified.
    public init(model: any LanguageModel, batches: FixedBatches) {
        architecture = model.architecture
        layout = model.layout
        center = FloatBuffer(model.parameters.toArray())
        self.batches = batches
    }

    /// A Gaussian direction from `seed`, filter-normalized to the centre's filters.
    public func filterNormalizedDirection(seed: UInt64) -> FloatBuffer {
        FilterNormalization.randomDirection(like: center, layout: layout, seed: seed)
    }

    /// `n` evenly spaced values from −span to span (0 at the middle when n is odd).
    public static func axis(span: Double, count: Int) -> [Double] {
        guard count > 1 else { return [0] }
        return (0..<count).map { span * (2 * Double($0) / Double(count - 1) - 1) }
    }

    /// The mean loss over the batches at θ* + x·first + y·second, for every (x, y) of the grid.
    ///
    /// - Parameter progress: called with (points done, points in all) after each point, from
    ///   whichever thread computed it; it must be cheap and thread-safe (the CLI's prints to a
    ///   terminal a few times a second).
    public func grid(xs: [Double], ys: [Double], first: FloatBuffer, second: FloatBuffer?,
                     progress: (@Sendable (Int, Int) -> Void)? = nil) -> LossGrid {
        precondition(first.count == center.count && (second?.count ?? center.count) == center.count,
                     "LossSurface: direction of the wrong size")
        let points = ys.flatMap { y in xs.map { x in (x, y) } }
        let lanes = max(1, min(Parallel.threadCount, points.count))
        let job = SurfaceJob(surface: self, points: points, first: first, second: second, lanes: lanes, progress: progress)
        let context = Unmanaged.passRetained(job)
        defer { context.release() }
        Parallel.run(taskCount: lanes, context: context.toOpaque()) { raw, lane in
            Unmanaged<SurfaceJob>.fromOpaque(raw).takeUnretainedValue().runLane(lane)
        }
        let values = ys.indices.map { j in (0..<xs.count).map { job.losses[j * xs.count + $0] } }
        return LossGrid(xs: xs, ys: ys, values: values)
    }

    /// The mean loss of `model` (already holding its weights) over the batches.
    func meanLoss(_ model: any LanguageModel) -> Double {
        var total = 0.0
        for b in batches.counts.indices {
            total += model.lossSum(contexts: batches.contexts[b], targets: batches.targets[b], count: batches.counts[b])
        }
        return total / Double(max(batches.exampleCount, 1))
    }
}

/// One `grid` call's shared state. Lanes claim point indices from `next`; each writes only the
/// losses of the points it claimed.
private final class SurfaceJob: @unchecked Sendable {
    let surface: LossSurface
    let points: [(Double, Double)]
    let first: FloatBuffer
    let second: FloatBuffer?
    let models: [any LanguageModel]
    /// One loss per point; lanes write disjoint entries, so it is raw memory rather than an
    /// array (whose exclusivity checks would see two writers).
    let losses: UnsafeMutablePointer<Double>
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    let progress: (@Sendable (Int, Int) -> Void)?

    init(surface: LossSurface, points: [(Double, Double)], first: FloatBuffer, second: FloatBuffer?, lanes: Int,
         progress: (@Sendable (Int, Int) -> Void)?) {
        self.progress = progress
        self.surface = surface
        self.points = points
        self.first = first
        self.second = second
        models = (0..<lanes).map { _ in
            let model = ModelFactory.make(surface.architecture)
            model.reserve(batchSize: surface.batches.largestBatch)
            return model
        }
        losses = .allocate(capacity: max(points.count, 1))
        losses.initialize(repeating: .nan, count: max(points.count, 1))
    }

    deinit { losses.deallocate() }

    func runLane(_ lane: Int) {
        let model = models[lane]
        let count = surface.center.count
        while true {
            let index = next.add(1, ordering: .relaxed).oldValue
            guard index < points.count else { return }
            let (x, y) = points[index]
            let (a, b) = (Float(x), Float(y))
            surface.center.withUnsafeMutablePointer { center in
                first.withUnsafeMutablePointer { d1 in
                    model.parameters.withUnsafeMutablePointer { weights in
                        if let second {
                            second.withUnsafeMutablePointer { d2 in
                                for i in 0..<count { weights[i] = center[i] + a * d1[i] + b * d2[i] }
                            }
                        } else {
                            for i in 0..<count { weights[i] = center[i] + a * d1[i] }
                        }
                    }
                }
            }
            let loss = surface.meanLoss(model)
            losses[index] = loss
            let finished = done.add(1, ordering: .relaxed).newValue
            progress?(finished, points.count)
        }
    }
}

extension FixedBatches {
    /// The first `batchCount` batches of `batchSize` examples of an evaluation set (spread evenly
    /// over its split, the same every time), held in memory.
    public static func load(_ set: EvaluationSet) throws -> FixedBatches {
        var contexts: [[Int32]] = [], targets: [[Int32]] = [], counts: [Int] = []
        try set.forEachBatch { batchContexts, batchTargets, count in
            contexts.append(batchContexts)
            targets.append(batchTargets)
            counts.append(count)
        }
        return FixedBatches(contexts: contexts, targets: targets, counts: counts)
    }
}
