import XCTest
@testable import Data

final class ContextWindowTests: XCTestCase {
    // stream [B e m m a B o l] with B = 0, e = 5, m = 13, a = 1, o = 15, l = 12.
    let stream: [Int32] = [0, 5, 13, 13, 1, 0, 15, 12]

    func testWorkedExampleFromTheDesign() {
        func context(_ p: Int) -> [Int32] {
            ContextWindow.context(in: stream, position: p, contextLength: 3, boundaryToken: 0)
        }
        XCTAssertEqual(context(1), [0, 0, 0])      // → e
        XCTAssertEqual(context(2), [0, 0, 5])      // → m
        XCTAssertEqual(context(4), [5, 13, 13])    // → a
        XCTAssertEqual(context(5), [13, 13, 1])    // → B (end of document)
        XCTAssertEqual(context(6), [0, 0, 0])      // → o: cut at the boundary, nothing of "emma" leaks
        XCTAssertEqual(context(7), [0, 0, 15])     // → l
        XCTAssertEqual(context(8), [0, 15, 12])    // the context after the stream, for sampling
        XCTAssertEqual(context(0), [0, 0, 0])
    }

    func testExamplesCoverEveryPositionAfterTheFirst() {
        let (contexts, targets) = ContextWindow.examples(stream: stream, contextLength: 3, boundaryToken: 0)
        XCTAssertEqual(targets, Array(stream[1...]))
        XCTAssertEqual(contexts.count, 7 * 3)
        XCTAssertEqual(Array(contexts[(4 * 3)..<(5 * 3)]), [13, 13, 1])
        // The bigram sees makemore's pairs: (previous token, next token).
        let (bigram, next) = ContextWindow.examples(stream: stream, contextLength: 1, boundaryToken: 0)
        XCTAssertEqual(bigram, Array(stream.dropLast()))
        XCTAssertEqual(next, Array(stream.dropFirst()))
        XCTAssertTrue(ContextWindow.examples(stream: [0], contextLength: 4, boundaryToken: 0).targets.isEmpty)
    }

    func testLongContextsArePaddedAndCut() {
        // Long context, boundary deep inside: everything before the last boundary is padding.
        let long: [Int32] = [7, 7, 0, 1, 2, 0, 3, 4, 5]
        XCTAssertEqual(ContextWindow.context(in: long, position: 9, contextLength: 6, boundaryToken: 0), [0, 0, 0, 3, 4, 5])
        XCTAssertEqual(ContextWindow.context(in: long, position: 5, contextLength: 8, boundaryToken: 0), [0, 0, 0, 0, 0, 0, 1, 2])
        // No boundary in the window: the oldest tokens stay.
        XCTAssertEqual(ContextWindow.context(in: long, position: 9, contextLength: 2, boundaryToken: 0), [4, 5])
        // Before the stream counts as boundary, and a stream need not start with one.
        XCTAssertEqual(ContextWindow.context(in: long, position: 2, contextLength: 4, boundaryToken: 0), [0, 0, 7, 7])
        var buffer = [Int32](repeating: -1, count: 10)
        ContextWindow.fill(&buffer, at: 3, stream: long, position: 9, contextLength: 4, boundaryToken: 0)
        XCTAssertEqual(buffer, [-1, -1, -1, 0, 3, 4, 5, -1, -1, -1])
    }
}
