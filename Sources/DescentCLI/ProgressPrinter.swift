// What `descent train` shows while it trains: on a terminal one live line, redrawn in place a few
// times a second whatever the step rate, with evaluations, checkpoints and samples printed above
// it; in a log file one plain line per log interval; with `--log-format json` one JSON object per
// event on stdout; with `--quiet` only the final summary.
//
// The live line fits the terminal's current width (read at every redraw, so a resize takes effect
// at the next one) by dropping its least useful parts first; it never wraps. Not handled:
// terminals narrower than "step N/M" (the line is cut), and colour.

import ArgumentParser
import Core
import Foundation
import Plots
import RunRecords
import Training

/// `--log-format`: what the progress output is for.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// For people: a live line on a terminal, plain lines otherwise.
    case text
    /// For programs: one JSON object per line on stdout.
    case json
}

/// Where the printer writes, and how wide the terminal is; tests substitute their own.
struct ProgressSink {
    /// Text for standard error, written as given (no newline added).
    var error: (String) -> Void
    /// One line for standard output (JSON events).
    var output: (String) -> Void
    /// The terminal's width in columns.
    var columns: () -> Int

    static var console: ProgressSink {
        // Unbuffered, so that a program reading the pipe sees each event as it happens.
        ProgressSink(error: { Console.progress($0) }, output: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
                     columns: { Console.stderrColumns() ?? 80 })
    }
}

final class ProgressPrinter {
    enum Mode: Equatable {
        /// A line redrawn in place (standard error is a terminal).
        case live
        /// A plain line per log interval.
        case lines
        /// JSON objects on standard output.
        case json
    }

    let mode: Mode
    let quiet: Bool
    private let sink: ProgressSink
    /// Seconds between two redraws of the live line: at most five a second.
    static let redrawInterval = 0.2
    /// The live line's loss is a moving average over about this many steps.
    static let smoothingSteps = 50.0

    private var lineOpen = false
    private var lastDraw = -Double.infinity
    private var latest: StepReport?
    private var smoothedLoss = ExponentialMovingAverage(window: ProgressPrinter.smoothingSteps)
    private var lastValLoss: Double?
    /// (elapsed seconds, examples, step) at recent redraws, for the rate and the ETA.
    private var history: [(seconds: Double, examples: Int, step: Int)] = []

    init(format: LogFormat, quiet: Bool, isTerminal: Bool = Console.stderrIsTerminal, sink: ProgressSink = .console) {
        mode = format == .json ? .json : isTerminal ? .live : .lines
        self.quiet = quiet
        self.sink = sink
    }

    // MARK: Start and end

    /// The run's description, before the first step.
    func start(text: String, fields: [(String, JSONField)]) {
        guard !quiet else { return }
        if mode == .json { emit("start", fields) } else { say(text) }
    }

    /// How the session ended: the text (if any; a failing command prints its own error) on
    /// standard error, or the `end` event, which JSON prints even with `--quiet`.
    func end(text: String?, fields: [(String, JSONField)]) {
        finishLine()
        if mode == .json {
            emit("end", fields)
        } else if let text {
            say(text)
        }
    }

    // MARK: Events

    func handle(_ event: TrainingEvent) {
        guard !quiet else { return }
        switch mode {
        case .json: handleJSON(event)
        case .live, .lines: handleText(event)
        }
    }

