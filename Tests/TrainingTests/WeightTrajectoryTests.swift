import Core
import Data
import Foundation
import Kernels
import XCTest
@testable import Training

final class WeightTrajectoryTests: NamesDatasetTestCase {
    func testPlannedStepsAreEvenlySpacedAndIncludeBothEnds() {
        XCTAssertEqual(WeightTrajectory.plannedSteps(points: 5, maxSteps: 100), [0, 25, 50, 75, 100])
        XCTAssertEqual(WeightTrajectory.plannedSteps(points: 4, maxSteps: 10), [0, 3, 7, 10])
        XCTAssertEqual(WeightTrajectory.plannedSteps(points: 1, maxSteps: 10), [10])
        XCTAssertEqual(WeightTrajectory.plannedSteps(points: 0, maxSteps: 10), [])
        // More points than steps: each step once.
        XCTAssertEqual(WeightTrajectory.plannedSteps(points: 9, maxSteps: 3), [0, 1, 2, 3])
    }

    func testBlobRoundTripsAndHasTheDocumentedSize() throws {
        var trajectory = WeightTrajectory(valueCount: 3)
        trajectory.record(FloatBuffer([1, -2.5, 0.1]), step: 0)
        trajectory.record(FloatBuffer([65504, 1e-8, 3]), step: 7)
        let blob = trajectory.blob()
        XCTAssertEqual(blob.count, 24 + 2 * (8 + 2 * 3))
        XCTAssertEqual(blob.count, trajectory.encodedByteCount)
        let decoded = try WeightTrajectory(blob: blob)
        XCTAssertEqual(decoded, trajectory)
        XCTAssertEqual(decoded.snapshots[0].values, [1, -2.5, Float(Float16(0.1))])
        XCTAssertEqual(decoded.snapshots[1].step, 7)
        XCTAssertThrowsError(try WeightTrajectory(blob: Array(blob.dropLast())))
        var huge = blob
        huge.replaceSubrange(8..<16, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        XCTAssertThrowsError(try WeightTrajectory(blob: huge))
    }

    /// A run with trajectoryPoints = 5 keeps snapshots at steps 0, 5, 10, 15 and 20, in its
    /// checkpoints; one stopped at 12 and resumed ends with the same snapshots, bit for bit.
    func testRunKeepsSnapshotsAcrossResume() throws {
        let overrides = Fixtures.smallMLP + ["training.maxSteps=20", "training.trajectoryPoints=5"]
        let config = try Fixtures.config(dataset.directory, overrides)
        let straight = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        let straightRecords = MemoryRecorder()
        _ = try straight.run(recorder: straightRecords)
        let kept = try XCTUnwrap(try straightRecords.latest().trajectory)
        XCTAssertEqual(kept.snapshots.map(\.step), [0, 5, 10, 15, 20])
        XCTAssertEqual(kept.snapshots.last?.values, straight.model.parameters.toArray().map { Float(Float16($0)) })

        let paused = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        let pausedRecords = MemoryRecorder()
        _ = try paused.run(recorder: pausedRecords, stopAt: 12)
        let checkpoint = try pausedRecords.latest()
        XCTAssertEqual(checkpoint.trajectory?.snapshots.map(\.step), [0, 5, 10])
        let resumed = try Trainer(config: config, dataset: dataset, start: .resume(checkpoint), schedule: config.learningRateSchedule)
        let resumedRecords = MemoryRecorder()
        _ = try resumed.run(recorder: resumedRecords)
        XCTAssertEqual(try resumedRecords.latest().trajectory, kept)

        let off = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=20"])
        let plain = try Trainer(config: off, dataset: dataset, start: .fresh, schedule: off.learningRateSchedule)
        let plainRecords = MemoryRecorder()
        _ = try plain.run(recorder: plainRecords)
        XCTAssertNil(try plainRecords.latest().trajectory)
        XCTAssertFalse(plainRecords.checkpoints.last!.blobs.contains { $0.name == CheckpointPart.trajectory.rawValue })
    }
}
