// Deterministic fork-join over a fixed set of tasks, on a pool of persistent worker threads.
//
// Callers split work into tasks that write disjoint outputs and whose results do not depend on
// which thread runs them; reductions write one partial per task (or per fixed chunk) and the
// caller combines the partials in index order. So results are bitwise the same whatever the
// thread count and whatever the timing. Atomics here schedule work (who runs task i); they never
// carry a numeric value.
//
// The pool: `threadCount − 1` workers plus the calling thread, which always takes part. A job is
// published by bumping a generation counter; workers spin for a short while after each job (a
// training step calls kernels back to back) and then sleep on a condition variable. Tasks are
// claimed one at a time with a compare-and-swap on a word holding (generation, next task), so a
// worker that wakes late can never run a task of the wrong job, and the caller never waits for a
// sleeping worker: it claims whatever nobody has taken yet.
//
// Deliberately not handled: nested parallelism (a task that calls `run` again runs its inner
// tasks inline), concurrent jobs from several threads (a second caller runs its tasks inline),
// priorities, cancellation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core
import Synchronization

public enum Parallel {
    /// The number of threads kernels may use, including the caller. Defaults to the number of
    /// online cores. Set it between kernel calls, never while one runs; 1 runs everything on the
    /// calling thread.
    public static var threadCount: Int {
        get { WorkerPool.shared.threadCount.load(ordering: .relaxed) }
        set {
            precondition(newValue >= 1, "Parallel.threadCount must be at least 1, got \(newValue)")
            WorkerPool.shared.threadCount.store(newValue, ordering: .relaxed)
        }
    }

    /// A task function: receives the caller's context and a task index in `0..<taskCount`.
    public typealias TaskFunction = @convention(c) (UnsafeMutableRawPointer, Int) -> Void

    /// Runs `function(context, task)` for every task in `0..<taskCount` and returns when all are
    /// done. `context` must stay valid for the call. Tasks may run in any order and on any
    /// thread, so each must write its own outputs. Allocates nothing.
    public static func run(taskCount: Int, context: UnsafeMutableRawPointer, _ function: TaskFunction) {
        if taskCount <= 0 { return }
        if taskCount == 1 || threadCount == 1 {
            for task in 0..<taskCount { function(context, task) }
            return
        }
        WorkerPool.shared.run(taskCount: taskCount, context: context, function)
    }

    /// The number of online cores, as the operating system reports it.
    public static var onlineCoreCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// The process-wide worker pool behind `Parallel.run`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    let threadCount: Atomic<Int>
    /// (generation << 32) | (task count << 16) | next unclaimed task, of the current job. The task
    /// count lives in the same word as the claim counter so that a claim can never pair one job's
    /// count with another's.
    private let state = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    private let jobContext = Atomic<UInt>(0)
    private let jobFunction = Atomic<UInt>(0)
    /// Held by the thread that publishes a job, so that two callers never share the pool.
    private let publishing = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Workers started so far (they are never stopped); only `threadCount − 1` of them claim tasks.
    private let startedWorkers = Atomic<Int>(0)
    /// How long a worker keeps polling for the next job before it sleeps, in nanoseconds.
    static let spinNanoseconds: Int = 2_000_000
    /// Larger jobs run inline: the claim counter has 16 bits.
    static let maximumTaskCount = 0xFFFF

    private init() {
        threadCount = Atomic(Parallel.onlineCoreCount)
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    func run(taskCount: Int, context: UnsafeMutableRawPointer, _ function: Parallel.TaskFunction) {
        // A nested call, or a second thread while a job is in flight: run inline. The results do
        // not depend on where tasks run.
        guard taskCount <= Self.maximumTaskCount, !Worker.isInsideTask, publishing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for task in 0..<taskCount { function(context, task) }
            return
        }
        startWorkers(upTo: threadCount.load(ordering: .relaxed) - 1)

        jobContext.store(UInt(bitPattern: context), ordering: .relaxed)
        jobFunction.store(unsafeBitCast(function, to: UInt.self), ordering: .relaxed)
        completed.store(0, ordering: .relaxed)
        let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
        state.store(generation << 32 | UInt64(taskCount) << 16, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }

        Worker.isInsideTask = true
        while let task = claim(generation: generation) {
            function(context, task)
            completed.add(1, ordering: .releasing)
        }
        Worker.isInsideTask = false
        var spins = 0
        while completed.load(ordering: .acquiring) < taskCount {
            spins &+= 1
            if spins & 63 == 0 { sched_yield() }
        }
        publishing.store(false, ordering: .releasing)
    }

