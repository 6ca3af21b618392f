// What `descent prepare` shows while it works, on a terminal: one line redrawn in place at most five
// times a second, "encode 2/3 [██████▌   ]  65% | 65.0/100.0 MB | 112 MB/s | 48.20M tokens |
// eta 0:01", cut to the terminal's width (read at every redraw). The first two passes count input
// bytes, the third tokens compressed; the ETA is the current pass's. When standard error is not a
// terminal nothing is drawn, and the summary alone is printed. Not handled: an ETA over the passes
// still to come (their speed differs by tokenizer and machine, so a guess would mislead).

import Core
import Data
import Foundation

final class PrepareProgressLine {
    private let sink: ProgressSink
    private let isLive: Bool
    private let started = MonotonicClock.seconds()
    private var lastDraw = -Double.infinity
    private var phase: PrepareProgress.Phase?
    /// (seconds, units done) when the current pass began, for its rate and ETA.
    private var phaseStart: (seconds: Double, done: Int) = (0, 0)
    private var lineOpen = false

    init(isTerminal: Bool = Console.stderrIsTerminal, sink: ProgressSink = .console) {
        isLive = isTerminal
        self.sink = sink
    }

    func update(_ progress: PrepareProgress) {
        guard isLive else { return }
        let now = MonotonicClock.seconds() - started
        if progress.phase != phase {
            phase = progress.phase
            phaseStart = (now, Self.units(progress).done)
        } else if now - lastDraw < ProgressPrinter.redrawInterval {
            return
        }
        lastDraw = now
        sink.error("\r\u{1B}[2K" + Self.line(progress, seconds: now - phaseStart.seconds,
                                              doneAtStart: phaseStart.done, columns: sink.columns()))
        lineOpen = true
    }

    /// Clears the line, so that the summary starts at the left margin.
    func finish() {
        if lineOpen { sink.error("\r\u{1B}[2K") }
        lineOpen = false
    }

    /// What the pass counts: bytes read, or tokens compressed.
    static func units(_ progress: PrepareProgress) -> (done: Int, total: Int) {
        progress.phase == .compressing ? (progress.tokensWritten, progress.tokenCount ?? 0) : (progress.bytesRead, progress.inputBytes)
    }

    static func line(_ progress: PrepareProgress, seconds: Double, doneAtStart: Int, columns: Int) -> String {
        let available = max(columns - 1, 1)
        let names: [PrepareProgress.Phase: String] = [.fitting: "fit", .encoding: "encode", .compressing: "compress"]
        let (done, total) = units(progress)
        let fraction = total > 0 ? Double(done) / Double(total) : 0
        var parts: [String] = []
        let rate = seconds > 0.05 ? Double(done - doneAtStart) / seconds : nil
        switch progress.phase {
        case .fitting, .encoding:
            parts.append(String(format: "%.1f/%.1f MB", Double(done) / 1e6, Double(total) / 1e6))
            if let rate { parts.append(String(format: "%.0f MB/s", rate / 1e6)) }
            if progress.phase == .encoding { parts.append(ProgressPrinter.compact(Double(progress.tokensWritten)) + " tokens") }
        case .compressing:
            parts.append(ProgressPrinter.compact(Double(done)) + "/" + ProgressPrinter.compact(Double(total)) + " tokens")
            if let rate { parts.append(ProgressPrinter.compact(rate) + " tok/s") }
        }
        if let rate, rate > 0 { parts.append("eta " + TrainCommand.duration(Double(total - done) / rate)) }
        let head = "\(names[progress.phase]!) \(progress.phase.rawValue)/\(PrepareProgress.Phase.allCases.count)"
        let percent = String(format: "%3d%%", Int((fraction * 100).rounded(.down)))
        // When space runs short the parts go first, from the right, then the bar.
        let barText = " " + ProgressPrinter.bar(fraction, cells: 20) + " " + percent
        let start = (head + barText).count <= available ? head + barText : head
        var kept = parts
        while !kept.isEmpty && (start + kept.map { " | " + $0 }.joined()).count > available { kept.removeLast() }
        return String((start + kept.map { " | " + $0 }.joined()).prefix(available))
    }
}
