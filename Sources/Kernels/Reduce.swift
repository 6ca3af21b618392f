// Reductions training needs: squared norms (for gradient clipping) and column sums (bias
// gradients). Summation order is fixed by the problem size alone.

public enum Reduce {
    /// Σ x², accumulated in Double.
    public static func sumOfSquares(_ x: Matrix) -> Double {
        var sum = 0.0
        for i in 0..<x.count { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }

    /// into[j] += Σ_rows x[row, j].
    public static func addColumnSums(into: Matrix, of x: Matrix) {
        precondition(into.count == x.columns, "Reduce.addColumnSums: into has \(into.count) elements, x is \(x.shapeDescription)")
        for j in 0..<x.columns {
            var sum: Float = 0
            for i in 0..<x.rows { sum += x[i, j] }
            into[j] += sum
        }
    }

    /// x *= factor, elementwise.
    public static func scale(_ x: Matrix, by factor: Float) {
        for i in 0..<x.count { x[i] *= factor }
    }
}
