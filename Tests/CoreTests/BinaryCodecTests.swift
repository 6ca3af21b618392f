import XCTest
@testable import Core

final class BinaryCodecTests: XCTestCase {
    /// A layout shaped like the project's blobs: magic "TEST", version 3, a kind code (0 or 1), a
    /// UInt64 float count, the floats, nothing after.
    struct Sample: Equatable {
        var kind: UInt32
        var values: [Float]

        static let magic: UInt32 = 0x5453_4554
        static let version: UInt32 = 3

        func encoded() -> [UInt8] {
            var writer = BinaryWriter(reservingCapacity: 20 + values.count * 4)
            writer.writeHeader(magic: Self.magic, version: Self.version)
            writer.write(kind)
            writer.write(UInt64(values.count))
            values.withUnsafeBytes { writer.write(floats: $0) }
            return writer.bytes
        }

        static func decode(_ bytes: [UInt8]) throws(BinaryCodecError) -> Sample {
            var reader = BinaryReader(bytes, name: "sample")
            try reader.readMagic(magic)
            try reader.readVersion(version)
            let kindOffset = reader.offset
            let kind = try reader.readUInt32()
            guard kind <= 1 else { throw reader.invalid("kind code", at: kindOffset, value: kind, expected: "0 or 1") }
            let count = try reader.readCount64("float count")
            let payload = try reader.readFloats(count: count)
            try reader.expectEnd()
            let values = payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return Sample(kind: kind, values: values)
        }
    }

    func testWriterLayoutIsLittleEndian() {
        var writer = BinaryWriter()
        writer.writeHeader(magic: 0x5354_5744, version: 1)
        writer.write(UInt64(0x0102_0304_0506_0708))
        writer.write(Int32(-2))
        writer.writeZeros(byteCount: 3)
        [Float(1), -2].withUnsafeBytes { writer.write(floats: $0) }
        [UInt8(9), 8].withUnsafeBytes { writer.write(bytes: $0) }
        XCTAssertEqual(writer.bytes, Array("DWTS".utf8) + [1, 0, 0, 0] + [8, 7, 6, 5, 4, 3, 2, 1] + [0xFE, 0xFF, 0xFF, 0xFF]
                       + [0, 0, 0] + [0, 0, 0x80, 0x3F] + [0, 0, 0, 0xC0] + [9, 8])
    }

    func testRoundTrip() throws {
        for sample in [Sample(kind: 0, values: []), Sample(kind: 1, values: [1.5, -0, .infinity, .leastNonzeroMagnitude])] {
            XCTAssertEqual(try Sample.decode(sample.encoded()), sample)
        }
        var reader = BinaryReader([0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 7], name: "r")
        XCTAssertEqual(try reader.readInt32(), .max)
        XCTAssertEqual(try reader.readUInt64(), .max)
        XCTAssertEqual(reader.remaining, 1)
        XCTAssertEqual(Array(try reader.readBytes(count: 1)), [7])
        XCTAssertNoThrow(try reader.expectEnd())
    }

    /// Offsets count from the slice's first byte, not from the array's.
    func testSliceOffsets() throws {
        let bytes: [UInt8] = [0xAA, 0xAA, 5, 0, 0, 0, 6]
        var reader = BinaryReader(bytes[2...], name: "slice")
        XCTAssertEqual(try reader.readUInt32(), 5)
        XCTAssertEqual(reader.offset, 4)
        XCTAssertEqual(thrownError { () throws(BinaryCodecError) in try reader.readUInt32() },
                       .truncated(blob: "slice", offset: 4, count: 1, elementBytes: 4, left: 1))
    }

    func testErrorsCarryTheirEvidence() {
        let valid = Sample(kind: 1, values: [1, 2]).encoded()
        func failure(_ bytes: [UInt8]) -> BinaryCodecError? {
            do { _ = try Sample.decode(bytes) } catch { return error }
            return nil
        }
        XCTAssertEqual(failure([1, 2, 3]), .truncated(blob: "sample", offset: 0, count: 1, elementBytes: 4, left: 3))
        XCTAssertEqual(failure([1, 2, 3])?.description, "sample: truncated at byte 0: 4 bytes needed, 3 left.")
        var edited = valid
        edited[0] = 0x55
        XCTAssertEqual(failure(edited), .badMagic(blob: "sample", found: 0x5453_4555, expected: Sample.magic))
        XCTAssertEqual(failure(edited)?.description, "sample: magic 1414743381, expected 1414743380.")
        edited = valid
        edited[4] = 9
        XCTAssertEqual(failure(edited)?.description, "sample: version 9, expected 3.")
        edited = valid
        edited[8] = 7
        XCTAssertEqual(failure(edited), .invalidField(blob: "sample", field: "kind code", offset: 8, value: "7", expected: "0 or 1"))
        XCTAssertEqual(failure(edited)?.description, "sample: kind code 7 at byte 8, expected 0 or 1.")
        XCTAssertEqual(failure(edited)?.evidence, "kind code 7 at byte 8, expected 0 or 1")
        XCTAssertEqual(failure(Array(valid.dropLast())),
                       .truncated(blob: "sample", offset: 20, count: 2, elementBytes: 4, left: 7))
        XCTAssertEqual(failure(Array(valid.dropLast()))?.description, "sample: truncated at byte 20: 2 × 4 bytes needed, 7 left.")
        XCTAssertEqual(failure(valid + [0, 0]), .trailingBytes(blob: "sample", offset: 28, count: 2))
        XCTAssertEqual(failure(valid + [0, 0])?.description, "sample: 2 bytes unexpected after the last field at byte 28.")
    }

