import Core
import Data
import Foundation
import Kernels
import Optimizers
import XCTest
@testable import Training

final class LearningRateFinderTests: XCTestCase {
    func probes(_ losses: [Double], rates: [Double]? = nil) -> [LearningRateProbe] {
        losses.enumerated().map { index, loss in
            LearningRateProbe(step: index, learningRate: rates?[index] ?? pow(10, Double(index) - 5), loss: loss, smoothedLoss: loss)
        }
    }

    /// fastai: lr(s) = start · (end/start)^(s/steps); step 0 at start, the last one ratio short.
    func testRangeScheduleAtItsBoundaries() {
        let schedule = ExponentialRangeSchedule(start: 1e-4, end: 1, steps: 4)
        XCTAssertEqual(schedule.learningRate(at: 0), 1e-4)
        XCTAssertEqual(schedule.learningRate(at: 1), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(at: 3), 1e-1, accuracy: 1e-14)
        XCTAssertEqual(schedule.learningRate(at: 4), 1)
        XCTAssertEqual(schedule.learningRate(at: 9), 1)
    }

    /// Hand-derived: [5, 4, 3, 2, 1, 2] has lds [1, 2, 3, 4, 5, 4], end 4, start −1, s = 5/3,
    /// index −1 + 1 + 0 = 0. A longer fall: 9 falling values then a rise give end 8, start −1,
    /// s = 3, index −1 + 3 + 1 = 3.
    func testValleyMatchesFastaiOnHandComputedCases() {
        XCTAssertEqual(LearningRateFinder.valleyIndex([5, 4, 3, 2, 1, 2]), 0)
        XCTAssertEqual(LearningRateFinder.valleyIndex([9, 8, 7, 6, 5, 4, 3, 2, 1, 5, 9]), 3)
        // A bump inside the fall does not break the longest decreasing subsequence: [6, 5, 7, 4,
        // 3, 2, 8] gives lds [1, 2, 1, 3, 4, 5, 1], end 5, start 0, s = 5/3, index 0 + 1 + 0 = 1.
        XCTAssertEqual(LearningRateFinder.valleyIndex([6, 5, 7, 4, 3, 2, 8]), 1)
    }

    /// The steepest fall per decade: with rates a decade apart, the largest drop.
    func testSteepIsTheLargestDropPerDecade() {
        XCTAssertEqual(LearningRateFinder.steepIndex(rates: [1e-3, 1e-2, 1e-1, 1], losses: [3, 2.9, 2.0, 2.5]), 1)
        // Uneven spacing: a drop of 0.2 over a tenth of a decade beats 0.5 over a whole one.
        XCTAssertEqual(LearningRateFinder.steepIndex(rates: [1, 10, 10 * pow(10, 0.1)], losses: [3, 2.5, 2.3]), 1)
    }

    /// Suggestions read probes[steps/10 ..< count − 5]; minimum is a tenth of the lowest point.
    func testSuggestionsTrimTheEndsAndDivideTheMinimum() throws {
        let losses: [Double] = [0.1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0.05, 0.01, 0.02, 0.03, 0.04]
        let suggestions = LearningRateFinder.suggestions(probes(losses), plannedSteps: 10)
        // Window: indices 1..<10, losses 9 … 1 (the 0.1 at index 0 and the last five are out).
        let minimum = try XCTUnwrap(suggestions.first { $0.rule == .minimum })
        XCTAssertEqual(minimum.markedLoss, 1)
        XCTAssertEqual(minimum.markedLearningRate, pow(10, 9 - 5))
        XCTAssertEqual(minimum.learningRate, pow(10, 9 - 5) / 10, accuracy: 1e-9)
        let valley = try XCTUnwrap(suggestions.first { $0.rule == .valley })
        // Window losses 9 … 1: lds ends at 8 with length 9, start −1, s = 3, index 3 → probe 4.
        XCTAssertEqual(valley.learningRate, pow(10, 4 - 5), accuracy: 1e-15)
        XCTAssertTrue(LearningRateFinder.suggestions(probes([3, 2, 1, 1, 1, 1]), plannedSteps: 10).isEmpty)
    }

    /// On a real dataset the test runs the config's optimizer from fresh weights and ends, by
    /// its own rule, at a loss far above its best, with the same bits on 1 and 2 threads.
    func testRangeTestDivergesAndIsDeterministic() throws {
        let directory = Fixtures.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            Parallel.threadCount = ProcessInfo.processInfo.activeProcessorCount
        }
        let dataset = try Fixtures.namesDataset(in: directory)
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP)
        var options = LearningRateFinderOptions()
        options.start = 1e-4
        options.end = 1e4
        options.steps = 60
        var results: [LearningRateFinderResult] = []
        for threads in [1, 2] {
            Parallel.threadCount = threads
            results.append(try LearningRateFinder.run(config: config, dataset: dataset, options: options))
        }
        XCTAssertEqual(results[0], results[1])
        let result = results[0]
        switch result.stop {
        case .diverged, .nonFinite: break
        default: XCTFail("expected the range test to end by diverging, got \(result.stop)")
        }
        XCTAssertLessThan(result.probes.count, 60)
        XCTAssertEqual(result.probes.first?.learningRate, 1e-4)
        XCTAssertEqual(result.suggestions.map(\.rule), [.valley, .steep, .minimum])
        for suggestion in result.suggestions {
            XCTAssert((1e-4...1e4).contains(suggestion.learningRate), "\(suggestion)")
        }
    }
}
