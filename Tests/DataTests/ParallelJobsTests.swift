import Foundation
import XCTest
@testable import Data

final class ParallelJobsTests: XCTestCase {
    func testMapKeepsJobOrderForAnyThreadCount() throws {
        for threads in [1, 2, 3, 8] {
            var finished: [Int] = []
            let results = try ParallelJobs.map(count: 50, threads: threads, job: { (index) throws(DataError) in
                // Uneven job lengths, so that completion order differs from job order.
                if index % 7 == 0 { usleep(2_000) }
                return index * index
            }, finished: { finished.append($0) })
            XCTAssertEqual(results, (0..<50).map { $0 * $0 }, "\(threads) threads")
            XCTAssertEqual(finished.sorted(), Array(0..<50), "every job reported once")
        }
        XCTAssertEqual(try ParallelJobs.map(count: 0, threads: 2, job: { (index) throws(DataError) in index }), [])
    }

    func testMapThrowsTheLowestFailingJobsError() {
        for threads in [1, 2, 4] {
            do {
                _ = try ParallelJobs.map(count: 40, threads: threads, job: { (index) throws(DataError) -> Int in
                    if index == 31 { throw .fileNotFound(path: "31") }
                    if index == 9 {
                        usleep(5_000)
                        throw .fileNotFound(path: "9")
                    }
                    return index
                })
                XCTFail("no error")
            } catch {
                XCTAssertEqual(error, .fileNotFound(path: "9"), "\(threads) threads")
            }
        }
    }

    func testPipelineDeliversInSubmissionOrderWithBoundedDepth() throws {
        for threads in [1, 2, 4] {
            let pipeline = OrderedPipeline<Int, Int>(threads: threads, depth: 2 * threads) { (value) throws(DataError) in
                if value % 5 == 0 { usleep(1_000) }
                return value + 1_000
            }
            var delivered: [Int] = []
            var maximumInFlight = 0
            for value in 0..<200 {
                try pipeline.submit(value) { (output) throws(DataError) in delivered.append(output) }
                maximumInFlight = max(maximumInFlight, value + 1 - delivered.count)
            }
            try pipeline.finish { (output) throws(DataError) in delivered.append(output) }
            XCTAssertEqual(delivered, (0..<200).map { $0 + 1_000 }, "\(threads) threads")
            XCTAssertLessThanOrEqual(maximumInFlight, 2 * threads)
        }
    }

    func testPipelineErrorSurfacesAtItsTurn() {
        let pipeline = OrderedPipeline<Int, Int>(threads: 2, depth: 4) { (value) throws(DataError) in
            if value == 6 { throw .inputChanged(path: "six") }
            return value
        }
        var delivered: [Int] = []
        do {
            for value in 0..<20 { try pipeline.submit(value) { (output) throws(DataError) in delivered.append(output) } }
            try pipeline.finish { (output) throws(DataError) in delivered.append(output) }
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error, .inputChanged(path: "six"))
            XCTAssertEqual(delivered, Array(0..<6), "everything before the failing input, nothing after")
        }
    }

    func testSerialWorkerHandlesInOrderAndReportsTheFirstError() {
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var values: [Int] = []
        }
        let log = Log()
        let worker = SerialWorker<Int>(depth: 2, name: "test") { (value) throws(DataError) in
            if value == 30 { throw .inputChanged(path: "thirty") }
            log.lock.withLock { log.values.append(value) }
        }
        do {
            for value in 0..<20 { try worker.send(value) }
            try worker.finish()
        } catch {
            XCTFail("\(error)")
        }
        XCTAssertEqual(log.lock.withLock { log.values }, Array(0..<20))
        do {
            for value in 20..<100 { try worker.send(value) }
            try worker.finish()
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error, .inputChanged(path: "thirty"))
        }
        XCTAssertEqual(log.lock.withLock { log.values }, Array(0..<30), "nothing after the failing input")
    }
}
