// How the MLP computes its first layer, and the cost model that `auto` chooses by.
//
// The first layer multiplies the concatenated context embeddings x (B, T·d) by W_1 (T·d, H).
// dense:  Embedding's gather into x, then the products x·W_1, xᵀ·dh and dh·W_1ᵀ, and the
//         scatter of dx into dE: 3 · 2·B·T·d·H flop.
// tables: one table per position, P_t = E·W_1,t (V, H), then a gather-sum of table rows forward
//         and a scatter-add into dP_t backward, with products Eᵀ·dP_t and dP_t·W_1,tᵀ:
//         3 · 2·T·V·d·H flop (Kernels' TokenTables), plus the gather, the scatter and zeroing
//         dP's unselected rows.
// The tables win when the vocabulary is small beside the batch: for config B (V 65, T 16, d 64,
// H 512, B 256) the first layer drops from 0.80 to 0.20 GFLOP a step.
//
// The model, in seconds: every product costs its flop at a rate that falls on thin shapes,
//   rate(m, n, k) = peak · s(m) · s(n) · s(k),  s(x) = x / (x + half),
// and every float the gather or scatter moves costs `secondsPerMovedFloat`. The constants were
// measured with `descent-bench train --first-layer dense|tables` on Zen 5 (AVX-512), see
// docs/performance.md; only the ratio of the two estimates matters, so the peak cancels out for
// shapes where products dominate. The choice depends on the shape alone, never on a timing, so a
// run makes the same choice, and the same bits, on every machine.

public enum FirstLayerPath: String, Sendable, CaseIterable, Codable {
    /// The cheaper path by `FirstLayerCost`, per batch size.
    case auto
    case dense
    case tables
}

public struct FirstLayerCost: Sendable, Equatable {
    /// Estimated seconds of one pass over a batch on each path.
    public let denseSeconds: Double
    public let tablesSeconds: Double

    /// Products per second on shapes with no thin side (one thread; the ratio is what counts).
    static let peakFlopsPerSecond = 60e9
    /// A product dimension of this size runs a product at half speed per side.
    static let halfSpeedDimension = 6.0
    /// The gather-sum and scatter-add move this many floats per second (load, add, store).
    static let movedFloatsPerSecond = 4e9

    /// The cost of the first layer for `batch` examples, forward only or forward and backward.
    public init(_ a: ModelArchitecture, batch: Int, training: Bool) {
        let (b, t, d, h, v) = (Double(batch), Double(a.contextLength), Double(a.embeddingSize), Double(a.hiddenSize),
                               Double(a.vocabularySize))
        func product(_ m: Double, _ n: Double, _ k: Double) -> Double {
            func side(_ x: Double) -> Double { x / (x + Self.halfSpeedDimension) }
            return 2 * m * n * k / (Self.peakFlopsPerSecond * side(m) * side(n) * side(k))
        }
        let moved = 1 / Self.movedFloatsPerSecond
        // Dense: the embedding gather (B·T·d floats), the product, and backward two more products
        // and the scatter of dx into dE.
        var dense = b * t * d * moved + product(b, h, t * d)
        // Tables: T products of (V, H, d), the gather of B·T rows of H.
        var tables = t * product(v, h, d) + b * t * h * moved
        if training {
            dense += product(t * d, h, b) + product(b, t * d, h) + b * t * d * moved
            // Clearing dP, the scatter of B·T rows of H, and 2·T products of (d, H, V), (V, d, H).
            tables += t * v * h * moved + b * t * h * moved + t * (product(d, h, v) + product(v, d, h))
        }
        denseSeconds = dense
        tablesSeconds = tables
    }

    public var prefersTables: Bool { tablesSeconds < denseSeconds }

    /// Which path `choice` runs for `batch` examples.
    public static func path(_ choice: FirstLayerPath, _ architecture: ModelArchitecture, batch: Int, training: Bool) -> FirstLayerPath {
        switch choice {
        case .dense, .tables: return choice
        case .auto: return FirstLayerCost(architecture, batch: batch, training: training).prefersTables ? .tables : .dense
        }
    }
}
