// Matrix multiply in the three forms training needs. Row-major Float32, any sizes.
//
//   nn: C[m,n] (+)= A[m,k] · B[k,n]
//   nt: C[m,n] (+)= A[m,k] · B[n,k]ᵀ      (B stored n×k)
//   tn: C[m,n] (+)= A[k,m]ᵀ · B[k,n]      (A stored k×m)
//
// Optional bias[n] is added to every row. `multiply` is the fast path (MatMul+Driver.swift, and
// the GemmCore module it runs, on the instruction set of InstructionSet.swift); `reference` is the
// plain triple loop it is tested against.
// Deliberately not handled: strided views, C aliasing A or B (a precondition failure), other
// element types.

import GemmCore

/// Which operands are stored transposed.
public enum MatMulForm: String, Sendable, CaseIterable {
    case nn, nt, tn

    var gemmForm: GemmForm {
        switch self {
        case .nn: return .nn
        case .nt: return .nt
        case .tn: return .tn
        }
    }
}

public enum MatMul {
    /// `c = op(a)·op(b) + bias` (or `c += …` when `accumulate`).
    ///
    /// Shapes: `c` is m×n; for `.nn` `a` is m×k and `b` k×n; for `.nt` `b` is n×k; for `.tn`
    /// `a` is k×m. `bias`, if given, has n elements. Mismatched shapes are a precondition
    /// failure naming all shapes. `c` must not overlap `a` or `b`.
    ///
    /// Deterministic: the result depends only on the operands and the shape, never on
    /// `Parallel.threadCount`, `InstructionSet.active` or timing. `path` forces the direct or
    /// packed path (for tests and benchmarks; both give the same bits).
    public static func multiply(_ c: Matrix, _ a: Matrix, _ b: Matrix, form: MatMulForm = .nn,
                                accumulate: Bool = false, bias: Matrix? = nil, path: MatMulPath = .automatic) {
        if let message = shapeError(c, a, b, form: form, bias: bias) { preconditionFailure(message) }
        let k = form == .tn ? a.rows : a.columns
        a.withUnsafeMutablePointer { aPointer in
            b.withUnsafeMutablePointer { bPointer in
                c.withUnsafeMutablePointer { cPointer in
                    multiply(m: c.rows, n: c.columns, k: k, form: form,
                             a: UnsafePointer(aPointer), lda: a.columns, b: UnsafePointer(bPointer), ldb: b.columns,
                             c: cPointer, ldc: c.columns,
                             bias: bias.map { bias in bias.withUnsafeMutablePointer { UnsafePointer($0) } },
                             accumulate: accumulate, path: path)
                }
            }
        }
    }

    /// `multiply` on raw row-major operands with their leading dimensions, for kernels whose
    /// operand is a column slice (which a `Matrix` view cannot express). The caller has checked
    /// the shapes; the bits are those of `multiply` on the same values.
    static func multiply(m: Int, n: Int, k: Int, form: MatMulForm,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?,
                         accumulate: Bool, path: MatMulPath) {
        let instructionSet = InstructionSet.active
        var plan = GemmPlan(m: m, n: n, k: k, form: form.gemmForm, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                            bias: bias, accumulate: accumulate, tileWidth: instructionSet.tileWidth,
                            packedRows: instructionSet.packedRows)
        run(&plan, path: path, instructionSet: instructionSet)
    }

    /// Validates shapes and returns (m, n, k). Traps, with all shapes in the message, when they
    /// do not agree.
    @discardableResult
    static func checkShapes(_ c: Matrix, _ a: Matrix, _ b: Matrix, form: MatMulForm, bias: Matrix?) -> (Int, Int, Int) {
        if let message = shapeError(c, a, b, form: form, bias: bias) { preconditionFailure(message) }
        return (c.rows, c.columns, form == .tn ? a.rows : a.columns)
    }

    /// Why these operands cannot be multiplied, or nil when they can.
    static func shapeError(_ c: Matrix, _ a: Matrix, _ b: Matrix, form: MatMulForm, bias: Matrix?) -> String? {
        let m = c.rows, n = c.columns
        let k: Int
        let agrees: Bool
        switch form {
        case .nn: k = a.columns; agrees = a.rows == m && b.rows == k && b.columns == n
        case .nt: k = a.columns; agrees = a.rows == m && b.columns == k && b.rows == n
        case .tn: k = a.rows; agrees = a.columns == m && b.rows == k && b.columns == n
        }
        // Messages are built only on failure: formatting costs more than a small product.
        var shapes: String { "c \(c.shapeDescription), a \(a.shapeDescription), b \(b.shapeDescription)" }
        if !agrees { return "MatMul.\(form): shapes do not agree: \(shapes)" }
        if let bias, bias.count != n {
            return "MatMul.\(form): bias has \(bias.count) elements, c has \(n) columns (\(shapes))"
        }
        if overlaps(c, a) || overlaps(c, b) { return "MatMul.\(form): c overlaps an operand (\(shapes))" }
        return nil
    }

    static func overlaps(_ x: Matrix, _ y: Matrix) -> Bool {
        x.buffer === y.buffer && x.count > 0 && y.count > 0
            && x.offset < y.offset + y.count && y.offset < x.offset + x.count
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
