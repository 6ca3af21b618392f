// The safetensors file format (huggingface/safetensors), read strictly and written deterministically.
//
//   8 bytes   N, the header's length, u64 little-endian
//   N bytes   UTF-8 JSON object: name -> {"dtype", "shape", "data_offsets": [begin, end)}, and an
//             optional "__metadata__" object of string -> string
//   the rest  the data section; offsets are relative to its start, row-major, little-endian
//
// The writer sorts tensors by name and lays their data out in that order, writes the metadata
// with sorted keys and pads the header with spaces so that the data starts at a multiple of 8:
// the same tensors and metadata always give the same bytes.
//
// The reader accepts any valid file, whatever its tensor order (Python's `safetensors` sorts by
// dtype, then name), and refuses, with the name of what is wrong: a header longer than the file
// or than 100 MB (the reference limit), JSON that is not an object, duplicate names, unknown
// dtypes or fields, shapes whose size disagrees with their byte range, ranges out of the data
// section, overlapping or leaving holes, and metadata values that are not strings. It never traps
// on its input.
//
// Deliberately not handled: memory mapping (the models here are small; the file is read whole),
// big-endian hosts, and the sub-byte float dtypes (F4, F6_*), which are refused as unknown.

/// An element type of the format, named as the header spells it.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element.
    public var elementBytes: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }
}

/// One tensor: its element type, shape (outermost first, row-major) and raw little-endian bytes.
public struct SafeTensor: Sendable, Equatable {
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    public let bytes: [UInt8]

    /// A tensor of `dtype` and `shape` over `bytes`; nil when the byte count is not the shape's.
    public init?(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        guard let count = Self.elementCount(shape), count.multipliedReportingOverflow(by: dtype.elementBytes) == (bytes.count, false) else {
            return nil
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An F32 tensor. `values` holds the elements in row-major order.
    public init(float32 values: [Float], shape: [Int]) {
        precondition(Self.elementCount(shape) == values.count,
                     "SafeTensor: \(values.count) values for shape \(shape)")
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
        dtype = .f32
        self.shape = shape
        self.bytes = bytes
    }

    /// The number of elements.
    public var elementCount: Int { bytes.count / dtype.elementBytes }

    /// The elements of an F32 tensor in row-major order; nil for any other dtype.
    public var float32Values: [Float]? {
        guard dtype == .f32 else { return nil }
        var values = [Float](repeating: 0, count: elementCount)
        for index in 0..<values.count {
            let base = index * 4
            let bits = UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24
            values[index] = Float(bitPattern: bits)
        }
        return values
    }

    /// The product of `shape`'s dimensions, nil when one is negative or the product overflows.
    /// A scalar (shape []) has one element; a zero dimension gives an empty tensor.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }
}

/// Why bytes are not a safetensors file this reader accepts. Each case names the problem and its
/// evidence; `description` is a sentence.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// Fewer than the 8 bytes of the header length.
    case tooShort(fileBytes: Int)
    /// The header length says more bytes than the file has after it.
    case headerBeyondFile(headerBytes: UInt64, fileBytes: Int)
    /// The header length exceeds the format's 100 MB limit.
    case headerTooLarge(headerBytes: UInt64, limit: Int)
    /// The header is not JSON (or not UTF-8), at a byte offset within the header.
    case headerNotJSON(offset: Int, reason: String)
    /// The header's JSON is not an object.
    case headerNotObject(found: String)
    /// Two entries share a name (tensor names and `__metadata__` alike).
    case duplicateName(String)
    /// A tensor entry that is not {"dtype", "shape", "data_offsets"} as the format defines them.
    case badEntry(name: String, reason: String)
    /// A dtype this reader does not know.
    case unknownDType(name: String, dtype: String)
    /// The shape's byte size and the range's length disagree.
    case sizeMismatch(name: String, shape: [Int], dtype: SafeTensorsDType, rangeBytes: UInt64)
    /// A range that ends past the data section (or begins after it ends).
    case rangeOutOfBounds(name: String, begin: UInt64, end: UInt64, dataBytes: Int)
    /// Two ranges share bytes.
    case overlap(name: String, other: String)
    /// Bytes of the data section that no tensor covers, starting at `offset`.
    case hole(offset: UInt64, bytes: UInt64)
    /// `__metadata__` is not an object.
    case metadataNotObject(found: String)
    /// A metadata value that is not a string.
    case metadataNotString(key: String, found: String)

    public var description: String {
        let suffix = " It is not a safetensors file this reader accepts."
        switch self {
        case .tooShort(let bytes):
            return "the file has \(bytes) bytes, fewer than the 8 of the header length." + suffix
        case .headerBeyondFile(let header, let file):
            return "the header length is \(header) bytes, but only \(max(file - 8, 0)) follow it (truncated or not safetensors)." + suffix
        case .headerTooLarge(let header, let limit):
            return "the header length is \(header) bytes, over the format's limit of \(limit)." + suffix
        case .headerNotJSON(let offset, let reason):
            return "the header is not valid JSON: \(reason) at header byte \(offset)." + suffix
        case .headerNotObject(let found):
            return "the header is \(found), not a JSON object." + suffix
        case .duplicateName(let name):
            return "the header names '\(name)' twice." + suffix
        case .badEntry(let name, let reason):
            return "tensor '\(name)': \(reason)." + suffix
        case .unknownDType(let name, let dtype):
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "tensor '\(name)' has dtype '\(dtype)', not one of \(known)." + suffix
        case .sizeMismatch(let name, let shape, let dtype, let bytes):
            return "tensor '\(name)' has shape \(shape) of \(dtype.rawValue), but its data_offsets span \(bytes) bytes." + suffix
        case .rangeOutOfBounds(let name, let begin, let end, let data):
            return "tensor '\(name)' has data_offsets [\(begin), \(end)) outside the data section of \(data) bytes." + suffix
        case .overlap(let name, let other):
            return "the data of tensors '\(other)' and '\(name)' overlap." + suffix
        case .hole(let offset, let bytes):
            return "\(bytes) bytes of the data section at offset \(offset) belong to no tensor (the format allows no holes)." + suffix
        case .metadataNotObject(let found):
            return "__metadata__ is \(found), not an object of strings." + suffix
        case .metadataNotString(let key, let found):
            return "__metadata__ '\(key)' is \(found), not a string (the format allows strings only)." + suffix
        }
    }
}

/// A safetensors file's tensors and metadata.
public struct SafeTensorsFile: Sendable, Equatable {
    public static let metadataKey = "__metadata__"
    /// The reference implementation's header limit.
    public static let headerLimit = 100 << 20

