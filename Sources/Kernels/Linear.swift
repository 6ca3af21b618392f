// A fully connected layer as a forward/backward pair over MatMul.
//
// Shapes (legend: B batch rows, I input width, O output width):
//   input (B,I), weight (I,O), bias (O), output (B,O).
// The weight is stored input-major (makemore's `x @ W`), so the forward is an `nn` product.

public enum Linear {
    /// output = input · weight + bias.
    public static func forward(output: Matrix, input: Matrix, weight: Matrix, bias: Matrix?) {
        MatMul.multiply(output, input, weight, form: .nn, accumulate: false, bias: bias)
    }

    /// Accumulates dWeight += inputᵀ·dOutput and dBias += Σ_rows dOutput, and writes (does not
    /// accumulate) dInput = dOutput·weightᵀ when `dInput` is given: activation gradients are
    /// scratch, parameter gradients are sums.
    ///
    /// `accumulate: false` writes dWeight and dBias instead of adding to them: a model whose
    /// weights each receive one gradient per step then need not clear its gradient buffer first
    /// (for a 4096-token output layer that clearing is 8 MB of memory traffic per step).
    public static func backward(dInput: Matrix?, dWeight: Matrix, dBias: Matrix?,
                                dOutput: Matrix, input: Matrix, weight: Matrix, accumulate: Bool = true) {
        MatMul.multiply(dWeight, input, dOutput, form: .tn, accumulate: accumulate)
        if let dBias {
            if !accumulate { dBias.fill(0) }
            Reduce.addColumnSums(into: dBias, of: dOutput)
        }
        if let dInput { MatMul.multiply(dInput, dOutput, weight, form: .nt, accumulate: false) }
    }
}
