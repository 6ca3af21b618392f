// Softmax + cross-entropy over rows of logits, fused.
//
// Shapes: logits (B,V), targets B ids in 0..<V. Numerically stable: each row is shifted by its
// maximum before exponentiation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum CrossEntropy {
    /// Sum over rows of −log softmax(logits)[target]. Leaves `logits` unchanged (evaluation).
    public static func loss(logits: Matrix, targets: [Int32]) -> Double {
        check(logits, targets)
        var total = 0.0
        for b in 0..<logits.rows {
            var maximum = -Float.infinity
            for v in 0..<logits.columns { maximum = max(maximum, logits[b, v]) }
            var sum = 0.0
            for v in 0..<logits.columns { sum += exp(Double(logits[b, v] - maximum)) }
            total += log(sum) - Double(logits[b, Int(targets[b])] - maximum)
        }
        return total
    }

    /// Returns the same sum as `loss`, and overwrites `logits` with
    /// dLogits = (softmax(logits) − onehot(target)) · gradientScale (pass 1/B for a mean loss).
    public static func forwardBackward(logits: Matrix, targets: [Int32], gradientScale: Float) -> Double {
        check(logits, targets)
        var total = 0.0
        for b in 0..<logits.rows {
            var maximum = -Float.infinity
            for v in 0..<logits.columns { maximum = max(maximum, logits[b, v]) }
            var sum = 0.0
            for v in 0..<logits.columns { sum += exp(Double(logits[b, v] - maximum)) }
            let target = Int(targets[b])
            total += log(sum) - Double(logits[b, target] - maximum)
            for v in 0..<logits.columns {
                let probability = Float(exp(Double(logits[b, v] - maximum)) / sum)
                logits[b, v] = (probability - (v == target ? 1 : 0)) * gradientScale
            }
        }
        return total
    }

    static func check(_ logits: Matrix, _ targets: [Int32]) {
        precondition(targets.count >= logits.rows, "CrossEntropy: \(targets.count) targets for logits \(logits.shapeDescription)")
        for b in 0..<logits.rows {
            let target = Int(targets[b])
            precondition(target >= 0 && target < logits.columns, "CrossEntropy: target \(target) outside 0..<\(logits.columns)")
        }
    }
}
