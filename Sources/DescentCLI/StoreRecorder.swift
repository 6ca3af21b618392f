// The bridge from the trainer's records to the SQLite store.

import Store
import Training

final class StoreRecorder: TrainingRecorder {
    let store: RunStore
    let runID: Int64

    init(store: RunStore, runID: Int64) {
        self.store = store
        self.runID = runID
    }

    static func rows(_ metrics: [MetricSample]) -> [MetricRow] {
        metrics.map { MetricRow(step: $0.step, name: $0.name, value: $0.value) }
    }

    func record(metrics: [MetricSample], step: Int) throws {
        try store.appendMetrics(runID: runID, Self.rows(metrics), runStep: step)
    }

    func saveCheckpoint(_ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample], keepLatest: Int) throws {
        try store.saveCheckpoint(runID: runID,
                                 NewCheckpoint(step: checkpoint.step, trainLoss: checkpoint.trainLoss, valLoss: checkpoint.valLoss,
                                               weightsSHA256: checkpoint.weightsSHA256, reason: checkpoint.reason.rawValue,
                                               blobs: checkpoint.blobs),
                                 pendingMetrics: Self.rows(pendingMetrics), keepLatest: keepLatest)
    }
}