    private func handleText(_ event: TrainingEvent) {
        switch event {
        case .step(let report):
            smoothedLoss.add(report.trainLoss)
            latest = report
            guard mode == .live else { return }
            if report.elapsedSeconds - lastDraw >= Self.redrawInterval || report.step == report.maxSteps { drawLine() }
        case .progress(let report):
            guard mode == .lines else { return }
            let width = String(report.maxSteps).count
            say(String(format: "step %\(width)d/%d | loss %.4f | lr %.3e | %@ tok/s | elapsed %@ | eta %@",
                       report.step, report.maxSteps, report.trainLoss, report.learningRate,
                       Self.compact(report.examplesPerSecond), TrainCommand.duration(report.elapsedSeconds),
                       TrainCommand.duration(report.etaSeconds)))
        case let .evaluation(step, valLoss, seconds):
            lastValLoss = valLoss
            say(String(format: "step %d: val loss %.4f (%.1f s)", step, valLoss, seconds))
        case let .checkpoint(step, reason):
            say("checkpoint at step \(step) (\(reason.rawValue))")
        case let .samples(step, texts):
            say("samples at step \(step):\n" + texts.enumerated().map { index, text in
                let prefix = "  \(index + 1)| "
                let continuation = "  " + String(repeating: " ", count: String(index + 1).count) + "| "
                return prefix + text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + continuation)
            }.joined(separator: "\n"))
        case .note(let text):
            say("note: \(text)")
        }
    }

    private func handleJSON(_ event: TrainingEvent) {
        switch event {
        case .step:
            return
        case .progress(let report):
            emit("progress", [("step", .int(report.step)), ("maxSteps", .int(report.maxSteps)), ("trainLoss", .number(report.trainLoss)),
                              ("learningRate", .number(report.learningRate)), ("tokensPerSecond", .number(report.examplesPerSecond)),
                              ("elapsedSeconds", .number(report.elapsedSeconds)), ("etaSeconds", .number(report.etaSeconds))])
        case let .evaluation(step, valLoss, seconds):
            emit("evaluation", [("step", .int(step)), ("valLoss", .number(valLoss)), ("seconds", .number(seconds))])
        case let .checkpoint(step, reason):
            emit("checkpoint", [("step", .int(step)), ("reason", .string(reason.rawValue))])
        case let .samples(step, texts):
            emit("samples", [("step", .int(step)), ("texts", .strings(texts))])
        case .note(let text):
            emit("note", [("message", .string(text))])
        }
    }

    /// Ends the live line, so that what follows starts on a fresh line.
    func finishLine() {
        if lineOpen { sink.error("\n"); lineOpen = false }
    }

    /// A message on its own line(s); on a terminal above the live line, which is redrawn under it.
    private func say(_ text: String) {
        if lineOpen { sink.error("\r\u{1B}[2K") }
        sink.error(text + "\n")
        if lineOpen {
            lineOpen = false
            drawLine()
        }
    }

    private func emit(_ event: String, _ fields: [(String, JSONField)]) {
        sink.output(JSONField.object([("event", .string(event))] + fields))
    }

    // MARK: The live line

    private func drawLine() {
        guard let report = latest else { return }
        lastDraw = report.elapsedSeconds
        history.append((report.elapsedSeconds, report.examplesSeen, report.step))
        // The rate and ETA over the last few seconds: current, yet steadier than one redraw.
        while history.count > 2, report.elapsedSeconds - history[1].seconds >= 3 { history.removeFirst() }
        let line = Self.line(report: report, smoothedLoss: smoothedLoss.value, valLoss: lastValLoss,
                             window: history.first.map { (report.elapsedSeconds - $0.seconds, report.examplesSeen - $0.examples,
                                                          report.step - $0.step) },
                             columns: sink.columns())
        sink.error("\r\u{1B}[2K" + line)
        lineOpen = true
    }

    /// The live line for `columns` columns: "step 1200/5000 [████▌     ]  24% | loss 2.1345 |
    /// val 2.1502 | lr 4.80e-02 | 83.1k tok/s | 0:12 eta 0:38", shortened to fit: the parts go
    /// in the order lr, rate, val, then the bar (shrinking from 30 cells to 10 first), the time
    /// and the loss.
    static func line(report: StepReport, smoothedLoss: Double?, valLoss: Double?,
                     window: (seconds: Double, examples: Int, steps: Int)?, columns: Int) -> String {
        let available = max(columns - 1, 1)  // the last column would wrap on some terminals
        let width = String(report.maxSteps).count
        let stepPart = "step " + String(repeating: " ", count: max(0, width - String(report.step).count)) + "\(report.step)/\(report.maxSteps)"
        var rate: String? = nil
        var eta = ""
        if let window, window.seconds > 0, window.steps > 0 {
            rate = compact(Double(window.examples) / window.seconds) + " tok/s"
            eta = " eta " + TrainCommand.duration(window.seconds / Double(window.steps) * Double(report.maxSteps - report.step))
        }
        // In display order, each with its priority (lower is dropped later).
        let parts: [(text: String?, priority: Int)] = [
            (smoothedLoss.map { String(format: "loss %.4f", $0) }, 0),
            (valLoss.map { String(format: "val %.4f", $0) }, 2),
            (String(format: "lr %.2e", report.learningRate), 4),
            (rate, 3),
            (TrainCommand.duration(report.elapsedSeconds) + eta, 1),
        ]
        // The bar's segment: " [", its cells, "] " and the percentage ("%3d%%").
        let barOverhead = 8, minimumCells = 10
        var kept = Set<Int>()
        var length = stepPart.count
        var barReserved = false
        for (index, part) in parts.enumerated().sorted(by: { $0.element.priority < $1.element.priority }) {
            // After the loss and the time, the bar claims its minimum before the rest.
            if part.priority > 1 && !barReserved && length + barOverhead + minimumCells <= available {
                barReserved = true
                length += barOverhead + minimumCells
            }
            guard let text = part.text else { continue }
            if length + 3 + text.count <= available {
                kept.insert(index)
                length += 3 + text.count
            }
        }
        let fraction = report.maxSteps > 0 ? Double(report.step) / Double(report.maxSteps) : 0
        let percent = String(format: "%3d%%", Int((fraction * 100).rounded(.down)))
        // The bar takes what is left, up to 30 cells.
        let barCells = barReserved ? min(30, minimumCells + available - length) : 0
        var line = stepPart
        if barCells >= minimumCells { line += " " + bar(fraction, cells: barCells) + " " + percent }
        for (index, part) in parts.enumerated() where kept.contains(index) { line += " | " + (part.text ?? "") }
        return String(line.prefix(available))
    }

    /// "[████▌     ]": eighths of a cell, so the bar moves smoothly on a long run.
    static func bar(_ fraction: Double, cells: Int) -> String {
        let eighths = Int((min(max(fraction, 0), 1) * Double(cells * 8)).rounded(.down))
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        let full = String(repeating: "█", count: eighths / 8)
        let filled = full + partial
        return "[" + filled + String(repeating: " ", count: cells - filled.count) + "]"
    }

    static func compact(_ value: Double) -> String {
        value >= 1e6 ? String(format: "%.2fM", value / 1e6) : value >= 1e3 ? String(format: "%.1fk", value / 1e3) : String(format: "%.0f", value)
    }
}

/// A value in a JSON event line. Non-finite numbers are written as null (JSON has no NaN).
enum JSONField {
    case string(String)
    case int(Int)
    case number(Double)
    case optionalNumber(Double?)
    case strings([String])
    case null

    var json: String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .int(let value): return String(value)
        case .number(let value): return value.isFinite ? "\(value)" : "null"
        case .optionalNumber(let value): return value.map { JSONField.number($0).json } ?? "null"
        case .strings(let texts): return "[" + texts.map(Self.quote).joined(separator: ",") + "]"
        case .null: return "null"
        }
    }

    /// `{"key":value,...}` with the keys in the order given.
    static func object(_ fields: [(String, JSONField)]) -> String {
        "{" + fields.map { quote($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
