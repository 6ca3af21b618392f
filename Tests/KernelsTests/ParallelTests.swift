import XCTest
@testable import Kernels

final class ParallelTests: XCTestCase {
    func testDefaultsToOnlineCores() {
        XCTAssertGreaterThanOrEqual(Parallel.onlineCoreCount, 1)
    }

    /// Every task runs exactly once, for many jobs in a row and several thread counts.
    func testEveryTaskRunsExactlyOnce() {
        for threads in [1, 2, 3] {
            withThreads(threads) {
                for taskCount in [0, 1, 2, 5, 64, 1000, WorkerPool.maximumTaskCount + 5] {
                    var counts = [Int32](repeating: 0, count: max(taskCount, 1))
                    counts.withUnsafeMutableBufferPointer { buffer in
                        Parallel.run(taskCount: taskCount, context: UnsafeMutableRawPointer(buffer.baseAddress!)) { context, task in
                            // Each task owns its slot, so plain writes suffice.
                            context.assumingMemoryBound(to: Int32.self)[task] += 1
                        }
                    }
                    XCTAssertEqual(counts.prefix(taskCount).filter { $0 != 1 }.count, 0, "threads \(threads), tasks \(taskCount)")
                }
            }
        }
    }

    /// A task that calls `run` again runs the inner tasks inline instead of deadlocking.
    func testNestedRunCompletes() {
        withThreads(2) {
            var counts = [Int32](repeating: 0, count: 16)
            counts.withUnsafeMutableBufferPointer { buffer in
                Parallel.run(taskCount: 4, context: UnsafeMutableRawPointer(buffer.baseAddress!)) { context, outer in
                    let slots = context.assumingMemoryBound(to: Int32.self) + outer * 4
                    Parallel.run(taskCount: 4, context: UnsafeMutableRawPointer(slots)) { inner, task in
                        inner.assumingMemoryBound(to: Int32.self)[task] += 1
                    }
                }
            }
            XCTAssertEqual(counts, [Int32](repeating: 1, count: 16))
        }
    }

    func testForEachRangeCoversEveryIndexOnce() {
        for threads in [1, 2, 3] {
            withThreads(threads) {
                for (count, grain) in [(0, 1), (1, 1), (17, 1), (1000, 10), (100_000, 1000)] {
                    var counts = [Int32](repeating: 0, count: max(count, 1))
                    counts.withUnsafeMutableBufferPointer { buffer in
                        Parallel.forEachRange(count: count, grain: grain, context: UnsafeMutableRawPointer(buffer.baseAddress!)) { context, start, end in
                            let slots = context.assumingMemoryBound(to: Int32.self)
                            for i in start..<end { slots[i] += 1 }
                        }
                    }
                    XCTAssertEqual(counts.prefix(count).filter { $0 != 1 }.count, 0, "threads \(threads), count \(count)")
                }
            }
        }
    }
}
