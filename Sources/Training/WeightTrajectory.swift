// The path a run takes through weight space: `training.trajectoryPoints` snapshots of the
// weights, evenly spaced from step 0 to `training.maxSteps`, for `descent landscape --path`.
//
// Snapshots are stored as IEEE float16 (2 bytes per value, ~3 significant digits: plenty for a
// direction in a plot, half of float32's size) in the `trajectory` part of every checkpoint, so
// a resumed run keeps the snapshots it took before and the store needs no table of its own. The
// cost is bounded: at most N · P · 2 bytes per checkpoint (N snapshots, P values of the padded
// parameter buffer), and a run keeps at most `keepCheckpoints` + 1 checkpoints.
//
//   trajectory  magic "DTRJ", version 1, UInt64 value count P, UInt64 snapshot count n, then
//               n times: UInt64 step, P float16 values (little-endian)
//
// The planned steps follow the run's current maxSteps: a resume that raises it spaces the later
// snapshots over the longer run and keeps the earlier ones. Not handled: big-endian hosts.

import Core
import Kernels

public struct WeightTrajectory: Sendable, Equatable {
    public struct Snapshot: Sendable, Equatable {
        /// Steps completed when it was taken (0: the initial weights).
        public var step: Int
        /// The flat parameter buffer, padding included, as float16 bit patterns.
        public var halfBits: [UInt16]

        public init(step: Int, halfBits: [UInt16]) {
            self.step = step
            self.halfBits = halfBits
        }

        /// The values as Float.
        public var values: [Float] { halfBits.map { Float(Float16(bitPattern: $0)) } }
    }

    /// Values per snapshot (the parameter buffer's count).
    public let valueCount: Int
    public private(set) var snapshots: [Snapshot]

    public init(valueCount: Int, snapshots: [Snapshot] = []) {
        self.valueCount = valueCount
        self.snapshots = snapshots
    }

    /// The steps at which a run of `maxSteps` takes its `points` snapshots:
    /// round(k · maxSteps / (points − 1)) for k = 0 … points − 1 (one point: the last step).
    /// `(5, 100)` → 0, 25, 50, 75, 100.
    public static func plannedSteps(points: Int, maxSteps: Int) -> [Int] {
        guard points > 0 else { return [] }
        guard points > 1 else { return [maxSteps] }
        var steps: [Int] = []
        for k in 0..<points {
            let step = Int((Double(k) * Double(maxSteps) / Double(points - 1)).rounded())
            if steps.last != step { steps.append(step) }
        }
        return steps
    }

    /// Adds a snapshot of `parameters` taken at `step` (replacing one already at that step).
    public mutating func record(_ parameters: FloatBuffer, step: Int) {
        precondition(parameters.count == valueCount, "WeightTrajectory: \(parameters.count) values, expected \(valueCount)")
        let bits = parameters.toArray().map { Float16($0).bitPattern }
        snapshots.removeAll { $0.step == step }
        snapshots.append(Snapshot(step: step, halfBits: bits))
    }

    static let magic: UInt32 = 0x4A52_5444  // "DTRJ" little-endian
    static let version: UInt32 = 1

    /// Bytes of the encoded trajectory: its size in every checkpoint.
    public var encodedByteCount: Int { 24 + snapshots.count * (8 + 2 * valueCount) }

    public func blob() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: encodedByteCount)
        writer.writeHeader(magic: Self.magic, version: Self.version)
        writer.write(UInt64(valueCount))
        writer.write(UInt64(snapshots.count))
        for snapshot in snapshots {
            writer.write(UInt64(snapshot.step))
            snapshot.halfBits.withUnsafeBytes { writer.write(bytes: $0) }
        }
        return writer.bytes
    }

    public init(blob: [UInt8]) throws(BinaryCodecError) {
        var reader = BinaryReader(blob, name: "trajectory")
        try reader.readMagic(Self.magic)
        try reader.readVersion(Self.version)
        let countOffset = reader.offset
        let count = try reader.readCount64("value count")
        guard count <= blob.count else {
            throw reader.invalid("value count", at: countOffset, value: count, expected: "at most the blob's \(blob.count) bytes")
        }
        let snapshotCount = try reader.readCount64("snapshot count")
        var snapshots: [Snapshot] = []
        for _ in 0..<snapshotCount {
            let step = try reader.readCount64("snapshot step")
            let bytes = try reader.readBytes(count: 2 * count)
            let bits = bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) } }
            snapshots.append(Snapshot(step: step, halfBits: bits))
        }
        try reader.expectEnd()
        self.init(valueCount: count, snapshots: snapshots)
    }
}
