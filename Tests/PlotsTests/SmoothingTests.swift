import Core
import Plots
import XCTest

final class SmoothingTests: XCTestCase {
    /// The worked example of Smoothing.swift's header, by hand: weight 0.5 over [4, 2, 2] is
    /// 4, (0.5·2 + 0.5·2)/(1 − 0.25) = 8/3, (0.5·2 + 0.5·2)/(1 − 0.125) = 16/7.
    func testBiasCorrectedAverage() {
        let smoothed = Smoothing.ema([4, 2, 2], weight: 0.5)
        XCTAssertEqual(smoothed[0], 4, accuracy: 1e-12)
        XCTAssertEqual(smoothed[1], 8.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(smoothed[2], 16.0 / 7, accuracy: 1e-12)
    }

    func testConstantSeriesStaysConstantAndWeightZeroIsTheIdentity() {
        for value in Smoothing.ema([Double](repeating: 2.5, count: 100), weight: 0.99) {
            XCTAssertEqual(value, 2.5, accuracy: 1e-9)
        }
        XCTAssertEqual(Smoothing.ema([3, 1, 4, 1, 5], weight: 0), [3, 1, 4, 1, 5])
    }

    func testNonFiniteValuesAreSkippedAndLeaveGaps() {
        let smoothed = Smoothing.ema([.nan, 2, .infinity, 2, .nan], weight: 0.9)
        XCTAssert(smoothed[0].isNaN)
        XCTAssertEqual(smoothed[1], 2, accuracy: 1e-12)
        XCTAssert(smoothed[2].isNaN)
        // The infinity did not enter the average.
        XCTAssertEqual(smoothed[3], 2, accuracy: 1e-12)
        XCTAssert(smoothed[4].isNaN)
        XCTAssertEqual(Smoothing.ema([], weight: 0.9), [])

        var average = ExponentialMovingAverage(window: 10)
        XCTAssertNil(average.value)
        XCTAssertNil(average.add(.nan))
        XCTAssertEqual(average.add(7), 7)
        XCTAssertEqual(average.weight, 0.9, accuracy: 1e-12)
    }

    func testAutomaticWeightAveragesTwoPercentOfThePoints() {
        XCTAssertEqual(Smoothing.automaticWeight(count: 40), 0)
        XCTAssertEqual(Smoothing.automaticWeight(count: 400), 1 - 1.0 / 8, accuracy: 1e-12)
        XCTAssertEqual(Smoothing.automaticWeight(count: 60_000), 1 - 1.0 / 1200, accuracy: 1e-12)
    }

    func testEnvelopeKeepsExtremesInOrder() {
        // 1000 points of a sawtooth with one spike, into 10 buckets: at most 20 points, the spike kept.
        var points = (0..<1000).map { ChartPoint(x: Double($0), y: Double($0 % 7)) }
        points[555].y = 100
        let reduced = Downsample.envelope(points, buckets: 10)
        XCTAssertLessThanOrEqual(reduced.count, 20)
        XCTAssert(reduced.contains(points[555]))
        XCTAssertEqual(reduced.map(\.x), reduced.map(\.x).sorted())
        XCTAssertEqual(reduced.map(\.y).min(), 0)

        // Short series and gaps pass through.
        let short = [ChartPoint(x: 0, y: 1), ChartPoint(x: 1, y: .nan), ChartPoint(x: 2, y: 3)]
        XCTAssertEqual(Downsample.envelope(short, buckets: 10).count, 3)
        var gappy = (0..<100).map { ChartPoint(x: Double($0), y: 1) }
        gappy[99].y = .nan
        XCTAssert(Downsample.envelope(gappy, buckets: 5).last!.y.isNaN)
        XCTAssertEqual(Downsample.envelope([], buckets: 5), [])
    }
}
