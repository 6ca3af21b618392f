// The safetensors codec: its bytes checked by hand against the format, round trips, determinism,
// files laid out as Python's `safetensors` writes them, and every refusal of the strict reader.

import SafeTensors
import XCTest

final class SafeTensorsTests: XCTestCase {
    /// A file from a header text and data bytes, the header not padded.
    func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> UInt64(8 * $0)) }
        bytes += json
        return bytes + data
    }

    func refusal(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> SafeTensorsError? {
        do {
            _ = try SafeTensorsFile(decoding: bytes)
            XCTFail("decoded a file that should be refused", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testEncodesTheFormatByteForByte() {
        let file = SafeTensorsFile(tensors: ["b": SafeTensor(float32: [1, -2], shape: [2]),
                                             "a": SafeTensor(float32: [0.5], shape: [1, 1])],
                                   metadata: ["k": "v\"q"])
        let bytes = file.encoded()
        let header = #"{"__metadata__":{"k":"v\"q"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let padding = (8 - header.utf8.count % 8) % 8
        let length = UInt64(header.utf8.count + padding)
        XCTAssertEqual(Array(bytes[0..<8]), (0..<8).map { UInt8(truncatingIfNeeded: length >> UInt64(8 * $0)) })
        XCTAssertEqual(String(decoding: bytes[8..<(8 + Int(length))], as: UTF8.self), header + String(repeating: " ", count: padding))
        XCTAssertEqual((8 + Int(length)) % 8, 0)
        // 0.5, 1, -2 as little-endian F32, in name order: a, then b.
        XCTAssertEqual(Array(bytes[(8 + Int(length))...]), [0, 0, 0, 0x3F, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
    }

    func testRoundTripsAndWritesIdenticalBytesForIdenticalContents() throws {
        var tensors: [String: SafeTensor] = [:]
        for index in (0..<20).reversed() {
            let count = index % 5 + 1
            tensors["layer.\(index).weight"] = SafeTensor(float32: (0..<(count * 3)).map { Float($0) * 0.25 - Float(index) }, shape: [count, 3])
        }
        tensors["scalar"] = SafeTensor(float32: [42], shape: [])
        tensors["empty"] = SafeTensor(float32: [], shape: [0, 4])
        let original = SafeTensorsFile(tensors: tensors, metadata: ["descent.format": "1", "unicode": "héllo\n\u{1}✓"])
        let bytes = original.encoded()
        let decoded = try SafeTensorsFile(decoding: bytes)
        XCTAssertEqual(decoded, original)
        XCTAssertEqual(decoded.encoded(), bytes)
        // The same contents built in another insertion order give the same bytes.
        var reordered = SafeTensorsFile()
        for name in tensors.keys.sorted() { reordered.tensors[name] = tensors[name] }
        reordered.metadata = ["unicode": "héllo\n\u{1}✓", "descent.format": "1"]
        XCTAssertEqual(reordered.encoded(), bytes)
        XCTAssertEqual(decoded.tensors["layer.3.weight"]?.float32Values, (0..<12).map { Float($0) * 0.25 - 3 })
        XCTAssertEqual(decoded.tensors["scalar"]?.float32Values, [42])
        XCTAssertEqual(decoded.tensors["empty"]?.shape, [0, 4])
    }

    /// Python's `safetensors` orders tensors by dtype alignment, then name, pads with spaces, and
    /// may put `__metadata__` anywhere; other writers leave the header unpadded.
    func testAcceptsOtherWritersLayouts() throws {
        let header = #"{"z": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, "__metadata__": {"format": "pt"}, "a": {"dtype": "I32", "shape": [2], "data_offsets": [8, 16]}}  "#
        let data: [UInt8] = [0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 1, 0, 0, 0, 2, 0, 0, 0]
        let decoded = try SafeTensorsFile(decoding: file(header: header, data: data))
        XCTAssertEqual(decoded.metadata, ["format": "pt"])
        XCTAssertEqual(decoded.tensors["z"]?.dtype, .f64)
        XCTAssertEqual(decoded.tensors["a"]?.bytes, [1, 0, 0, 0, 2, 0, 0, 0])
        XCTAssertNil(decoded.tensors["a"]?.float32Values)
        // Re-encoding sorts by name: a's bytes first.
        let again = try SafeTensorsFile(decoding: decoded.encoded())
        XCTAssertEqual(again, decoded)
    }

    func testRefusesShortFilesAndHeadersBeyondTheFile() {
        XCTAssertEqual(refusal([1, 2, 3]), .tooShort(fileBytes: 3))
        var bytes = file(header: "{}")
        bytes[0] = 200
        XCTAssertEqual(refusal(bytes), .headerBeyondFile(headerBytes: 200, fileBytes: 10))
        bytes = [0, 0, 0, 0, 0, 0, 0, 0x80]
        XCTAssertEqual(refusal(bytes), .headerTooLarge(headerBytes: 1 << 63, limit: SafeTensorsFile.headerLimit))
    }

    func testRefusesHeadersThatAreNotAJSONObject() {
        guard case .headerNotJSON = refusal(file(header: "{\"a\": ")) else { return XCTFail("expected headerNotJSON") }
        guard case .headerNotJSON = refusal(file(header: "{} x")) else { return XCTFail("expected headerNotJSON") }
        guard case .headerNotJSON = refusal(file(header: "{\"a\":1,}")) else { return XCTFail("expected headerNotJSON") }
        guard case .headerNotJSON = refusal(file(header: String(repeating: "[", count: 200))) else { return XCTFail("expected headerNotJSON") }
        var invalidUTF8 = file(header: "{\"\u{00E9}\":1}")
        invalidUTF8[10] = 0xFF
        guard case .headerNotJSON = refusal(invalidUTF8) else { return XCTFail("expected headerNotJSON") }
        XCTAssertEqual(refusal(file(header: "[]")), .headerNotObject(found: "an array"))
    }

    func testRefusesDuplicateNames() {
        let entry = #"{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#
        XCTAssertEqual(refusal(file(header: "{\"t\":\(entry),\"t\":\(entry)}", data: [7])), .duplicateName("t"))
        XCTAssertEqual(refusal(file(header: #"{"__metadata__":{"k":"a","k":"b"}}"#)), .duplicateName("__metadata__.k"))
        XCTAssertEqual(refusal(file(header: #"{"__metadata__":{},"__metadata__":{}}"#)), .duplicateName("__metadata__"))
    }

    func testRefusesOverlapsHolesAndRangesOutOfTheData() {
        func two(_ a: (Int, Int), _ b: (Int, Int), data: Int) -> [UInt8] {
            file(header: #"{"a":{"dtype":"U8","shape":[\#(a.1 - a.0)],"data_offsets":[\#(a.0),\#(a.1)]},"b":{"dtype":"U8","shape":[\#(b.1 - b.0)],"data_offsets":[\#(b.0),\#(b.1)]}}"#,
                 data: [UInt8](repeating: 1, count: data))
        }
        XCTAssertEqual(refusal(two((0, 4), (2, 6), data: 6)), .overlap(name: "b", other: "a"))
        XCTAssertEqual(refusal(two((0, 2), (3, 5), data: 5)), .hole(offset: 2, bytes: 1))
        XCTAssertEqual(refusal(two((0, 2), (2, 4), data: 6)), .hole(offset: 4, bytes: 2))
        XCTAssertEqual(refusal(two((1, 3), (3, 5), data: 5)), .hole(offset: 0, bytes: 1))
        XCTAssertEqual(refusal(two((0, 2), (2, 9), data: 4)), .rangeOutOfBounds(name: "b", begin: 2, end: 9, dataBytes: 4))
        XCTAssertEqual(refusal(file(header: #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[3,2]}}"#, data: [1, 2, 3])),
                       .rangeOutOfBounds(name: "a", begin: 3, end: 2, dataBytes: 3))
        XCTAssertNoThrow(try SafeTensorsFile(decoding: two((2, 4), (0, 2), data: 4)))
    }

    func testRefusesBadEntriesNamingTheTensor() {
        XCTAssertEqual(refusal(file(header: #"{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
                       .unknownDType(name: "w", dtype: "F99"))
        XCTAssertEqual(refusal(file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
                       .sizeMismatch(name: "w", shape: [2], dtype: .f32, rangeBytes: 4))
        XCTAssertEqual(refusal(file(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
                       .sizeMismatch(name: "w", shape: [4611686018427387904, 4], dtype: .f32, rangeBytes: 4))
        for (header, reason) in [
            (#"{"w":{"dtype":"F32","shape":[1]}}"#, "no data_offsets"),
            (#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, "no shape"),
            (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, "no dtype"),
            (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "shape holds -1, not a non-negative integer"),
            (#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, "shape holds 1.0, not a non-negative integer"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, "data_offsets must be two non-negative integers [begin, end]"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}"#, "unknown field 'extra' (expected dtype, shape, data_offsets)"),
            (#"{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "the field 'dtype' appears twice"),
            (#"{"w":[1]}"#, "the entry is an array, not an object"),
        ] {
            XCTAssertEqual(refusal(file(header: header, data: [0, 0, 0, 0])), .badEntry(name: "w", reason: reason), header)
        }
    }

    func testRefusesMetadataThatIsNotStrings() {
        XCTAssertEqual(refusal(file(header: #"{"__metadata__":{"step":3}}"#)), .metadataNotString(key: "step", found: "a number"))
        XCTAssertEqual(refusal(file(header: #"{"__metadata__":["a"]}"#)), .metadataNotObject(found: "an array"))
    }

    func testErrorsAreSentencesNamingTheProblem() {
        let message = SafeTensorsError.overlap(name: "b", other: "a").description
        XCTAssertTrue(message.contains("'a'") && message.contains("'b'") && message.contains("overlap"), message)
    }

    /// Truncations and byte flips of a valid file never trap: each decodes or throws.
    func testDamagedFilesNeverTrap() {
        let valid = SafeTensorsFile(tensors: ["a": SafeTensor(float32: [1, 2, 3], shape: [3]), "b": SafeTensor(float32: [4], shape: [])],
                                    metadata: ["x": "y"]).encoded()
        for length in 0..<valid.count { _ = try? SafeTensorsFile(decoding: Array(valid[0..<length])) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[Int(state >> 33) % bytes.count] = UInt8(truncatingIfNeeded: state >> 17)
            }
            _ = try? SafeTensorsFile(decoding: bytes)
        }
    }
}