    /// Claims the next task of job `generation`, or nil when that job has none left.
    private func claim(generation: UInt64) -> Int? {
        var current = state.load(ordering: .acquiring)
        while true {
            let next = Int(current & 0xFFFF), count = Int((current >> 16) & 0xFFFF)
            if current >> 32 != generation || next >= count { return nil }
            let (exchanged, original) = state.compareExchange(expected: current, desired: current &+ 1,
                                                               ordering: .acquiringAndReleasing)
            if exchanged { return next }
            current = original
        }
    }

    private func startWorkers(upTo count: Int) {
        while startedWorkers.load(ordering: .relaxed) < count {
            let index = startedWorkers.load(ordering: .relaxed) + 1
            let box = Unmanaged.passRetained(WorkerStart(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                start.pool.workerLoop(index: start.index)
                return nil
            }, box)
            precondition(status == 0, "Parallel: pthread_create failed with \(status)")
            pthread_detach(thread)
            startedWorkers.store(index, ordering: .relaxed)
        }
    }

    private func workerLoop(index: Int) {
        Worker.isInsideTask = true
        var seen: UInt64 = 0
        while true {
            let generation = waitForJob(after: seen)
            seen = generation
            // Workers beyond the current thread count sit this job out.
            if index >= threadCount.load(ordering: .relaxed) { continue }
            let context = jobContext.load(ordering: .relaxed)
            let bits = jobFunction.load(ordering: .relaxed)
            // These two reads belong to job `generation` whenever a claim below succeeds: the
            // caller rewrites them only after every task of the job has been claimed and done.
            while let task = claim(generation: generation) {
                let function = unsafeBitCast(bits, to: Parallel.TaskFunction.self)
                function(UnsafeMutableRawPointer(bitPattern: context)!, task)
                completed.add(1, ordering: .releasing)
            }
        }
    }

    /// Returns the generation of the first job published after `seen`: polls for a while, then
    /// sleeps until the caller broadcasts.
    private func waitForJob(after seen: UInt64) -> UInt64 {
        let deadline = MonotonicClock.nanoseconds() &+ Self.spinNanoseconds
        var spins = 0
        while true {
            let generation = state.load(ordering: .acquiring) >> 32
            if generation != seen { return generation }
            spins &+= 1
            if spins & 255 == 0 {
                if MonotonicClock.nanoseconds() > deadline { break }
                sched_yield()
            }
        }
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var generation = state.load(ordering: .sequentiallyConsistent) >> 32
        while generation == seen {
            pthread_cond_wait(condition, mutex)
            generation = state.load(ordering: .sequentiallyConsistent) >> 32
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        return generation
    }
}

private final class WorkerStart {
    let pool: WorkerPool
    let index: Int
    init(pool: WorkerPool, index: Int) { self.pool = pool; self.index = index }
}

/// Per-thread flag: true on pool workers, and on the caller while it runs tasks of a job.
enum Worker {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var isInsideTask: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }
}

extension Parallel {
    /// A range function: receives the caller's context and a half-open range `start..<end`.
    typealias RangeFunction = @convention(c) (UnsafeMutableRawPointer, Int, Int) -> Void

    /// Calls `function` on balanced ranges covering `0..<count`, at most one per thread and none
    /// shorter than `grain` (so small inputs run inline, in one call). Only for work whose result
    /// is independent of where the ranges are cut (elementwise maps, disjoint rows); reductions
    /// use fixed chunks instead. Range boundaries fall on multiples of 16.
    static func forEachRange(count: Int, grain: Int, context: UnsafeMutableRawPointer, _ function: RangeFunction) {
        let units = (count + 15) / 16
        let parts = max(1, min(threadCount, count / max(grain, 1), units))
        if parts == 1 {
            if count > 0 { function(context, 0, count) }
            return
        }
        var job = RangeJob(function: function, context: context, count: count, parts: parts)
        withUnsafeMutablePointer(to: &job) { pointer in
            run(taskCount: parts, context: UnsafeMutableRawPointer(pointer), rangeJobTask)
        }
    }
}

private struct RangeJob {
    let function: Parallel.RangeFunction
    let context: UnsafeMutableRawPointer
    let count: Int
    let parts: Int
}

private let rangeJobTask: Parallel.TaskFunction = { context, task in
    let job = context.assumingMemoryBound(to: RangeJob.self).pointee
    let units = balancedRange(task, of: job.parts, total: (job.count + 15) / 16)
    let end = min(job.count, units.upperBound * 16)
    if units.lowerBound * 16 < end { job.function(job.context, units.lowerBound * 16, end) }
}
