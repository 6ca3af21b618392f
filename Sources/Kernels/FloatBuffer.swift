// Float storage for everything numeric: one aligned allocation, viewed as row-major matrices.
//
// Parameters, gradients, optimizer moments and activations each live in one `FloatBuffer` with
// named `Matrix` views into it (llm.c's layout), so an optimizer can sweep a whole buffer and a
// checkpoint can write it as one blob. Views are cheap structs; the buffer is a class so that
// views share it. Deliberately not handled: strides other than dense row-major, non-Float types.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A zero-initialised, 64-byte-aligned array of Float with reference semantics.
///
/// Reads and writes through the subscript are bounds-checked; kernels reach the raw memory once
/// per call through `withUnsafeMutablePointer`.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    @usableFromInline let base: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative, got \(count)")
        self.count = count
        // 64 bytes = one cache line = two AVX2 vectors; keeps SIMD loads from splitting lines.
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        base = raw.assumingMemoryBound(to: Float.self)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let address = source.baseAddress { base.update(from: address, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    public subscript(index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "FloatBuffer index \(index) out of range 0..<\(count)")
            return base[index]
        }
        set {
            precondition(index >= 0 && index < count, "FloatBuffer index \(index) out of range 0..<\(count)")
            base[index] = newValue
        }
    }

    /// The buffer's raw memory for the duration of `body`. For kernels only: do not let the
    /// pointer escape.
    @inlinable
    public func withUnsafeMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try body(base)
    }

    /// The buffer's bytes (native little-endian floats), e.g. for checkpoints and hashing.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count * MemoryLayout<Float>.stride))
    }

    /// Overwrites the whole buffer from raw bytes; `bytes.count` must equal `count * 4`.
    public func assign(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == count * MemoryLayout<Float>.stride,
                     "FloatBuffer.assign: \(bytes.count) bytes for \(count) floats")
        if count > 0, let source = bytes.baseAddress {
            UnsafeMutableRawPointer(base).copyMemory(from: source, byteCount: bytes.count)
        }
    }

    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }

    public func fill(_ value: Float) { base.update(repeating: value, count: count) }
}

/// A dense row-major `rows × columns` view into a `FloatBuffer`, starting at `offset`.
///
/// Vectors are `1 × n` matrices. The view does not own the memory; writing through it writes
/// the shared buffer.
public struct Matrix: Sendable {
    public let buffer: FloatBuffer
    public let offset: Int
    public let rows: Int
    public let columns: Int

    public var count: Int { rows * columns }

    /// A view of existing storage. Traps if the view would run past the buffer: views are made
    /// once, from our own layouts, so a bad one is a programming error.
    public init(buffer: FloatBuffer, offset: Int = 0, rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0 && offset >= 0 && offset + rows * columns <= buffer.count,
                     "Matrix \(rows)×\(columns) at offset \(offset) does not fit a buffer of \(buffer.count)")
        self.buffer = buffer
        self.offset = offset
        self.rows = rows
        self.columns = columns
    }

    /// A fresh zero-filled matrix with storage of its own.
    public init(rows: Int, columns: Int) {
        self.init(buffer: FloatBuffer(count: rows * columns), rows: rows, columns: columns)
    }

    /// A fresh matrix holding `values` in row-major order.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "Matrix \(rows)×\(columns) needs \(rows * columns) values, got \(values.count)")
        self.init(buffer: FloatBuffer(values), rows: rows, columns: columns)
    }

    /// A `1 × n` row vector.
    public static func vector(_ values: [Float]) -> Matrix { Matrix(rows: 1, columns: values.count, values: values) }

    public subscript(row: Int, column: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range \(rows)×\(columns)")
            return buffer.base[offset + row * columns + column]
        }
        nonmutating set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range \(rows)×\(columns)")
            buffer.base[offset + row * columns + column] = newValue
        }
    }

    /// Flat element access in row-major order.
    public subscript(index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "Matrix flat index \(index) out of range 0..<\(count)")
            return buffer.base[offset + index]
        }
        nonmutating set {
            precondition(index >= 0 && index < count, "Matrix flat index \(index) out of range 0..<\(count)")
            buffer.base[offset + index] = newValue
        }
    }

    /// The first `count` rows, sharing storage: a batch smaller than the workspace's capacity.
    public func prefix(rows count: Int) -> Matrix {
        precondition(count >= 0 && count <= rows, "prefix(rows: \(count)) of a matrix with \(rows) rows")
        return Matrix(buffer: buffer, offset: offset, rows: count, columns: columns)
    }

    /// Rows `range`, sharing storage: one block of a stacked matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows(\(range)) of a matrix with \(rows) rows")
        return Matrix(buffer: buffer, offset: offset + range.lowerBound * columns, rows: range.count, columns: columns)
    }

    /// The same elements viewed with another shape of equal size.
    public func reshaped(rows newRows: Int, columns newColumns: Int) -> Matrix {
        precondition(newRows * newColumns == count, "cannot reshape \(rows)×\(columns) to \(newRows)×\(newColumns)")
        return Matrix(buffer: buffer, offset: offset, rows: newRows, columns: newColumns)
    }

    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: buffer.base + offset, count: count)) }

    public func fill(_ value: Float) { (buffer.base + offset).update(repeating: value, count: count) }

    public func copy(from values: [Float]) {
        precondition(values.count == count, "copy(from:) needs \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { source in
            if let address = source.baseAddress { (buffer.base + offset).update(from: address, count: count) }
        }
    }

    public func copy(from other: Matrix) {
        precondition(other.count == count, "copy(from:) a matrix of \(other.count) elements into one of \(count)")
        (buffer.base + offset).update(from: other.buffer.base + other.offset, count: count)
    }

    /// This view's memory for the duration of `body`; kernels only.
    @inlinable
    public func withUnsafeMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try body(buffer.base + offset)
    }

    public var shapeDescription: String { "\(rows)×\(columns)" }
}

/// An optional view's raw memory, or nil, for the duration of `body` (optional operands such as a
/// bias or a gradient that only the backward writes).
func withUnsafeMutablePointer<R>(orNil matrix: Matrix?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard let matrix else { return body(nil) }
    return matrix.withUnsafeMutablePointer { body($0) }
}
