// Shared helpers for the kernel tests: seeded operands, Double references, finite differences,
// thread-count scoping.

import Core
import XCTest
@testable import Kernels

/// A matrix with entries uniform in [-scale, scale), from a seeded generator.
func randomMatrix(_ rows: Int, _ columns: Int, _ generator: inout Xoshiro256, scale: Float = 1) -> Matrix {
    let matrix = Matrix(rows: rows, columns: columns)
    for i in 0..<matrix.count { matrix[i] = (generator.nextFloat() * 2 - 1) * scale }
    return matrix
}

func copyOf(_ matrix: Matrix) -> Matrix {
    let copy = Matrix(rows: matrix.rows, columns: matrix.columns)
    copy.copy(from: matrix)
    return copy
}

/// Bitwise equality of two matrices' contents.
func bits(_ matrix: Matrix) -> [UInt32] { matrix.toArray().map(\.bitPattern) }

/// Runs `body` with `Parallel.threadCount` set to `count`, restoring it afterwards.
func withThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
    let saved = Parallel.threadCount
    Parallel.threadCount = count
    defer { Parallel.threadCount = saved }
    return try body()
}

/// op(a)·op(b) (+ bias) in Double, and Σ|a||b| per element (the scale rounding errors grow with).
func doubleProduct(_ a: Matrix, _ b: Matrix, form: MatMulForm, m: Int, n: Int, k: Int, bias: Matrix?)
    -> (value: [Double], magnitude: [Double]) {
    var value = [Double](repeating: 0, count: m * n), magnitude = value
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0, size = 0.0
            for p in 0..<k {
                let x = Double(form == .tn ? a[p, i] : a[i, p])
                let y = Double(form == .nt ? b[j, p] : b[p, j])
                sum += x * y
                size += abs(x * y)
            }
            if let bias { sum += Double(bias[j]); size += abs(Double(bias[j])) }
            value[i * n + j] = sum
            magnitude[i * n + j] = size
        }
    }
    return (value, magnitude)
}

/// Central finite difference of a scalar function of one parameter entry:
/// (L(x + h) − L(x − h)) / 2h, restoring the entry afterwards.
func centralDifference(_ parameter: Matrix, _ index: Int, step: Float, _ loss: () -> Double) -> Double {
    let saved = parameter[index]
    parameter[index] = saved + step
    let plus = loss()
    parameter[index] = saved - step
    let minus = loss()
    parameter[index] = saved
    return (plus - minus) / (Double(saved + step) - Double(saved - step))
}

/// L = Σ out·dOut in Double: the scalar whose gradient with respect to `out` is dOut.
func dot(_ out: Matrix, _ dOut: Matrix) -> Double {
    var sum = 0.0
    for i in 0..<out.count { sum += Double(out[i]) * Double(dOut[i]) }
    return sum
}

/// Asserts every analytic gradient entry matches its central difference within
/// `tolerance`·max(1, |numeric|).
func assertGradient(_ analytic: Matrix, of parameter: Matrix, step: Float = 1e-2, tolerance: Double = 2e-3,
                    _ name: String, file: StaticString = #filePath, line: UInt = #line, _ loss: () -> Double) {
    for index in 0..<parameter.count {
        let numeric = centralDifference(parameter, index, step: step, loss)
        let error = abs(Double(analytic[index]) - numeric)
        if error > tolerance * max(1, abs(numeric)) {
            XCTFail("\(name)[\(index)]: analytic \(analytic[index]), numeric \(numeric)", file: file, line: line)
            return
        }
    }
}

/// Runs `body` with `InstructionSet.active` set to `set` (or the best one the CPU has, when it
/// lacks `set`), restoring it afterwards.
func withInstructionSet<T>(_ set: InstructionSet, _ body: () throws -> T) rethrows -> T {
    let saved = InstructionSet.active
    InstructionSet.active = set
    defer { InstructionSet.active = saved }
    return try body()
}

/// Random A and B for `form` and an m×n×k product (A stored k×m for `.tn`, B stored n×k for
/// `.nt`), drawn in that order.
func randomOperands(_ form: MatMulForm, m: Int, n: Int, k: Int, _ generator: inout Xoshiro256) -> (Matrix, Matrix) {
    let a = form == .tn ? randomMatrix(k, m, &generator) : randomMatrix(m, k, &generator)
    let b = form == .nt ? randomMatrix(n, k, &generator) : randomMatrix(k, n, &generator)
    return (a, b)
}
