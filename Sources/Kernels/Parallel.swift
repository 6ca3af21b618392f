// Deterministic fork-join over a fixed set of tasks.
//
// Callers split work into tasks whose boundaries depend only on the problem size, never on the
// thread count or on timing, and each task writes its own outputs; so results are bitwise the
// same with 1 or N threads. This version runs tasks on the calling thread (placeholder for the
// worker pool).

public enum Parallel {
    /// The number of threads kernels may use, including the caller. Defaults to the number of
    /// online cores.
    nonisolated(unsafe) public static var threadCount: Int = 1

    /// A task function: receives the caller's context and a task index in `0..<taskCount`.
    public typealias TaskFunction = @convention(c) (UnsafeMutableRawPointer, Int) -> Void

    /// Runs `function(context, task)` for every task in `0..<taskCount` and returns when all are
    /// done. `context` must stay valid for the call.
    public static func run(taskCount: Int, context: UnsafeMutableRawPointer, _ function: TaskFunction) {
        for task in 0..<taskCount { function(context, task) }
    }
}
