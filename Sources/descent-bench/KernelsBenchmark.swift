// `descent-bench kernels`: validates every kernel against its reference, then times the GEMMs of
// the MLP configs (and 1024³) at 1 and 2 threads, and the other per-step kernels. Prints the GEMM's
// instruction set first (DESCENT_ISA=avx2|avx512|auto chooses it; see Kernels/InstructionSet.swift).
//
// Timing: 2 warm-up calls, then `--samples` samples, each a loop of calls lasting at least
// `--min-sample-seconds`; the median is reported (min and max beside it). The GEMM cells match
// ../shared/bench/gemm_numpy.py's, so `--json` output can be piped through that script to get
// numpy's figure beside ours (scripts/bench-gemm-vs-numpy.sh does it, interleaved).
// Not handled: background-load detection (run it on an idle machine, or interleaved with the
// peer as the script does).

import ArgumentParser
import Core
import Foundation
import Kernels

struct KernelsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Validate every kernel against its reference, then report median GFLOP/s per GEMM shape.")

    @Flag(help: "Print the GEMM cells as a JSON array (op, m, n, k, threads, gflops, …) instead of tables.")
    var json = false

    @Option(help: "Thread counts to time, comma-separated.")
    var threads = "1,2"

    @Option(help: "Shape groups to time, comma-separated: square, A, B, C.")
    var shapes = "square,A,B,C"

    @Option(help: "Samples per cell; the median is reported.")
    var samples = 5

    @Option(help: "Minimum duration of one sample, in seconds.")
    var minSampleSeconds = 0.1

    @Flag(help: "Time only the GEMMs (skip tanh, cross-entropy, embedding, reductions, updates).")
    var gemmOnly = false

    @Option(help: "GEMM path: automatic, direct or packed.")
    var path = "automatic"

    @Option(name: .customLong("cell"), help: ArgumentHelp(
        "Time this GEMM instead of the shape groups, as OP:M:N:K (e.g. gemm_nt:256:512:65); repeatable.",
        valueName: "op:m:n:k"))
    var cells: [String] = []

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    var groups: [String] { shapes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        if threadCounts.isEmpty || threadCounts.contains(where: { $0 < 1 }) {
            throw ValidationError("--threads must be a comma-separated list of positive integers, got '\(threads)'")
        }
        let known = Set(["square", "A", "B", "C"])
        if let bad = groups.first(where: { !known.contains($0) }) {
            throw ValidationError("--shapes: unknown group '\(bad)'; use square, A, B, C")
        }
        if samples < 1 { throw ValidationError("--samples must be at least 1") }
        if MatMulPath(rawValue: path) == nil { throw ValidationError("--path must be automatic, direct or packed") }
        for cell in cells where GemmCell(parsing: cell) == nil {
            throw ValidationError("--cell: '\(cell)' is not OP:M:N:K with OP one of gemm_nn, gemm_nt, gemm_tn and positive sizes")
        }
    }

    func run() throws {
        let originalThreads = Parallel.threadCount
        defer { Parallel.threadCount = originalThreads }
        let log: (String) -> Void = { message in if !json { print(message) } else { printError(message) } }
        log(instructionSetLine())
        let failures = KernelValidation.run(log: log)
        if !failures.isEmpty {
            for failure in failures { printError("FAILED: \(failure)") }
            throw ExitCode.failure
        }
        let selected = cells.isEmpty ? GemmCell.all.filter { groups.contains($0.group) } : cells.compactMap(GemmCell.init(parsing:))
        var results: [GemmResult] = []
        for cell in selected {
            for count in threadCounts {
                Parallel.threadCount = count
                let result = timeGemm(cell, threads: count)
                results.append(result)
                printError(String(format: "%@ m=%d n=%d k=%d threads=%d: %.1f GFLOP/s",
                                  cell.op, cell.m, cell.n, cell.k, count, result.gflops))
            }
        }
        if json {
            print(jsonArray(results))
            return
        }
        print(gemmTable(results))
        if !gemmOnly {
            print("")
            print(otherKernelsTable())
        }
    }

    /// "GEMM instruction set: avx512 (12×32 tile; best on this CPU: avx512; DESCENT_ISA unset)".
    func instructionSetLine() -> String {
        let active = InstructionSet.active
        let tile = active == .avx512 ? "12×32 tile, zmm" : active == .avx2 ? "6×16 tile, ymm" : "6×16 tile"
        let request = ProcessInfo.processInfo.environment["DESCENT_ISA"].map { "DESCENT_ISA=\($0)" } ?? "DESCENT_ISA unset"
        return "GEMM instruction set: \(active.rawValue) (\(tile); best on this CPU: \(InstructionSet.best.rawValue); \(request))"
    }

    // MARK: GEMM

    func timeGemm(_ cell: GemmCell, threads: Int) -> GemmResult {
        var generator = Xoshiro256(seed: 1)
        let (aRows, aColumns) = cell.op == "gemm_tn" ? (cell.k, cell.m) : (cell.m, cell.k)
        let (bRows, bColumns) = cell.op == "gemm_nt" ? (cell.n, cell.k) : (cell.k, cell.n)
        let a = randomMatrix(aRows, aColumns, &generator)
        let b = randomMatrix(bRows, bColumns, &generator)
        let c = Matrix(rows: cell.m, columns: cell.n)
        let form = cell.form
        let forcedPath = MatMulPath(rawValue: path) ?? .automatic
        let flops = 2.0 * Double(cell.m) * Double(cell.n) * Double(cell.k)
        let rates = measure { MatMul.multiply(c, a, b, form: form, path: forcedPath) }.map { flops / $0 / 1e9 }
        return GemmResult(cell: cell, threads: threads, gflops: median(rates),
                          minimum: rates.min() ?? 0, maximum: rates.max() ?? 0)
    }

    /// Seconds per call, one value per sample.
    func measure(_ body: () -> Void) -> [Double] {
        body(); body()
        var perCall: [Double] = []
        for _ in 0..<samples {
            var calls = 0
            let start = now()
            var elapsed = 0.0
            repeat {
                body()
                calls += 1
                elapsed = now() - start
            } while elapsed < minSampleSeconds
            perCall.append(elapsed / Double(calls))
        }
        return perCall
    }

    func gemmTable(_ results: [GemmResult]) -> String {
        var lines = ["GEMM on \(InstructionSet.active.rawValue), median GFLOP/s (min–max) over \(samples) samples of ≥ \(minSampleSeconds) s",
                     pad("shape", 44) + pad("op", 9) + pad("threads", 9) + "GFLOP/s"]
        for result in results {
            lines.append(pad(result.cell.label, 44) + pad(result.cell.op, 9) + pad("\(result.threads)", 9)
                         + String(format: "%7.1f  (%.1f–%.1f)", result.gflops, result.minimum, result.maximum))
        }
        return lines.joined(separator: "\n")
    }

    func jsonArray(_ results: [GemmResult]) -> String {
        let objects = results.map { result in
            String(format: "{\"op\": \"%@\", \"m\": %d, \"n\": %d, \"k\": %d, \"threads\": %d, \"gflops\": %.2f, "
                   + "\"gflops_min\": %.2f, \"gflops_max\": %.2f, \"label\": \"%@\", \"isa\": \"%@\"}",
                   result.cell.op, result.cell.m, result.cell.n, result.cell.k, result.threads,
                   result.gflops, result.minimum, result.maximum, result.cell.label, InstructionSet.active.rawValue)
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }

    // MARK: Other kernels

    func otherKernelsTable() -> String {
        var lines = ["Other per-step kernels, median µs per call",
                     pad("kernel", 52) + pad("threads", 9) + "µs"]
        for count in threadCounts {
            Parallel.threadCount = count
            for (name, body) in OtherKernels.cases() {
                let seconds = median(measure(body))
                lines.append(pad(name, 52) + pad("\(count)", 9) + String(format: "%8.2f", seconds * 1e6))
            }
        }
        return lines.joined(separator: "\n")
    }
}

