// Seeded damage to binary blobs, for fault-injection tests of every reader: the four kinds of
// corruption a stored blob meets (a flipped bit, a truncation, trailing garbage, and a count field
// overwritten with a huge or overflowing value). Deterministic for a given generator state, so a
// failing trial can be replayed.

public enum BlobDamage {
    /// Applies one randomly chosen kind of damage to `blob` (at least 8 bytes long).
    public static func apply(to blob: inout [UInt8], using generator: inout Xoshiro256) {
        precondition(blob.count >= 8, "BlobDamage.apply: a blob of \(blob.count) bytes is too short to damage")
        switch generator.nextInt(below: 4) {
        case 0:
            blob[generator.nextInt(below: blob.count)] ^= UInt8(1 << generator.nextInt(below: 8))
        case 1:
            blob.removeLast(generator.nextInt(below: blob.count + 1))
        case 2:
            blob += [UInt8(truncatingIfNeeded: generator.next())]
        default:
            // Values that overflow a size computation or an Int.
            let at = generator.nextInt(below: blob.count - 7)
            let value = [UInt64.max, UInt64(Int.max), 1 << 62][generator.nextInt(below: 3)]
            withUnsafeBytes(of: value.littleEndian) { blob.replaceSubrange(at..<(at + 8), with: $0) }
        }
    }
}
