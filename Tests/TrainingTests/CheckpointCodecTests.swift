import Core
import Kernels
import XCTest
@testable import Training

final class CheckpointCodecTests: XCTestCase {
    func failure(_ blob: [UInt8], into parameters: FloatBuffer) -> CheckpointError? {
        do { try CheckpointCodec.loadWeights(blob, into: parameters) } catch { return error }
        return nil
    }

    /// "DWTS", version 1, UInt64 count, then the floats: 1 is 0x3F800000, −2 is 0xC0000000.
    func testWeightsBlobLayout() throws {
        let blob = CheckpointCodec.weightsBlob(FloatBuffer([1, -2]))
        XCTAssertEqual(blob, Array("DWTS".utf8) + [1, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0x80, 0x3F] + [0, 0, 0, 0xC0])
        let parameters = FloatBuffer(count: 2)
        try CheckpointCodec.loadWeights(blob, into: parameters)
        XCTAssertEqual(parameters.toArray(), [1, -2])
    }

    func testDamagedWeightsNameTheirEvidence() {
        let good = CheckpointCodec.weightsBlob(FloatBuffer([1, -2]))
        let parameters = FloatBuffer([5, 6])
        func reason(_ blob: [UInt8], count: Int = 2) -> String? {
            guard case .badPart(name: .weights, let reason) = failure(blob, into: count == 2 ? parameters : FloatBuffer(count: count))
            else { return nil }
            return reason
        }
        XCTAssertEqual(reason([1, 2, 3]), "truncated at byte 0: 4 bytes needed, 3 left")
        XCTAssertEqual(reason([0] + good.dropFirst()), "magic 1398036224, expected 1398036292")
        var blob = good
        blob[4] = 2
        XCTAssertEqual(reason(blob), "version 2, expected 1")
        XCTAssertEqual(reason(good, count: 3), "value count 2 at byte 8, expected 3, the model's parameter count")
        blob = good
        blob.replaceSubrange(8..<16, with: [UInt8](repeating: 0xFF, count: 8))
        XCTAssertEqual(reason(blob), "value count \(UInt64.max) at byte 8, expected at most \(Int.max)")
        XCTAssertEqual(reason(good + [0, 0, 0, 0]), "4 bytes unexpected after the last field at byte 24")
        XCTAssertEqual(reason(Array(good.dropLast(3))), "truncated at byte 16: 2 × 4 bytes needed, 5 left")
        XCTAssertEqual(parameters.toArray(), [5, 6], "a failed load leaves the parameters alone")
    }

    /// Seeded random damage: every outcome is a load or a `CheckpointError`, never a trap, and a
    /// failed load leaves the parameters alone.
    func testRandomMutationsNeverTrap() {
        var generator = Xoshiro256(seed: 7)
        var loaded = 0
        for trial in 0..<5_000 {
            let count = 1 + generator.nextInt(below: 4)
            let good = CheckpointCodec.weightsBlob(FloatBuffer((0..<count).map { _ in generator.nextFloat() }))
            var blob = good
            BlobDamage.apply(to: &blob, using: &generator)
            let parameters = FloatBuffer([Float](repeating: 9, count: count))
            if failure(blob, into: parameters) == nil {
                XCTAssertEqual(CheckpointCodec.weightsBlob(parameters), blob, "trial \(trial)")
                loaded += 1
            } else {
                XCTAssertEqual(parameters.toArray(), [Float](repeating: 9, count: count), "trial \(trial)")
            }
        }
        XCTAssertGreaterThan(loaded, 100)
    }
}
