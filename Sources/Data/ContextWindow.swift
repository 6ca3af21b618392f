// Examples and their contexts. In a split's stream every position p ≥ 1 is one example: the
// target is stream[p]; the context is the T = contextLength tokens before p, oldest first, cut at
// the most recent boundary token at or before p − 1, everything older replaced by the boundary
// (left padding at a document start; positions before the stream count as boundaries).
//
//   stream [B e m m a B o l], T = 3:
//     p = 1 → [B B B] → e      p = 4 → [e m m] → a      p = 5 → [m m a] → B (end of document)
//     p = 6 → [B B B] → o      p = 7 → [B B o] → l
//
// A context never mixes two documents, so the order of documents in a stream cannot leak into
// training, and the bigram (T = 1) sees exactly makemore's pairs.

/// Filling context windows (T = contextLength tokens, oldest first) from token streams.
public enum ContextWindow {
    /// Writes the context of `position` in `stream` into `context[offset ..< offset + contextLength]`.
    /// `position` may be `stream.count` (the context for predicting the token after the stream, as
    /// a sampler needs).
    public static func fill(_ context: inout [Int32], at offset: Int = 0, stream: [Int32], position: Int,
                            contextLength: Int, boundaryToken: Int32) {
        precondition(contextLength >= 0 && offset >= 0 && offset + contextLength <= context.count,
                     "context buffer too small")
        precondition(position >= 0 && position <= stream.count, "position \(position) outside 0...\(stream.count)")
        let available = min(position, contextLength)
        let padding = contextLength - available
        context.withUnsafeMutableBufferPointer { output in
            stream.withUnsafeBufferPointer { tokens in
                let out = output.baseAddress! + offset
                for i in 0..<padding { out[i] = boundaryToken }
                for i in 0..<available { out[padding + i] = tokens[position - available + i] }
                cutAtBoundary(out, contextLength: contextLength, boundaryToken: boundaryToken)
            }
        }
    }

    /// The context of `position` in `stream` as a new array.
    public static func context(in stream: [Int32], position: Int, contextLength: Int, boundaryToken: Int32) -> [Int32] {
        var context = [Int32](repeating: boundaryToken, count: contextLength)
        fill(&context, stream: stream, position: position, contextLength: contextLength, boundaryToken: boundaryToken)
        return context
    }

    /// Every example of an in-memory stream, in stream order: `contexts` is (N, T) row-major and
    /// `targets` (N), N = stream.count − 1 (positions 1 ..< stream.count).
    public static func examples(stream: [Int32], contextLength: Int, boundaryToken: Int32)
        -> (contexts: [Int32], targets: [Int32]) {
        let count = max(0, stream.count - 1)
        var contexts = [Int32](repeating: boundaryToken, count: count * contextLength)
        var targets = [Int32](repeating: boundaryToken, count: count)
        for i in 0..<count {
            fill(&contexts, at: i * contextLength, stream: stream, position: i + 1, contextLength: contextLength,
                 boundaryToken: boundaryToken)
            targets[i] = stream[i + 1]
        }
        return (contexts, targets)
    }

    /// Copies the T tokens at `window` (the tokens just before an example) into `output`, then cuts
    /// at the most recent boundary. The loaders' inner loop: no allocation, no checks.
    @inline(__always)
    static func copy(_ output: UnsafeMutablePointer<Int32>, from window: UnsafePointer<Int32>,
                     contextLength: Int, boundaryToken: Int32) {
        output.update(from: window, count: contextLength)
        cutAtBoundary(output, contextLength: contextLength, boundaryToken: boundaryToken)
    }

    @inline(__always)
    static func cutAtBoundary(_ context: UnsafeMutablePointer<Int32>, contextLength: Int, boundaryToken: Int32) {
        var j = contextLength &- 1
        while j > 0 && context[j] != boundaryToken { j &-= 1 }
        // context[j] is the most recent boundary (or j == 0): everything older becomes the boundary.
        if j > 0 {
            for k in 0..<j { context[k] = boundaryToken }
        }
    }
}
