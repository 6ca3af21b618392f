// Work spread over threads for `descent prepare`, with results in their original order, so that the
// output is the same bytes for any thread count: every job is a pure function of its input, and
// only the order of completion depends on the threads.
//
// Two shapes. `ParallelJobs.map` runs a known list of jobs (the shards to compress) and returns
// their results in job order. `OrderedPipeline` takes inputs one at a time from the calling thread
// (chunks of documents as they are read), transforms them on worker threads, and hands the outputs
// back to the calling thread in submission order, with at most `depth` inputs in flight, so memory
// stays bounded however long the stream. Callbacks (progress, delivery) always run on the calling
// thread. With one thread both run everything inline, on the calling thread.
//
// Errors: the error of the lowest-numbered failing job is the one thrown, whatever the timing, so a
// failure reads the same for any thread count; jobs not yet started are skipped after a failure.
// Not handled: cancelling a job in flight (it finishes and is dropped).

import Foundation

/// The number of threads `prepare` uses by default: the processors this process may run on.
public enum PrepareThreads {
    public static var available: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
    /// Allowed `--threads`.
    public static let range = 1...256
}

enum ParallelJobs {
    /// `job(0..<count)` on `threads` worker threads; results in job order. `finished(index)` runs on
    /// the calling thread after each job, in completion order.
    static func map<Result: Sendable>(
        count: Int, threads: Int, job: @escaping @Sendable (Int) throws(DataError) -> Result,
        finished: ((Int) -> Void)? = nil
    ) throws(DataError) -> [Result] {
        let workers = min(max(1, threads), count)
        guard workers > 1 else {
            var results: [Result] = []
            results.reserveCapacity(count)
            for index in 0..<count {
                results.append(try job(index))
                finished?(index)
            }
            return results
        }
        let board = JobBoard<Result>(count: count)
        for worker in 0..<workers {
            let thread = Thread { board.work(job) }
            thread.name = "descent prepare \(worker)"
            thread.start()
        }
        return try board.collect(finished: finished)
    }
}

