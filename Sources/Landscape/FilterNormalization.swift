// Random directions in weight space, filter-normalized as Li et al. define it ("Visualizing the
// Loss Landscape of Neural Nets", NeurIPS 2018, section 4): a Gaussian direction d is rescaled
// filter by filter so that each filter of d has the norm of the same filter of the weights θ*,
//
//     d_f ← d_f / ‖d_f‖ · ‖θ*_f‖,
//
// which removes the scale invariance that makes plots of differently scaled networks
// incomparable. What a filter is, for this project's tensors (ParameterKind):
// - `.weight`, stored (fan-in, fan-out): one output neuron, a column (PyTorch's row of an
//   (out, in) weight);
// - `.embedding`: one token's row;
// - `.bias`: none; biases get zero, as the paper's code does by default.
// A filter whose weights are all zero gets zero. Not handled: convolutional filters.

import Core
import Kernels
import Parameters

public enum FilterNormalization {
    /// A direction of N(0, 1) entries drawn from `seed`, in the layout of `layout` (padding zero).
    public static func gaussianDirection(layout: ParameterLayout, seed: UInt64) -> FloatBuffer {
        var generator = Xoshiro256(seed: seed)
        let direction = layout.makeBuffer()
        for tensor in layout.tensors {
            let view = layout.view(tensor, in: direction)
            for i in 0..<view.count { view[i] = Float(generator.nextGaussian()) }
        }
        return direction
    }

    /// Rescales `direction` in place, filter by filter, to the norms of `weights`' filters.
    public static func normalize(_ direction: FloatBuffer, toFiltersOf weights: FloatBuffer, layout: ParameterLayout) {
        for tensor in layout.tensors {
            let d = layout.view(tensor, in: direction)
            let w = layout.view(tensor, in: weights)
            switch tensor.kind {
            case .bias:
                d.fill(0)
            case .embedding:
                for row in 0..<tensor.rows {
                    rescale(d, w, indices: (0..<tensor.columns).map { row * tensor.columns + $0 })
                }
            case .weight:
                for column in 0..<tensor.columns {
                    rescale(d, w, indices: (0..<tensor.rows).map { $0 * tensor.columns + column })
                }
            }
        }
    }

    /// A filter-normalized random direction: `gaussianDirection` then `normalize`.
    public static func randomDirection(like weights: FloatBuffer, layout: ParameterLayout, seed: UInt64) -> FloatBuffer {
        let direction = gaussianDirection(layout: layout, seed: seed)
        normalize(direction, toFiltersOf: weights, layout: layout)
        return direction
    }

    /// The norm sums run in Double in index order, so the scale is the same on every machine.
    private static func rescale(_ d: Matrix, _ w: Matrix, indices: [Int]) {
        var dSquares = 0.0, wSquares = 0.0
        for i in indices {
            dSquares += Double(d[i]) * Double(d[i])
            wSquares += Double(w[i]) * Double(w[i])
        }
        let scale = dSquares > 0 ? Float((wSquares / dSquares).squareRoot()) : 0
        for i in indices { d[i] *= scale }
    }
}