    public var tensors: [String: SafeTensor]
    public var metadata: [String: String]

    public init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    // MARK: Writing

    /// The file's bytes: tensors in name order, metadata keys sorted, the header padded with
    /// spaces to a multiple of 8 bytes. Equal contents give equal bytes.
    public func encoded() -> [UInt8] {
        precondition(tensors[Self.metadataKey] == nil, "SafeTensorsFile: '\(Self.metadataKey)' cannot name a tensor")
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(StrictJSON.quoted($0)):\(StrictJSON.quoted(metadata[$0] ?? ""))" }
            entries.append("\(StrictJSON.quoted(Self.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(StrictJSON.quoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}")
            offset += tensor.bytes.count
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        bytes.append(contentsOf: header)
        for name in names { bytes.append(contentsOf: tensors[name]?.bytes ?? []) }
        return bytes
    }

    // MARK: Reading

    /// Decodes and checks a whole file.
    public init(decoding bytes: [UInt8]) throws(SafeTensorsError) {
        guard bytes.count >= 8 else { throw .tooShort(fileBytes: bytes.count) }
        var length: UInt64 = 0
        for index in 0..<8 { length |= UInt64(bytes[index]) << UInt64(8 * index) }
        guard length <= UInt64(Self.headerLimit) else { throw .headerTooLarge(headerBytes: length, limit: Self.headerLimit) }
        guard length <= UInt64(bytes.count - 8) else { throw .headerBeyondFile(headerBytes: length, fileBytes: bytes.count) }
        let headerEnd = 8 + Int(length)
        let root: StrictJSON.Value
        do { root = try StrictJSON.parse(bytes[8..<headerEnd]) } catch {
            throw .headerNotJSON(offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = root else { throw .headerNotObject(found: root.kind) }
        let dataBytes = bytes.count - headerEnd

        var seen = Set<String>()
        var metadata: [String: String] = [:]
        var ranges: [(name: String, begin: UInt64, end: UInt64, dtype: SafeTensorsDType, shape: [Int])] = []
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw .duplicateName(name) }
            if name == Self.metadataKey {
                guard case .object(let pairs) = value else { throw .metadataNotObject(found: value.kind) }
                var keys = Set<String>()
                for (key, entry) in pairs {
                    guard keys.insert(key).inserted else { throw .duplicateName("\(Self.metadataKey).\(key)") }
                    guard case .string(let text) = entry else { throw .metadataNotString(key: key, found: entry.kind) }
                    metadata[key] = text
                }
                continue
            }
            ranges.append(try Self.entry(name: name, value, dataBytes: dataBytes))
        }

        // Sorted by start (then end, so an empty tensor sits before one starting at its offset),
        // the ranges must tile the data section exactly.
        ranges.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered: UInt64 = 0
        var previous: String? = nil
        for range in ranges {
            if range.begin < covered, let previous { throw .overlap(name: range.name, other: previous) }
            if range.begin > covered { throw .hole(offset: covered, bytes: range.begin - covered) }
            covered = range.end
            if range.end > range.begin { previous = range.name }
        }
        if covered < UInt64(dataBytes) { throw .hole(offset: covered, bytes: UInt64(dataBytes) - covered) }

        var tensors: [String: SafeTensor] = [:]
        for range in ranges {
            let start = headerEnd + Int(range.begin), end = headerEnd + Int(range.end)
            guard let tensor = SafeTensor(dtype: range.dtype, shape: range.shape, bytes: Array(bytes[start..<end])) else {
                throw .sizeMismatch(name: range.name, shape: range.shape, dtype: range.dtype, rangeBytes: range.end - range.begin)
            }
            tensors[range.name] = tensor
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// One tensor entry, checked on its own: fields, dtype, shape, and a range inside the data
    /// section whose length is the shape's byte size.
    private static func entry(name: String, _ value: StrictJSON.Value, dataBytes: Int) throws(SafeTensorsError)
        -> (name: String, begin: UInt64, end: UInt64, dtype: SafeTensorsDType, shape: [Int]) {
        guard case .object(let fields) = value else { throw .badEntry(name: name, reason: "the entry is \(value.kind), not an object") }
        var dtypeText: String? = nil
        var shapeValue: [StrictJSON.Value]? = nil
        var offsetsValue: [StrictJSON.Value]? = nil
        var keys = Set<String>()
        for (key, field) in fields {
            guard keys.insert(key).inserted else { throw .badEntry(name: name, reason: "the field '\(key)' appears twice") }
            switch key {
            case "dtype":
                guard case .string(let text) = field else { throw .badEntry(name: name, reason: "dtype is \(field.kind), not a string") }
                dtypeText = text
            case "shape":
                guard case .array(let items) = field else { throw .badEntry(name: name, reason: "shape is \(field.kind), not an array") }
                shapeValue = items
            case "data_offsets":
                guard case .array(let items) = field else { throw .badEntry(name: name, reason: "data_offsets is \(field.kind), not an array") }
                offsetsValue = items
            default:
                throw .badEntry(name: name, reason: "unknown field '\(key)' (expected dtype, shape, data_offsets)")
            }
        }
        guard let dtypeText else { throw .badEntry(name: name, reason: "no dtype") }
        guard let shapeValue else { throw .badEntry(name: name, reason: "no shape") }
        guard let offsetsValue else { throw .badEntry(name: name, reason: "no data_offsets") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeText) else { throw .unknownDType(name: name, dtype: dtypeText) }
        var shape: [Int] = []
        for item in shapeValue {
            guard let dimension = unsignedInteger(item), dimension <= UInt64(Int.max) else {
                throw .badEntry(name: name, reason: "shape holds \(describe(item)), not a non-negative integer")
            }
            shape.append(Int(dimension))
        }
        guard offsetsValue.count == 2, let begin = unsignedInteger(offsetsValue[0]), let end = unsignedInteger(offsetsValue[1]) else {
            throw .badEntry(name: name, reason: "data_offsets must be two non-negative integers [begin, end]")
        }
        guard begin <= end, end <= UInt64(dataBytes) else {
            throw .rangeOutOfBounds(name: name, begin: begin, end: end, dataBytes: dataBytes)
        }
        guard let count = SafeTensor.elementCount(shape),
              count.multipliedReportingOverflow(by: dtype.elementBytes) == (Int(end - begin), false) else {
            throw .sizeMismatch(name: name, shape: shape, dtype: dtype, rangeBytes: end - begin)
        }
        return (name, begin, end, dtype, shape)
    }

    /// A JSON number that is an exact non-negative integer without fraction or exponent.
    private static func unsignedInteger(_ value: StrictJSON.Value) -> UInt64? {
        guard case .number(let text) = value else { return nil }
        return UInt64(text)
    }

    private static func describe(_ value: StrictJSON.Value) -> String {
        if case .number(let text) = value { return text }
        return value.kind
    }
}
