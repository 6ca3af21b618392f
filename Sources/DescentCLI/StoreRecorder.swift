// The bridge from the trainer's records to the SQLite store.

import RunRecords
import Store
import Training

final class StoreRecorder: TrainingRecorder {
    let store: RunStore
    let runID: Int64

    init(store: RunStore, runID: Int64) {
        self.store = store
        self.runID = runID
    }

    func record(metrics: [MetricSample], step: Int) throws {
        try store.appendMetrics(runID: runID, metrics, runStep: step)
    }

    func saveCheckpoint(_ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample], keepLatest: Int) throws {
        try store.saveCheckpoint(runID: runID, checkpoint, pendingMetrics: pendingMetrics, keepLatest: keepLatest)
    }

    func record(samples: [TextSample]) throws {
        try store.appendSamples(runID: runID, samples)
    }
}
