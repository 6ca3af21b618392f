// Where the trainer's records go. The CLI backs it with the SQLite store; tests keep records in
// memory. The trainer decides when to write, the recorder how.

import RunRecords

public protocol TrainingRecorder: AnyObject {
    /// Stores metric samples and the run's current step, in one transaction.
    func record(metrics: [MetricSample], step: Int) throws
    /// Stores a checkpoint together with the metrics not yet recorded, in one transaction, then
    /// keeps only the newest `keepLatest` checkpoints (and the best by validation loss).
    func saveCheckpoint(_ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample], keepLatest: Int) throws
    /// Stores text generated during training (`training.sampleInterval`).
    func record(samples: [TextSample]) throws
}
