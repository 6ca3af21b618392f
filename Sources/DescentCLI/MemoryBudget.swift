// The memory this machine can give a run, and the one-line refusal when a model needs more.
//
// Available memory is the smaller of the kernel's MemAvailable and what the process's cgroup
// (v2) still allows; `DESCENT_MEMORY_LIMIT` (bytes) overrides both, for tests and for sharing a
// machine. Where neither can be read, the physical memory is the bound.

import Foundation
import Models
import Training

struct MemoryBudget {
    /// Bytes a run may use.
    let availableBytes: Int
    /// Where the figure came from, for the message.
    let source: String

    static let overrideVariable = "DESCENT_MEMORY_LIMIT"

    static func current() -> MemoryBudget {
        if let text = ProcessInfo.processInfo.environment[overrideVariable], let bytes = Int(text), bytes > 0 {
            return MemoryBudget(availableBytes: bytes, source: overrideVariable)
        }
        var candidates: [(Int, String)] = []
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            candidates.append((kib * 1024, "available memory"))
        }
        if let maxText = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(maxText.trimmingCharacters(in: .whitespacesAndNewlines)) {
            let used = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            candidates.append((max(limit - used, 0), "the container's memory limit"))
        }
        if let smallest = candidates.min(by: { $0.0 < $1.0 }) {
            return MemoryBudget(availableBytes: smallest.0, source: smallest.1)
        }
        return MemoryBudget(availableBytes: Int(clamping: ProcessInfo.processInfo.physicalMemory), source: "physical memory")
    }

    enum Purpose {
        case training(batchSize: Int, momentBuffers: Int)
        case inference(checkpointStep: Int)
    }

    /// Throws a one-line `CommandFailure` when a model of `architecture` would not fit.
    func check(_ architecture: ModelArchitecture, purpose: Purpose, batchSize: Int = 256) throws {
        let estimate: MemoryEstimate
        let what: String
        switch purpose {
        case let .training(batchSize, moments):
            estimate = MemoryEstimate.training(architecture, batchSize: batchSize, momentBuffers: moments)
            what = "training this \(architecture.type.rawValue)"
        case .inference(let step):
            estimate = MemoryEstimate.inference(architecture, batchSize: batchSize)
            what = "loading the checkpoint at step \(step) (a \(architecture.type.rawValue))"
        }
        guard estimate.totalBytes > availableBytes else { return }
        throw CommandFailure(message: "\(what) needs about \(Self.format(bytes: estimate.totalBytes)) (\(Self.breakdown(estimate))), more than the \(Self.format(bytes: availableBytes)) of \(source). \(Self.advice(architecture, purpose: purpose))", code: 1)
    }

    static func breakdown(_ estimate: MemoryEstimate) -> String {
        let count = estimate.parameterCount == Int.max ? "more than \(Int.max)" : ReportCommand.grouped(estimate.parameterCount)
        var parts = ["\(count) parameters: \(format(bytes: estimate.parameterBytes))"]
        if estimate.optimizerBytes > 0 { parts.append("optimizer moments \(format(bytes: estimate.optimizerBytes))") }
        parts.append("gradients \(format(bytes: estimate.gradientBytes))")
        parts.append("activations \(format(bytes: estimate.activationBytes))")
        return parts.joined(separator: ", ")
    }

    static func advice(_ architecture: ModelArchitecture, purpose: Purpose) -> String {
        if case .inference = purpose {
            return "Run it on a machine with more memory, or set \(overrideVariable) if the estimate is wrong for this one."
        }
        switch architecture.type {
        case .bigram:
            return "A bigram's table grows with the square of the vocabulary (\(ReportCommand.grouped(architecture.vocabularySize)) tokens): use the MLP (--set model.type=mlp), or prepare the data with a BPE tokenizer of a smaller vocabulary."
        case .mlp:
            return "Lower model.hiddenSize, model.embeddingSize or training.batchSize, or prepare the data with a BPE tokenizer of a smaller vocabulary (\(ReportCommand.grouped(architecture.vocabularySize)) tokens now)."
        }
    }

    /// 16236366084 → "16.2 GB" (decimal units, as `df -H` and most people count).
    static func format(bytes: Int) -> String {
        if bytes == Int.max { return "more than any machine has" }
        let value = Double(bytes)
        for (unit, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where value >= scale {
            return String(format: "%.1f %@", value / scale, unit)
        }
        return "\(bytes) bytes"
    }
}