/// The shared state of `ParallelJobs.map`; every field is guarded by `condition`.
private final class JobBoard<Result: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private var next = 0
    private var results: [Result?]
    private var failures: [(index: Int, error: DataError)] = []
    private var completed: [Int] = []
    private var running = 0

    init(count: Int) {
        self.count = count
        results = Array(repeating: nil, count: count)
    }

    func work(_ job: @Sendable (Int) throws(DataError) -> Result) {
        condition.lock()
        running += 1
        while next < count && failures.isEmpty {
            let index = next
            next += 1
            condition.unlock()
            let outcome: Swift.Result<Result, DataError>
            do throws(DataError) { outcome = .success(try job(index)) } catch { outcome = .failure(error) }
            condition.lock()
            switch outcome {
            case .success(let result): results[index] = result
            case .failure(let error): failures.append((index, error))
            }
            completed.append(index)
            condition.broadcast()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    func collect(finished: ((Int) -> Void)?) throws(DataError) -> [Result] {
        condition.lock()
        var reported = 0
        // Done when every job has run, or after a failure once no worker is still inside a job.
        while !(reported == count || (!failures.isEmpty && running == 0 && reported == completed.count)) {
            if reported < completed.count {
                let batch = completed[reported...]
                reported = completed.count
                condition.unlock()
                if failures.isEmpty { for index in batch { finished?(index) } }
                condition.lock()
                continue
            }
            condition.wait()
        }
        let failure = failures.min { $0.index < $1.index }
        let done = results
        condition.unlock()
        if let failure { throw failure.error }
        return done.map { $0! }
    }
}

/// Inputs transformed on worker threads, outputs delivered in submission order on the calling thread.
final class OrderedPipeline<Input: Sendable, Output: Sendable> {
    private let transform: @Sendable (Input) throws(DataError) -> Output
    private let state: PipelineState<Input, Output>?
    private let depth: Int
    private var submitted = 0
    private var delivered = 0

    /// `threads` workers (inline when 1) and at most `depth` inputs in flight (at least `threads`).
    init(threads: Int, depth: Int, transform: @escaping @Sendable (Input) throws(DataError) -> Output) {
        self.transform = transform
        self.depth = max(depth, threads)
        guard threads > 1 else {
            state = nil
            return
        }
        let state = PipelineState<Input, Output>()
        self.state = state
        for worker in 0..<threads {
            let thread = Thread { state.work(transform) }
            thread.name = "descent encode \(worker)"
            thread.start()
        }
    }

    deinit { state?.shutDown() }

    /// Hands `input` to the workers; first delivers, in order, the outputs that are ready, waiting
    /// for the oldest while `depth` inputs are in flight.
    func submit(_ input: Input, deliver: (Output) throws(DataError) -> Void) throws(DataError) {
        guard let state else { return try deliver(transform(input)) }
        while submitted - delivered >= depth { try deliver(state.take(delivered)); delivered += 1 }
        state.put(input, sequence: submitted)
        submitted += 1
        while let output = try state.takeIfReady(delivered) { try deliver(output); delivered += 1 }
    }

    /// Delivers every remaining output, in order.
    func finish(deliver: (Output) throws(DataError) -> Void) throws(DataError) {
        guard let state else { return }
        while delivered < submitted { try deliver(state.take(delivered)); delivered += 1 }
    }
}

/// The queue and the finished outputs of an `OrderedPipeline`; every field is guarded by `condition`.
private final class PipelineState<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(sequence: Int, input: Input)] = []
    private var queueStart = 0
    private var done: [Int: Result<Output, DataError>] = [:]
    private var isShutDown = false

    func work(_ transform: @Sendable (Input) throws(DataError) -> Output) {
        condition.lock()
        while true {
            while queueStart == queue.count && !isShutDown { condition.wait() }
            if isShutDown { break }
            let (sequence, input) = queue[queueStart]
            queueStart += 1
            if queueStart == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueStart = 0
            }
            condition.unlock()
            let result: Result<Output, DataError>
            do throws(DataError) { result = .success(try transform(input)) } catch { result = .failure(error) }
            condition.lock()
            done[sequence] = result
            condition.broadcast()
        }
        condition.unlock()
    }

    func put(_ input: Input, sequence: Int) {
        condition.lock()
        queue.append((sequence, input))
        condition.signal()
        condition.unlock()
    }

    func take(_ sequence: Int) throws(DataError) -> Output {
        condition.lock()
        while done[sequence] == nil { condition.wait() }
        let result = done.removeValue(forKey: sequence)!
        condition.unlock()
        return try result.get()
    }

    func takeIfReady(_ sequence: Int) throws(DataError) -> Output? {
        condition.lock()
        let result = done.removeValue(forKey: sequence)
        condition.unlock()
        return try result?.get()
    }

    func shutDown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }
}

/// One background thread that handles inputs in the order they are sent, with at most `depth`
/// waiting; the first error stops it, and is thrown by the next `send` or by `finish`.
final class SerialWorker<Input: Sendable> {
    private let state: SerialWorkerState<Input>

    init(depth: Int, name: String, handle: @escaping @Sendable (Input) throws(DataError) -> Void) {
        state = SerialWorkerState(depth: max(1, depth))
        let state = self.state
        let thread = Thread { state.work(handle) }
        thread.name = name
        thread.start()
    }

    deinit { state.close() }

    /// Queues `input`, waiting while `depth` inputs wait already.
    func send(_ input: Input) throws(DataError) { try state.send(input) }

    /// Waits until every input sent is handled; throws the first error.
    func finish() throws(DataError) { try state.finish() }
}

/// The queue of a `SerialWorker`; every field is guarded by `condition`.
private final class SerialWorkerState<Input: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let depth: Int
    private var queue: [Input] = []
    private var isBusy = false
    private var isClosed = false
    private var failure: DataError?

    init(depth: Int) { self.depth = depth }

    func work(_ handle: @Sendable (Input) throws(DataError) -> Void) {
        condition.lock()
        while true {
            while queue.isEmpty && !isClosed { condition.wait() }
            if queue.isEmpty { break }
            let input = queue.removeFirst()
            isBusy = true
            condition.unlock()
            var error: DataError?
            do throws(DataError) { try handle(input) } catch let failed { error = failed }
            condition.lock()
            isBusy = false
            if let error, failure == nil {
                failure = error
                queue.removeAll()
            }
            condition.broadcast()
        }
        condition.unlock()
    }

    func send(_ input: Input) throws(DataError) {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(input)
        condition.broadcast()
    }

    func finish() throws(DataError) {
        condition.lock()
        defer { condition.unlock() }
        while (!queue.isEmpty || isBusy) && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    func close() {
        condition.lock()
        isClosed = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
