// `descent landscape`: the loss around a checkpoint's weights on a plane (a contour map) or a
// line, along filter-normalized random directions or along the principal plane of the run's
// own path.

import ArgumentParser
import Data
import Foundation
import Kernels
import Landscape
import Plots
import Store
import Synchronization
import Training

struct LandscapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Draw the loss landscape around a run's weights.",
        discussion: HelpText.paragraphs("""
            Evaluates L(θ* + α·δ + β·η) on a --grid × --grid lattice of α, β in [−span, span], \
            where θ* are the checkpoint's weights and δ, η random directions, filter-normalized \
            as Li et al. (2018) define it: each output neuron's weights (each row of an \
            embedding table) are scaled to the norm of the same filter of θ*, and biases get \
            zero, so α = 1 moves every neuron by its own size. The loss is the mean over \
            --batches fixed batches of training examples (the same examples every time), \
            computed on every core, and drawn as a contour map with a colour scale. --1d draws \
            the slice along δ alone.
            """, """
            --path uses the run's own weight snapshots (train with --set \
            training.trajectoryPoints=20) instead: the plane of the two principal components \
            of θ_i − θ_final, with the path projected on it and the share of variance each \
            component explains in the axis labels. The plane then spans the path with a \
            margin, unless --span is given (in the components' units).
            """)
            + "\n\n" + """
            Examples:
              descent landscape names-mlp -o landscape.svg
              descent landscape names-mlp --1d --span 2 --grid 101 -o slice.svg
              descent landscape names-mlp --path --grid 31 -o path.svg
            """
    )

    @Argument(help: ArgumentHelp("The run whose weights are the centre.", valueName: "run"))
    var runName: String

    @OptionGroup var checkpointOption: CheckpointOption

    @Option(name: .long, help: ArgumentHelp("""
        Half-width of the plane in units of the directions (default 1.0; with --path, the \
        path's extent plus a quarter).
        """, valueName: "s"))
    var span: Double?

    @Option(name: .long, help: ArgumentHelp("Points per axis (odd counts put one on the centre).", valueName: "n"))
    var grid: Int = 41

    @Option(name: .long, help: ArgumentHelp("Fixed training batches the loss is averaged over.", valueName: "n"))
    var batches: Int = 8

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Examples per batch.", valueName: "n"))
    var batchSize: Int = 1024

    @Option(name: .long, help: ArgumentHelp("Seed of the random directions.", valueName: "n"))
    var seed: UInt64 = 1

    @Flag(name: .customLong("1d"), help: "Draw the loss along one direction (a line chart) instead of a plane.")
    var oneDimensional = false

    @Flag(name: .long, help: "Use the principal plane of the run's weight snapshots and draw its path.")
    var path = false

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The SVG file to write.", valueName: "file.svg"))
    var output: String = "landscape.svg"

    @Option(name: .long, help: ArgumentHelp("Also write every grid point as CSV (x,y,loss; exact decimal values), for other tools.",
                                            valueName: "file.csv"))
    var csv: String?

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let span, !(span > 0 && span.isFinite) { throw ValidationError("--span must be a number > 0, got \(span).") }
        guard (2...401).contains(grid) else { throw ValidationError("--grid must be in 2...401 points per axis, got \(grid).") }
        guard batches >= 1 else { throw ValidationError("--batches must be at least 1, got \(batches).") }
        guard (1...65536).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...65536, got \(batchSize).") }
        if output.isEmpty { throw ValidationError("-o needs a file name, e.g. -o landscape.svg.") }
    }

    func run() throws {
        compute.apply()
        let store = try attempt { try RunStore(path: storeOptions.db) }
        let (loaded, record) = try checkpointOption.load(runName: runName, store: store)
        let model = try attempt { try loaded.makeModel() }
        let config = try attempt { try TrainingConfig.stored(json: loaded.configJSON, runName: runName) }
        let dataset = try attempt { try PreparedDataset(directory: config.data.directory) }
        guard dataset.tokenizer.vocabularySize == model.architecture.vocabularySize else {
            throw CommandFailure(message: "\(config.data.directory): the dataset's vocabulary has \(dataset.tokenizer.vocabularySize) tokens but run '\(runName)' has \(model.architecture.vocabularySize). Prepare the run's dataset again.", code: 1)
        }
        let set = try attempt {
            try EvaluationSet(dataset: dataset, split: .train, contextLength: model.architecture.contextLength, batchSize: batchSize,
                              maxBatches: batches)
        }
        let fixed = try attempt { try FixedBatches.load(set) }
        let surface = LossSurface(model: model, batches: fixed)

        let plane = try makePlane(surface: surface, loaded: loaded, step: record.step)
        let subject = "\(runName) at step \(record.step)"
        let examples = "\(fixed.counts.count) batches (\(fixed.exampleCount) training examples)"
        let started = Date()
        let progress: (@Sendable (Int, Int) -> Void)? = Console.stderrIsTerminal ? Self.progressLine(started: started) : nil
        let values = surface.grid(xs: plane.xs, ys: oneDimensional ? [0] : plane.ys, first: plane.first,
                                  second: oneDimensional ? nil : plane.second, progress: progress)
        if progress != nil { Console.progress("\r\u{1B}[K") }
        let seconds = String(format: "%.1f s on %d thread(s)", Date().timeIntervalSince(started), Parallel.threadCount)
        if let csv { try writeOutput(Self.csv(values), to: csv) }
        // The centre is a grid point only for odd counts; an even grid straddles it.
        let centre = grid % 2 == 1 ? values.values[values.ys.count / 2][grid / 2]
            : surface.grid(xs: [0], ys: [0], first: plane.first, second: oneDimensional ? nil : plane.second).values[0][0]
        let lowest = values.lowest
        if oneDimensional {
            let losses = values.values[0]
            print("landscape of \(subject): \(grid) points along \(plane.xName) over ±\(Self.format(plane.xs.last ?? 0)), \(examples), \(seconds)")
            print("loss at the centre \(Self.loss(centre)); lowest \(Self.loss(losses[lowest.i])) at \(Self.format(plane.xs[lowest.i])); at the ends \(Self.loss(losses.first ?? .nan)) and \(Self.loss(losses.last ?? .nan))")
            var panel = Panel(id: "slice", title: "loss (nats per token) on \(fixed.exampleCount) training examples", height: 360)
            panel.series = [Series(name: runName, metric: "loss", role: .line, color: .run(0),
                                   points: zip(plane.xs, losses).map { ChartPoint(x: $0, y: $1) })]
            let chart = Chart(identifier: "landscape", title: "Loss along a direction: \(subject)", xLabel: plane.xLabel,
                              xGuides: [Guide(value: 0, label: "θ*")], panels: [panel])
            try writeOutput(chart.svg(), to: output)
        } else {
            print("landscape of \(subject): \(grid)×\(grid) grid over ±\(Self.format(plane.xs.last ?? 0)) × ±\(Self.format(plane.ys.last ?? 0)), \(examples), \(seconds)")
            print("loss at the centre \(Self.loss(centre)); lowest on the grid \(Self.loss(values.values[lowest.j][lowest.i])) at (\(Self.format(plane.xs[lowest.i])), \(Self.format(plane.ys[lowest.j])))")
            if let principal = plane.principal {
                print(String(format: "path of %d snapshots; the two components explain %.1f%% and %.1f%% of its variance",
                             principal.path.count, 100 * principal.explainedVariance.first, 100 * principal.explainedVariance.second))
            }
            let contour = ContourMap(identifier: "landscape", title: "Loss landscape: \(subject)", xLabel: plane.xLabel, yLabel: plane.yLabel,
                                     valueLabel: "loss", xs: plane.xs, ys: plane.ys, values: values.values,
                                     path: plane.principal?.path.map { ChartPoint(x: $0.x, y: $0.y) } ?? [], pathLabel: "training path",
                                     marks: plane.principal == nil ? [(label: "θ*", point: ChartPoint(x: 0, y: 0))] : [])
            try writeOutput(contour.svg(), to: output)
        }
        Console.error("wrote \(output)")
    }

    /// The two directions and the grid's coordinates along them.
    struct Plane {
        var first: FloatBuffer
        var second: FloatBuffer
        var xs: [Double]
        var ys: [Double]
        /// The first direction in running text ("δ"), and the axes' labels.
        var xName: String
        var xLabel: String
        var yLabel: String
        /// The principal plane and the path on it, with --path.
        var principal: PrincipalPlane?
    }

    /// Random filter-normalized directions, or with --path the principal plane of the run's
    /// snapshots up to `step` (ending at the checkpoint's weights), spanning the path.
    private func makePlane(surface: LossSurface, loaded: LoadedCheckpoint, step: Int) throws -> Plane {
        guard path else {
            let axis = LossSurface.axis(span: span ?? 1, count: grid)
            return Plane(first: surface.filterNormalizedDirection(seed: seed),
                         second: surface.filterNormalizedDirection(seed: seed &+ 0x9E37_79B9),
                         xs: axis, ys: axis, xName: "δ", xLabel: "α (filter-normalized direction δ)",
                         yLabel: "β (filter-normalized direction η)", principal: nil)
        }
        guard let trajectory = loaded.trajectory else {
            throw CommandFailure(message: "run '\(runName)' has no weight snapshots for --path. Train it with --set training.trajectoryPoints=20 (or drop --path).", code: 1)
        }
        var snapshots = trajectory.snapshots.sorted { $0.step < $1.step }.filter { $0.step <= step }
        let final = surface.center.toArray()
        if snapshots.last?.step != step {
            snapshots.append(WeightTrajectory.Snapshot(step: step, halfBits: final.map { Float16($0).bitPattern }))
        }
        let found = try attempt { try PrincipalDirections.plane(snapshots: snapshots.map(\.values), final: final) }
        let margin = 1.25
        let xExtent = span ?? max(found.path.map { abs($0.x) }.max() ?? 1, 1e-6) * margin
        let yExtent = span ?? max(found.path.map { abs($0.y) }.max() ?? 1, 1e-6) * margin
        return Plane(first: FloatBuffer(found.first.map(Float.init)), second: FloatBuffer(found.second.map(Float.init)),
                     xs: LossSurface.axis(span: xExtent, count: grid), ys: LossSurface.axis(span: yExtent, count: grid),
                     xName: "the 1st principal component",
                     xLabel: String(format: "1st principal component (%.1f%% of variance)", 100 * found.explainedVariance.first),
                     yLabel: String(format: "2nd principal component (%.1f%% of variance)", 100 * found.explainedVariance.second),
                     principal: found)
    }

    static func loss(_ value: Double) -> String { String(format: "%.4f", value) }

    static func format(_ value: Double) -> String { String(format: "%.3g", value) }

    /// "points 120/1681 (7%), 0:04 left" on the terminal, at most every 0.2 s (and at the end).
    static func progressLine(started: Date) -> @Sendable (Int, Int) -> Void {
        let last = Mutex(Date.distantPast)
        return { done, total in
            let now = Date()
            let due = last.withLock { previous -> Bool in
                guard done == total || now.timeIntervalSince(previous) >= 0.2 else { return false }
                previous = now
                return true
            }
            guard due else { return }
            let elapsed = now.timeIntervalSince(started)
            let left = elapsed / Double(max(done, 1)) * Double(total - done)
            Console.progress("\r\u{1B}[Kpoints \(done)/\(total) (\(100 * done / max(total, 1))%), \(TrainCommand.duration(left)) left")
        }
    }

    /// One line per point, shortest round-trip decimals: equal files mean equal bits.
    static func csv(_ grid: LossGrid) -> String {
        var text = "x,y,loss\n"
        for (j, y) in grid.ys.enumerated() {
            for (i, x) in grid.xs.enumerated() { text += "\(x),\(y),\(grid.values[j][i])\n" }
        }
        return text
    }
}
