import XCTest
@testable import Core

final class SHA256Tests: XCTestCase {
    // FIPS 180-4 example vectors.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hexDigest(of: Array("".utf8)),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexDigest(of: Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testMillionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        XCTAssertEqual(hasher.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testStreamingSplitsAgreeWithOneShot() {
        var generator = Xoshiro256(seed: 3)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let expected = SHA256.hexDigest(of: bytes)
        for split in [0, 1, 55, 56, 63, 64, 65, 128, 999] {
            var hasher = SHA256()
            hasher.update(Array(bytes[..<split]))
            hasher.update(bytes[split...].lazy.map { $0 })   // the generic path
            XCTAssertEqual(hasher.finalizeHex(), expected, "split at \(split)")
        }
    }

    /// The hardware rounds (where the CPU has them) and the portable ones give the same digests,
    /// on the FIPS vectors and on random lengths around block boundaries, in any update pattern.
    func testHardwareAndPortableRoundsAgree() throws {
        if !SHA256.hasHardwareRounds { throw XCTSkip("this CPU has no SHA extensions; only the portable rounds run") }
        func digest(_ bytes: [UInt8], hardware: Bool, pieces: [Int]) -> String {
            var hasher = SHA256(usingHardware: hardware)
            var start = 0
            for piece in pieces + [bytes.count] {
                let end = min(max(start, piece), bytes.count)
                bytes[start..<end].withUnsafeBytes { hasher.update($0) }
                start = end
            }
            return hasher.finalizeHex()
        }
        XCTAssertEqual(digest(Array("abc".utf8), hardware: true, pieces: []),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var generator = Xoshiro256(seed: 17)
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 100_003] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let cuts = (0..<3).map { _ in generator.nextInt(below: length + 1) }.sorted()
            XCTAssertEqual(digest(bytes, hardware: true, pieces: cuts), digest(bytes, hardware: false, pieces: []), "length \(length)")
        }
    }
}

final class RandomTests: XCTestCase {
    // Reference values from the authors' C implementation seeded through splitmix64(0).
    func testSplitMixReferenceSequence() {
        var mixer = SplitMix64(seed: 0)
        XCTAssertEqual(mixer.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(mixer.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testStateRoundTripContinuesTheSameStream() {
        var original = Xoshiro256(seed: 42)
        for _ in 0..<17 { _ = original.next() }
        var restored = Xoshiro256(state: original.state)!
        for _ in 0..<100 { XCTAssertEqual(original.next(), restored.next()) }
        XCTAssertNil(Xoshiro256(state: [0, 0, 0, 0]))
        XCTAssertNil(Xoshiro256(state: [1, 2, 3]))
    }

    func testBoundedIntegersAreInRangeAndRoughlyUniform() {
        var generator = Xoshiro256(seed: 7)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[generator.nextInt(below: 6)] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 400) }
    }

    func testGaussianMoments() {
        var generator = Xoshiro256(seed: 11)
        let n = 100_000
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<n { let x = generator.nextGaussian(); sum += x; sumSquares += x * x }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 0.02)
        XCTAssertEqual(sumSquares / Double(n), 1, accuracy: 0.02)
    }

    func testUniformFloatIsInHalfOpenUnitInterval() {
        var generator = Xoshiro256(seed: 5)
        for _ in 0..<10_000 {
            let x = generator.nextFloat()
            XCTAssert(x >= 0 && x < 1)
        }
    }

    func testMixIsOrderSensitiveAndDeterministic() {
        XCTAssertEqual(SplitMix64.mix(1, 2, 3), SplitMix64.mix(1, 2, 3))
        XCTAssertNotEqual(SplitMix64.mix(1, 2), SplitMix64.mix(2, 1))
    }
}
