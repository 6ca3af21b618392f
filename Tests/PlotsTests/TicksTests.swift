import Plots
import XCTest

/// Tick steps, values and labels, derived by hand from the 1-2-5 rule.
final class TicksTests: XCTestCase {
    func testStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        XCTAssertEqual(NiceTicks.step(lower: 0, upper: 1, count: 5), 0.2)
        XCTAssertEqual(NiceTicks.step(lower: 1.53, upper: 4.2, count: 5), 0.5)
        XCTAssertEqual(NiceTicks.step(lower: 0, upper: 200_000, count: 5), 50_000)
        XCTAssertEqual(NiceTicks.step(lower: 0, upper: 60_000, count: 6), 10_000)
        XCTAssertEqual(NiceTicks.step(lower: 0, upper: 0.002, count: 4), 0.0005)
        XCTAssertEqual(NiceTicks.step(lower: -3, upper: 7, count: 5), 2)
        // A degenerate range has a step of 1 rather than 0 or NaN.
        XCTAssertEqual(NiceTicks.step(lower: 2, upper: 2, count: 5), 1)
        XCTAssertEqual(NiceTicks.step(lower: 0, upper: .nan, count: 5), 1)
    }

    func testLinearTicksAreExactMultiplesWithReadableLabels() {
        let unit = NiceTicks.linear(lower: 0, upper: 1, count: 5)
        XCTAssertEqual(unit.labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(unit.values[3], 3 * 0.2)

        let loss = NiceTicks.linear(lower: 1.53, upper: 4.2, count: 5)
        XCTAssertEqual(loss.labels, ["2.0", "2.5", "3.0", "3.5", "4.0"])

        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 200_000, count: 5).labels, ["0", "50k", "100k", "150k", "200k"])
        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 5_000, count: 5).labels, ["0", "1000", "2000", "3000", "4000", "5000"])
        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 3_000_000, count: 3).labels, ["0", "1M", "2M", "3M"])
        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 25_000, count: 5).labels, ["0", "5k", "10k", "15k", "20k", "25k"])
        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 0.002, count: 4).labels, ["0.0000", "0.0005", "0.0010", "0.0015", "0.0020"])
        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 3e-4, count: 3).labels, ["0.0000", "0.0001", "0.0002", "0.0003"])
        XCTAssertEqual(NiceTicks.linear(lower: 0, upper: 2e-5, count: 4).labels, ["0", "0.5e-5", "1.0e-5", "1.5e-5", "2.0e-5"])
        XCTAssertEqual(NiceTicks.linear(lower: 1e6, upper: 2.5e6, count: 3).labels, ["1.0M", "1.5M", "2.0M", "2.5M"])
        XCTAssertEqual(NiceTicks.linear(lower: -1, upper: 1, count: 4).labels, ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
    }

    func testWideningReachesTheNearestTicks() {
        let (lower, upper) = NiceTicks.widened(lower: 1.53, upper: 4.2, count: 5)
        XCTAssertEqual(lower, 1.5)
        XCTAssertEqual(upper, 4.5)
    }

    func testLogTicks() {
        // Five decades: powers of ten.
        let decades = NiceTicks.logarithmic(lower: 1e-3, upper: 100, count: 6)
        XCTAssertEqual(decades.labels, ["0.001", "0.01", "0.1", "1", "10", "100"])
        // Eight decades and room for four labels: every second power.
        XCTAssertEqual(NiceTicks.logarithmic(lower: 1e-6, upper: 1e2, count: 4).labels, ["1e-6", "1e-4", "1e-2", "1e0", "1e2"])
        // Between one and three decades: 1-2-5.
        XCTAssertEqual(NiceTicks.logarithmic(lower: 0.15, upper: 12, count: 6).labels, ["0.2", "0.5", "1", "2", "5", "10"])
        // Under a decade (a loss curve): the linear ticks of the range, placed on the log scale.
        XCTAssertEqual(NiceTicks.logarithmic(lower: 1.5, upper: 4.2, count: 5).labels, ["1.5", "2.0", "2.5", "3.0", "3.5", "4.0"])
    }

    func testDurationTicksUseClockSpacings() {
        XCTAssertEqual(NiceTicks.duration(lower: 0, upper: 50, count: 5).labels, ["0 s", "10 s", "20 s", "30 s", "40 s", "50 s"])
        XCTAssertEqual(NiceTicks.duration(lower: 0, upper: 600, count: 6).labels, ["0:00", "2:00", "4:00", "6:00", "8:00", "10:00"])
        XCTAssertEqual(NiceTicks.duration(lower: 0, upper: 10_000, count: 5).labels, ["0:00", "0:30", "1:00", "1:30", "2:00", "2:30"])
        XCTAssertEqual(NiceTicks.duration(lower: 0, upper: 1.2, count: 3).labels, ["0.0 s", "0.5 s", "1.0 s"])
    }

    func testAxisLayoutOfEmptySinglePointAndNaNData() {
        let empty = AxisLayout(values: [], kind: .linear, widensToTicks: true)
        XCTAssertFalse(empty.hasData)
        XCTAssertEqual(empty.lower, 0)
        XCTAssertEqual(empty.upper, 1)

        let single = AxisLayout(values: [2.3], kind: .linear, widensToTicks: true)
        XCTAssertTrue(single.hasData)
        XCTAssertLessThan(single.lower, 2.3)
        XCTAssertGreaterThan(single.upper, 2.3)
        XCTAssertFalse(single.ticks.values.isEmpty)

        // A diverged run: NaN and infinity are ignored, the finite values set the axis.
        let diverged = AxisLayout(values: [3.3, 2.9, .nan, .infinity, 2.5], kind: .linear, widensToTicks: true)
        XCTAssertEqual(diverged.lower, 2.5, accuracy: 1e-12)
        XCTAssertEqual(diverged.upper, 3.3, accuracy: 1e-12)

        // A log axis ignores zero and negatives, and pads around the data.
        let log = AxisLayout(values: [0, -1, 0.01, 10], kind: .log, widensToTicks: true)
        XCTAssertLessThan(log.lower, 0.01)
        XCTAssertGreaterThan(log.upper, 10)
        XCTAssertEqual(log.ticks.labels, ["0.01", "0.1", "1", "10"])
        XCTAssertFalse(AxisLayout(values: [0, -2], kind: .log, widensToTicks: true).hasData)

        let rate = AxisLayout(values: [0.001, 0.002], kind: .linear, widensToTicks: true, includesZero: true)
        XCTAssertEqual(rate.lower, 0)
    }

    func testScalesPlaceValuesAndRefuseWhatTheyCannot() {
        let linear = Scale(kind: .linear, lower: 0, upper: 10, start: 100, end: 0)
        XCTAssertEqual(linear.position(0), 100)
        XCTAssertEqual(linear.position(2.5), 75)
        XCTAssertNil(linear.position(.nan))
        XCTAssertNil(linear.position(-.infinity))

        let log = Scale(kind: .log, lower: 1, upper: 100, start: 0, end: 200)
        XCTAssertEqual(log.position(10)!, 100, accuracy: 1e-12)
        XCTAssertEqual(log.position(100)!, 200, accuracy: 1e-12)
        XCTAssertNil(log.position(0))
        XCTAssertNil(log.position(-5))
    }
}