struct GemmCell {
    let group: String
    let label: String
    let op: String
    let m: Int, n: Int, k: Int

    var form: MatMulForm { op == "gemm_tn" ? .tn : op == "gemm_nt" ? .nt : .nn }

    init(group: String, label: String, op: String, m: Int, n: Int, k: Int) {
        self.group = group; self.label = label; self.op = op; self.m = m; self.n = n; self.k = k
    }

    /// "gemm_nt:256:512:65"; labelled with the matching built-in cell's label when there is one.
    init?(parsing text: String) {
        let parts = text.split(separator: ":").map(String.init)
        guard parts.count == 4, ["gemm_nn", "gemm_nt", "gemm_tn"].contains(parts[0]),
              let m = Int(parts[1]), let n = Int(parts[2]), let k = Int(parts[3]), m > 0, n > 0, k > 0 else { return nil }
        let known = GemmCell.all.first { $0.op == parts[0] && $0.m == m && $0.n == n && $0.k == k }
        self.init(group: known?.group ?? "cell", label: known?.label ?? "\(parts[0]) \(m)x\(n)x\(k)", op: parts[0], m: m, n: n, k: k)
    }

    /// 1024³ and the six forward/backward products of each MLP config, as gemm_bench.py defines
    /// them (B batch, T context, d embedding width, H hidden width, V vocabulary; D = T·d).
    static var all: [GemmCell] {
        var cells = [GemmCell(group: "square", label: "square 1024^3", op: "gemm_nn", m: 1024, n: 1024, k: 1024)]
        for (name, batch, vocabulary, context, width, hidden) in [("A", 32, 27, 3, 10, 200), ("B", 256, 65, 16, 64, 512),
                                                                   ("C", 256, 4096, 8, 64, 512)] {
            let d = context * width
            cells += [
                GemmCell(group: name, label: "\(name) fwd x@W1 [\(batch)x\(d)]@[\(d)x\(hidden)]", op: "gemm_nn", m: batch, n: hidden, k: d),
                GemmCell(group: name, label: "\(name) fwd h@W2 [\(batch)x\(hidden)]@[\(hidden)x\(vocabulary)]", op: "gemm_nn", m: batch, n: vocabulary, k: hidden),
                GemmCell(group: name, label: "\(name) bwd dW2=h^T@dl", op: "gemm_tn", m: hidden, n: vocabulary, k: batch),
                GemmCell(group: name, label: "\(name) bwd dh=dl@W2^T", op: "gemm_nt", m: batch, n: hidden, k: vocabulary),
                GemmCell(group: name, label: "\(name) bwd dW1=x^T@dp", op: "gemm_tn", m: d, n: hidden, k: batch),
                GemmCell(group: name, label: "\(name) bwd dx=dp@W1^T", op: "gemm_nt", m: batch, n: d, k: hidden),
            ]
        }
        return cells
    }
}

struct GemmResult {
    let cell: GemmCell
    let threads: Int
    let gflops: Double
    let minimum: Double
    let maximum: Double
}

func randomMatrix(_ rows: Int, _ columns: Int, _ generator: inout Xoshiro256, scale: Float = 1) -> Matrix {
    let matrix = Matrix(rows: rows, columns: columns)
    for i in 0..<matrix.count { matrix[i] = (generator.nextFloat() * 2 - 1) * scale }
    return matrix
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    if sorted.isEmpty { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func printError(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8) ?? Data())
}
