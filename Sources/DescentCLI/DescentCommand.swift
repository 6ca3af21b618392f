// The `descent` command tree. Thin: each verb parses options, calls the libraries and prints.

import ArgumentParser
import Foundation
import Kernels

public struct DescentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Train small language models on your own text, on the CPU.",
        discussion: """
            A typical session, on a text file with one name per line:

              descent prepare names.txt --out data/names --split-by lines
              descent train configs/names-bigram.json --run names-bigram
              descent sample names-bigram --num-samples 10
              descent runs
              descent report names-bigram -o report.html
            """
            + "\n\n" + HelpText.paragraphs("""
                Runs, metrics and checkpoints live in one SQLite file (--db, default \
                \(StoreOptions.defaultPath)). `descent help VERB` explains every option of a verb.
                """),
        version: "0.1.0",
        subcommands: [PrepareCommand.self, TrainCommand.self, SampleCommand.self, EvaluateCommand.self, RunsCommand.self,
                      ShowCommand.self, RemoveCommand.self, VerifyCommand.self, TokenizerCommand.self,
                      PlotCommand.self, ReportCommand.self, MetricsCommand.self, DiffCommand.self,
                      LRFindCommand.self, LandscapeCommand.self, SweepCommand.self, ExportCommand.self, ImportCommand.self,
                      ExportDataCommand.self]
    )

    public init() {}

    /// Parses the process arguments and runs the verb. User errors end as one line on stderr and
    /// a non-zero exit code, never a trap or a stack trace.
    public static func runMain() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Foundation.exit(0)
        } catch let failure as CommandFailure {
            Console.error("error: \(failure.message)")
            Foundation.exit(failure.code)
        } catch {
            exit(withError: error)
        }
    }
}

/// `--db`, shared by every verb that touches the store.
struct StoreOptions: ParsableArguments {
    static let defaultPath = "checkpoints/descent.db"

    @Option(name: .long, help: ArgumentHelp("The SQLite database of runs, metrics and checkpoints.", valueName: "path"))
    var db: String = StoreOptions.defaultPath

    func validate() throws {
        if db.isEmpty { throw ValidationError("--db needs a file path, e.g. --db \(StoreOptions.defaultPath).") }
    }
}

/// `--threads`, shared by the verbs that compute.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Threads for the numeric kernels (0 = one per core). Results are bitwise identical for any count.", valueName: "n"))
    var threads: Int = 0

    func validate() throws {
        guard (0...256).contains(threads) else { throw ValidationError("--threads must be in 0...256 (0 = one per core), got \(threads).") }
    }

    func apply() {
        Parallel.threadCount = threads == 0 ? ProcessInfo.processInfo.activeProcessorCount : threads
    }
}

/// An error already explained to the user: print the message, exit with the code.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    let code: Int32
    var description: String { message }
}

/// Standard error, unbuffered, for messages and progress.
enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// The width of the terminal on standard error, if it is one.
    static func stderrColumns() -> Int? {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}

/// Runs a library call and turns its typed error into a CLI failure with the error's sentence.
func attempt<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let failure as CommandFailure {
        throw failure
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        throw CommandFailure(message: "\(error)", code: 1)
    }
}
