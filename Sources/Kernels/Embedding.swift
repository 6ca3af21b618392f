// Token embedding lookup with context concatenation, and its scatter-add backward.
//
// Shapes (B batch, T context length, d embedding width, V vocabulary):
//   tokens (B·T) ids, row b holds the T context tokens of example b, oldest first;
//   table (V,d); output (B, T·d) = [table[t_1] | table[t_2] | … | table[t_T]].

public enum Embedding {
    /// Gathers the embedding rows of each example's context into one row of `output`.
    public static func forward(output: Matrix, tokens: [Int32], table: Matrix, contextLength: Int) {
        let batch = output.rows, width = table.columns
        precondition(output.columns == contextLength * width && tokens.count >= batch * contextLength,
                     "Embedding.forward: output \(output.shapeDescription), \(tokens.count) tokens, table \(table.shapeDescription), context \(contextLength)")
        for b in 0..<batch {
            for t in 0..<contextLength {
                let token = Int(tokens[b * contextLength + t])
                precondition(token >= 0 && token < table.rows, "Embedding.forward: token \(token) outside vocabulary of \(table.rows)")
                for j in 0..<width { output[b, t * width + j] = table[token, j] }
            }
        }
    }

    /// Accumulates dTable[token] += the slice of dOutput that token's copy produced.
    public static func backward(dTable: Matrix, dOutput: Matrix, tokens: [Int32], contextLength: Int) {
        let batch = dOutput.rows, width = dTable.columns
        precondition(dOutput.columns == contextLength * width && tokens.count >= batch * contextLength,
                     "Embedding.backward: dOutput \(dOutput.shapeDescription), \(tokens.count) tokens, dTable \(dTable.shapeDescription), context \(contextLength)")
        for b in 0..<batch {
            for t in 0..<contextLength {
                let token = Int(tokens[b * contextLength + t])
                precondition(token >= 0 && token < dTable.rows, "Embedding.backward: token \(token) outside vocabulary of \(dTable.rows)")
                for j in 0..<width { dTable[token, j] += dOutput[b, t * width + j] }
            }
        }
    }
}