    /// Counts that overflow `count * 4` or do not fit an Int are errors, never traps.
    func testHugeAndNegativeCounts() {
        let header = Array(Sample(kind: 0, values: []).encoded().prefix(12))
        func failure(count: UInt64) -> BinaryCodecError? {
            var bytes = header
            withUnsafeBytes(of: count.littleEndian) { bytes.append(contentsOf: $0) }
            do { _ = try Sample.decode(bytes + [1, 2, 3, 4]) } catch { return error }
            return nil
        }
        XCTAssertEqual(failure(count: UInt64(Int.max)), .truncated(blob: "sample", offset: 20, count: .max, elementBytes: 4, left: 4))
        XCTAssertEqual(failure(count: UInt64(Int.max / 4 + 1)),
                       .truncated(blob: "sample", offset: 20, count: Int.max / 4 + 1, elementBytes: 4, left: 4))
        XCTAssertEqual(failure(count: .max),
                       .invalidField(blob: "sample", field: "float count", offset: 12, value: "\(UInt64.max)",
                                     expected: "at most \(Int.max)"))
        var reader = BinaryReader([1, 2, 3, 4], name: "r")
        XCTAssertEqual(thrownError { () throws(BinaryCodecError) in try reader.readFloats(count: -1) },
                       .invalidField(blob: "r", field: "element count", offset: 0, value: "-1", expected: "a count of at least 0"))
        XCTAssertEqual(thrownError { () throws(BinaryCodecError) in try reader.readBytes(count: .max) },
                       .truncated(blob: "r", offset: 0, count: .max, elementBytes: 1, left: 4))
        XCTAssertEqual(reader.offset, 0, "a failed read consumes nothing")
    }

    /// Seeded random mutations of valid blobs (byte flips, truncations, extensions, overwritten
    /// counts): every outcome is a value or a typed error. A trap would end the test process.
    func testRandomMutationsNeverTrap() {
        var generator = Xoshiro256(seed: 2024)
        var outcomes = (decoded: 0, failed: 0)
        for trial in 0..<20_000 {
            let values = (0..<generator.nextInt(below: 6)).map { _ in generator.nextFloat() }
            var bytes = Sample(kind: UInt32(generator.nextInt(below: 2)), values: values).encoded()
            mutate(&bytes, &generator)
            do {
                let sample = try Sample.decode(bytes)
                XCTAssertEqual(sample.encoded(), bytes, "trial \(trial): a decoded blob re-encodes to itself")
                outcomes.decoded += 1
            } catch {
                XCTAssertFalse(error.description.isEmpty)
                outcomes.failed += 1
            }
        }
        XCTAssertGreaterThan(outcomes.decoded, 100)
        XCTAssertGreaterThan(outcomes.failed, 10_000)
    }
}

/// Damages `bytes` in one of the ways a bad disk, a bad copy or a fuzzer would.
func mutate(_ bytes: inout [UInt8], _ generator: inout Xoshiro256) {
    switch generator.nextInt(below: 5) {
    case 0 where !bytes.isEmpty:
        for _ in 0...generator.nextInt(below: 3) {
            bytes[generator.nextInt(below: bytes.count)] ^= UInt8(1 << generator.nextInt(below: 8))
        }
    case 1:
        bytes.removeLast(generator.nextInt(below: bytes.count + 1))
    case 2:
        bytes += (0..<generator.nextInt(below: 9)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    case 3 where bytes.count >= 8:
        // A count-sized field overwritten with an extreme value.
        let at = generator.nextInt(below: bytes.count - 7)
        let value: UInt64 = [.max, UInt64(Int.max), UInt64(Int.max / 4 + 1), 1 << 32, UInt64(UInt32.max)][generator.nextInt(below: 5)]
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at..<(at + 8), with: $0) }
    default:
        if !bytes.isEmpty { bytes[generator.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: generator.next()) }
    }
}

/// The typed error `body` throws, or nil (a test failure) when it returns.
func thrownError<T>(_ body: () throws(BinaryCodecError) -> T, file: StaticString = #filePath,
                             line: UInt = #line) -> BinaryCodecError? {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
        return nil
    } catch {
        return error
    }
}
