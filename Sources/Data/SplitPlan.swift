// Phase (b) of `descent prepare`: which documents go to validation. It needs only the document
// count, the fraction and the seed, so it is decided before any document is encoded, and the
// selection is drawn document by document as the encoder reaches them (no per-document memory).
//
// Validation holds out k = round(F · n) whole documents (at least 1 when F > 0, never all), chosen
// by Knuth's selection sampling (Algorithm S, TAOCP vol. 2 §3.4.2) with Xoshiro256(seed), in
// document order: document i is selected with probability (still needed) / (documents left), so
// exactly k are. A single-document corpus is cut at a token boundary instead (`tail`): train =
// B t[0..<cut], val = B t[cut..<n] B with cut = n − max(1, round(F · n)), n known after encoding.
import Core

/// How a corpus of `documents` documents is split.
struct SplitPlan: Equatable {
    let holdout: ValidationHoldout
    let documents: Int
    let valFraction: Double
    let seed: UInt64
    /// Documents of each split; a `tail` corpus's one document counts in both.
    let trainDocuments: Int
    let valDocuments: Int

    init(documents: Int, valFraction: Double, seed: UInt64) {
        self.documents = documents
        self.valFraction = valFraction
        self.seed = seed
        if valFraction > 0 && documents == 1 {
            holdout = .tail
            trainDocuments = 1
            valDocuments = 1
            return
        }
        var k = Int((valFraction * Double(documents)).rounded())
        if valFraction > 0 { k = min(max(k, 1), documents - 1) } else { k = 0 }
        holdout = k > 0 ? .documents : .none
        trainDocuments = documents - k
        valDocuments = k
    }

    /// The validation choice, document by document (all false unless `holdout` is `documents`).
    func selection() -> ValidationSelection {
        ValidationSelection(documents: documents, selecting: holdout == .documents ? valDocuments : 0, seed: seed)
    }

    /// `tail`: how many of the document's `tokens` tokens go to train.
    func tailCut(tokens n: Int) throws(DataError) -> Int {
        let held = max(1, Int((valFraction * Double(n)).rounded()))
        let cut = n - held
        guard cut >= 1 else { throw .corpusTooSmall(tokens: n, valFraction: valFraction) }
        return cut
    }
}

/// Algorithm S over `documents` documents, selecting `selecting` of them.
struct ValidationSelection {
    private var generator: Xoshiro256
    private let documents: Int
    private var needed: Int
    private var index = 0

    init(documents: Int, selecting count: Int, seed: UInt64) {
        generator = Xoshiro256(seed: seed)
        self.documents = documents
        needed = count
    }

    /// Whether the next document goes to validation. Call once per document, at most `documents` times.
    mutating func next() -> Bool {
        defer { index += 1 }
        guard needed > 0, generator.nextInt(below: documents - index) < needed else { return false }
        needed -= 1
        return true
    }
}
