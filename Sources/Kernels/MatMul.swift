// Matrix multiply in the three forms training needs. Row-major Float32, any sizes.
//
//   nn: C[m,n] (+)= A[m,k] · B[k,n]
//   nt: C[m,n] (+)= A[m,k] · B[n,k]ᵀ      (B stored n×k)
//   tn: C[m,n] (+)= A[k,m]ᵀ · B[k,n]      (A stored k×m)
//
// Optional bias[n] is added to every row. This version is the plain reference loop.

/// Which operands are stored transposed.
public enum MatMulForm: String, Sendable, CaseIterable {
    case nn, nt, tn
}

public enum MatMul {
    /// `c = op(a)·op(b) + bias` (or `c += …` when `accumulate`).
    ///
    /// Shapes: `c` is m×n; for `.nn` `a` is m×k and `b` k×n; for `.nt` `b` is n×k; for `.tn`
    /// `a` is k×m. `bias`, if given, has n elements. Mismatched shapes are a precondition
    /// failure naming all shapes.
    public static func multiply(_ c: Matrix, _ a: Matrix, _ b: Matrix, form: MatMulForm = .nn,
                                accumulate: Bool = false, bias: Matrix? = nil) {
        let (m, n, k) = checkShapes(c, a, b, form: form, bias: bias)
        reference(c, a, b, form: form, accumulate: accumulate, bias: bias, m: m, n: n, k: k)
    }

    /// Validates shapes and returns (m, n, k).
    @discardableResult
    static func checkShapes(_ c: Matrix, _ a: Matrix, _ b: Matrix, form: MatMulForm, bias: Matrix?) -> (Int, Int, Int) {
        let m = c.rows, n = c.columns
        let (aRows, aColumns) = (a.rows, a.columns)
        let k: Int
        let ok: Bool
        switch form {
        case .nn: k = aColumns; ok = aRows == m && b.rows == k && b.columns == n
        case .nt: k = aColumns; ok = aRows == m && b.columns == k && b.rows == n
        case .tn: k = aRows; ok = aColumns == m && b.rows == k && b.columns == n
        }
        precondition(ok, "MatMul.\(form): shapes do not agree: c \(c.shapeDescription), a \(a.shapeDescription), b \(b.shapeDescription)")
        if let bias { precondition(bias.count == n, "MatMul.\(form): bias has \(bias.count) elements, c has \(n) columns") }
        return (m, n, k)
    }

    /// The plain triple loop, accumulating in Float in k order. The oracle for the fast path.
    public static func reference(_ c: Matrix, _ a: Matrix, _ b: Matrix, form: MatMulForm, accumulate: Bool,
                                 bias: Matrix?, m: Int, n: Int, k: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let x = form == .tn ? a[p, i] : a[i, p]
                    let y = form == .nt ? b[j, p] : b[p, j]
                    sum += x * y
                }
                if let bias { sum += bias[j] }
                c[i, j] = accumulate ? c[i, j] + sum : sum
            }
        }
    }
}
