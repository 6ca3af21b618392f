// Reads the next shard on a background thread while the current one is being consumed.
//
// One worker thread and one slot: the caller asks for a shard (`prefetch`), the worker reads,
// decompresses and verifies it, and `take` hands the result over, waiting only if the worker has
// not finished. A failed read is handed over as its error, naming the shard, when that shard is
// taken; nothing unverified is ever returned. Only timing depends on the thread: the tokens of a
// shard are the same whoever reads them, so training bits do not.
//
// Deliberately not handled: more than one shard ahead (one is enough when a shard takes longer to
// train on than to read, by orders of magnitude here) and cancelling a read in flight (a read
// that is no longer wanted finishes and is dropped).

import Core
import Foundation

final class ShardPrefetcher {
    private let state: PrefetchState

    init(loader: ShardHistoryLoader) {
        state = PrefetchState(loader: loader)
        let state = self.state
        let thread = Thread { state.work() }
        thread.name = "descent shard prefetch"
        thread.start()
    }

    deinit { state.shutDown() }

    /// Starts reading shard `index` unless it is being read or is ready. A read of another shard
    /// in flight is left to finish; then `take` reads what it needs.
    func prefetch(_ index: Int) { state.prefetch(index) }

    /// [history | tokens] of shard `index`, and the seconds spent waiting for it.
    func take(_ index: Int) throws(DataError) -> (tokens: [Int32], waited: Double) {
        try state.take(index)
    }
}

/// The slot shared by the caller and the worker; every field is guarded by `condition`.
private final class PrefetchState: @unchecked Sendable {
    private let condition = NSCondition()
    private let loader: ShardHistoryLoader
    /// The shard the worker is asked to read (or is reading).
    private var requested: Int?
    /// The worker's last result, with its shard.
    private var ready: (index: Int, result: Result<[Int32], DataError>)?
    private var isShutDown = false

    init(loader: ShardHistoryLoader) { self.loader = loader }

    func work() {
        condition.lock()
        while true {
            while requested == nil && !isShutDown { condition.wait() }
            if isShutDown { break }
            guard let index = requested else { continue }
            condition.unlock()
            let result: Result<[Int32], DataError>
            do { result = .success(try loader.load(index)) } catch { result = .failure(error) }
            condition.lock()
            ready = (index, result)
            requested = nil
            condition.broadcast()
        }
        condition.unlock()
    }

    func prefetch(_ index: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard requested == nil, ready?.index != index else { return }
        ready = nil
        requested = index
        condition.broadcast()
    }

    func take(_ index: Int) throws(DataError) -> (tokens: [Int32], waited: Double) {
        condition.lock()
        var started: Double?
        while true {
            if let done = ready, done.index == index {
                ready = nil
                condition.unlock()
                let waited = started.map { MonotonicClock.seconds() - $0 } ?? 0
                switch done.result {
                case .success(let tokens): return (tokens, waited)
                case .failure(let error): throw error
                }
            }
            if started == nil { started = MonotonicClock.seconds() }
            if requested == nil {
                // Not asked for (a first load, a jump on resume), or another shard was read.
                ready = nil
                requested = index
                condition.broadcast()
            }
            condition.wait()
        }
    }

    func shutDown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }
}
