// Named tensors in one flat buffer: the layout parameters, gradients and optimizer moments share.
//
// A model declares its tensors once; the layout assigns offsets (each aligned to 16 floats, one
// cache line, so SIMD loads never straddle tensors). The same layout then gives views into the
// parameter buffer, the gradient buffer and every optimizer moment buffer, and checkpoint
// exporters read names and shapes from it.

import Kernels

/// What a tensor is for. Optimizers use it to decide where weight decay applies.
public enum ParameterKind: String, Sendable, Codable, CaseIterable {
    /// A matrix multiplied with activations (Linear weights, the bigram table): decayed.
    case weight
    /// An additive bias: not decayed.
    case bias
    /// A lookup table of token vectors: not decayed unless configured.
    case embedding
}

public struct ParameterTensor: Sendable, Codable, Equatable {
    public let name: String
    public let rows: Int
    public let columns: Int
    public let offset: Int
    public let kind: ParameterKind

    public var count: Int { rows * columns }
    public var shape: [Int] { rows == 1 ? [columns] : [rows, columns] }
}

public struct ParameterLayout: Sendable, Codable, Equatable {
    public private(set) var tensors: [ParameterTensor] = []
    /// Floats the buffer needs, padding included.
    public private(set) var count: Int = 0

    static let alignment = 16

    public init() {}

    /// Appends a tensor and returns it. Names must be unique.
    @discardableResult
    public mutating func add(_ name: String, rows: Int, columns: Int, kind: ParameterKind) -> ParameterTensor {
        precondition(!tensors.contains { $0.name == name }, "ParameterLayout: duplicate tensor name \(name)")
        precondition(rows > 0 && columns > 0, "ParameterLayout: tensor \(name) has shape \(rows)×\(columns)")
        let offset = (count + Self.alignment - 1) / Self.alignment * Self.alignment
        let tensor = ParameterTensor(name: name, rows: rows, columns: columns, offset: offset, kind: kind)
        tensors.append(tensor)
        count = offset + rows * columns
        return tensor
    }

    public subscript(name: String) -> ParameterTensor? { tensors.first { $0.name == name } }

    /// The number of trainable values, padding excluded.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// A buffer sized for this layout.
    public func makeBuffer() -> FloatBuffer { FloatBuffer(count: count) }

    /// The view of `tensor` in `buffer` (parameters, gradients or a moment buffer).
    public func view(_ tensor: ParameterTensor, in buffer: FloatBuffer) -> Matrix {
        precondition(buffer.count == count, "ParameterLayout.view: buffer of \(buffer.count) floats for a layout of \(count)")
        return Matrix(buffer: buffer, offset: tensor.offset, rows: tensor.rows, columns: tensor.columns)
    }

    /// The whole buffer as one row, padding included (padding stays zero in gradients).
    public func flatView(of buffer: FloatBuffer) -> Matrix {
        Matrix(buffer: buffer, offset: 0, rows: 1, columns: buffer.count)
    }
}
