import XCTest
@testable import Tokenizers

final class BinaryHeapTests: XCTestCase {
    func testPopsInSortedOrderWithInterleavedPushes() {
        var generator = SystemRandomNumberGenerator()
        var heap = BinaryHeap<UInt64>()
        var reference: [UInt64] = []
        var popped: [UInt64] = []
        var expected: [UInt64] = []
        for round in 0..<2_000 {
            let value = UInt64.random(in: 0..<500, using: &generator)
            heap.push(value)
            reference.append(value)
            if round % 3 == 0 {
                reference.sort()
                expected.append(reference.removeFirst())
                popped.append(heap.pop()!)
            }
        }
        while let value = heap.pop() { popped.append(value) }
        XCTAssertEqual(popped, expected + reference.sorted())
        XCTAssertTrue(heap.isEmpty)
        XCTAssertNil(heap.pop())
    }

    func testPairCountsPopHighestCountThenSmallestPair() {
        var heap = BinaryHeap<PairCount>()
        for (count, pair) in [(3, 9), (5, 7), (5, 2), (1, 1), (5, 4), (3, 1)] as [(Int, UInt64)] {
            heap.push(PairCount(count: count, pair: pair))
        }
        var order: [String] = []
        while let top = heap.pop() { order.append("\(top.count):\(top.pair)") }
        XCTAssertEqual(order, ["5:2", "5:4", "5:7", "3:1", "3:9", "1:1"])
    }
}
