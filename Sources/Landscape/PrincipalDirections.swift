// The plane of a training path (Li et al. 2018, section 7): the first two principal components
// of the differences θ_i − θ_final over a run's snapshots, and the path's coordinates on it.
//
// With n snapshots of P values, the differences are the rows of an n×P matrix D. As in the
// paper's code (scikit-learn's PCA), the components are those of D with its column means
// removed; they are found from the n×n Gram matrix of the centred rows (n is small, P is not),
// whose eigenvectors u_k give the components v_k = D_cᵀ u_k / √λ_k. The share of variance of
// component k is λ_k / Σλ. The path's coordinates are the dot products of the uncentred
// differences with v_1 and v_2, so the final weights sit at the origin. Everything runs in Double
// in index order (deterministic). Not handled: more than two components.


public struct PrincipalPlane: Sendable {
    /// The two unit directions, P values each.
    public let first: [Double]
    public let second: [Double]
    /// The share of the centred differences' variance along each direction.
    public let explainedVariance: (first: Double, second: Double)
    /// (x, y) of each snapshot, in snapshot order (the last is (0, 0) when it is θ_final).
    public let path: [(x: Double, y: Double)]
}

public enum PrincipalDirectionsError: Error, Equatable, CustomStringConvertible {
    case tooFewSnapshots(found: Int)
    case noMovement

    public var description: String {
        switch self {
        case .tooFewSnapshots(let found):
            return "the path needs at least 3 weight snapshots, the run has \(found). Train with --set training.trajectoryPoints=20 (or more)."
        case .noMovement:
            return "the snapshots are all equal to the final weights: the run did not move. Train longer or with a larger learning rate."
        }
    }
}

public enum PrincipalDirections {
    /// The principal plane of `snapshots − final` (each snapshot and `final` have the same count).
    public static func plane(snapshots: [[Float]], final: [Float]) throws(PrincipalDirectionsError) -> PrincipalPlane {
        let n = snapshots.count
        guard n >= 3 else { throw .tooFewSnapshots(found: n) }
        let p = final.count
        precondition(snapshots.allSatisfy { $0.count == p }, "PrincipalDirections: snapshots of unequal size")
        // The differences are kept once, uncentred; the centred Gram matrix and components come
        // from them and the mean m: (d_a − m)·(d_b − m) = d_a·d_b − d_a·m − d_b·m + m·m.
        var differences = [[Double]](repeating: [Double](repeating: 0, count: p), count: n)
        var mean = [Double](repeating: 0, count: p)
        for i in 0..<n {
            for j in 0..<p {
                let value = Double(snapshots[i][j]) - Double(final[j])
                differences[i][j] = value
                mean[j] += value
            }
        }
        for j in 0..<p { mean[j] /= Double(n) }
        func dot(_ a: [Double], _ b: [Double]) -> Double {
            var sum = 0.0
            for j in 0..<p { sum += a[j] * b[j] }
            return sum
        }
        let towardsMean = differences.map { dot($0, mean) }
        let meanSquare = dot(mean, mean)
        var gram = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for a in 0..<n {
            for b in a..<n {
                let value = dot(differences[a], differences[b]) - towardsMean[a] - towardsMean[b] + meanSquare
                gram[a][b] = value
                gram[b][a] = value
            }
        }
        let (values, vectors) = SymmetricEigen.decompose(gram)
        let total = values.reduce(0) { $0 + max($1, 0) }
        guard total > 0, values[0] > 0 else { throw .noMovement }
        func component(_ k: Int) -> [Double] {
            guard values[k] > 1e-12 * values[0] else { return [Double](repeating: 0, count: p) }
            var v = [Double](repeating: 0, count: p)
            var weightSum = 0.0
            for i in 0..<n where vectors[k][i] != 0 {
                let weight = vectors[k][i]
                weightSum += weight
                for j in 0..<p { v[j] += weight * differences[i][j] }
            }
            for j in 0..<p { v[j] -= weightSum * mean[j] }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? v.map { $0 / norm } : v
        }
        let first = component(0), second = component(1)
        let path = differences.map { row -> (x: Double, y: Double) in
            var x = 0.0, y = 0.0
            for j in 0..<p {
                x += row[j] * first[j]
                y += row[j] * second[j]
            }
            return (x, y)
        }
        return PrincipalPlane(first: first, second: second,
                              explainedVariance: (max(values[0], 0) / total, max(values[1], 0) / total), path: path)
    }
}

/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations.
enum SymmetricEigen {
    /// Eigenvalues in decreasing order, and the unit eigenvector of each (vectors[k] goes with
    /// values[k]), each with its largest-magnitude entry positive so that the sign is fixed.
    static func decompose(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        let n = matrix.count
        var a = matrix
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
            var scale = 0.0
            for i in 0..<n { scale += a[i][i] * a[i][i] }
            if off <= 1e-30 * max(scale, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where a[p][q] != 0 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let diagonal: [Double] = (0..<n).map { a[$0][$0] }
        let order = (0..<n).sorted { (i: Int, j: Int) -> Bool in
            diagonal[i] != diagonal[j] ? diagonal[i] > diagonal[j] : i < j
        }
        let vectors = order.map { k -> [Double] in
            var column = (0..<n).map { v[$0][k] }
            let largest = column.indices.max { abs(column[$0]) < abs(column[$1]) } ?? 0
            if column[largest] < 0 { column = column.map { -$0 } }
            return column
        }
        return (order.map { diagonal[$0] }, vectors)
    }
}
