// descent-bench: benchmarks of Descent's own code, one subcommand per concern.
import ArgumentParser

struct DescentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent-bench",
        abstract: "Benchmarks for Descent: each validates against its reference first, then times.",
        subcommands: [KernelsBenchmark.self, TrainBenchmark.self, TokenizerBenchmark.self, LogitsCommand.self])
}

DescentBench.main()
