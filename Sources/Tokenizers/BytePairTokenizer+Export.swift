// Writing a byte-level BPE in other libraries' formats, so that tiktoken and Hugging Face
// `tokenizers` can load it and check it:
//
//   tiktoken: one line per token, `base64(token bytes) rank`, rank = our id (tiktoken.load's
//             format); the pattern and `<|endoftext|>` are given to `tiktoken.Encoding` in code.
//   hf:       a tokenizer.json: the pattern as a Split pre-tokenizer (`\p{N}{1,3}+` written
//             `\p{N}{1,3}`: Oniguruma, HF's engine, reads `{1,3}+` as "{1,3}, one or more times",
//             not as possessive; nothing follows it in its alternative, so the two agree), then ByteLevel without its
//             own regex; a BPE model whose vocab is GPT-2's byte → printable character mapping,
//             whose merges list every way of writing each token as two tokens in id order, and
//             with ignore_merges (a piece that is a token is that token, as in tiktoken);
//             `<|endoftext|>` as a special added token (set `encode_special_tokens` for the
//             spelling in text to be encoded as text, as Descent does).
// Not handled: reading these formats back.
import Foundation

extension SplitPattern {
    /// The pattern as Oniguruma (Hugging Face `tokenizers`) must be given it to match as tiktoken.
    public var onigurumaRegex: String {
        regex.replacingOccurrences(of: #"\p{N}{1,3}+"#, with: #"\p{N}{1,3}"#)
    }
}

extension BytePairTokenizer {
    /// The tiktoken rank file's text.
    public func tiktokenRanks() -> String {
        var text = ""
        for token in 0..<mergeableCount {
            text += Data(vocabulary.bytes(of: token)).base64EncodedString() + " \(token)\n"
        }
        return text
    }

    /// GPT-2's map from bytes to printable characters (HF's ByteLevel alphabet).
    static let byteLevelCharacters: [Character] = {
        var printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var mapped = printable
        var next = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            mapped.append(256 + next)
            next += 1
        }
        var characters = [Character](repeating: " ", count: 256)
        for (byte, scalar) in zip(printable, mapped) { characters[byte] = Character(Unicode.Scalar(UInt32(scalar))!) }
        return characters
    }()

    func byteLevelString(_ token: Int) -> String {
        String(vocabulary.bytes(of: token).map { Self.byteLevelCharacters[Int($0)] })
    }

    /// A Hugging Face tokenizer.json (see the file header).
    public func huggingFaceJSON() throws(TokenizerError) -> Data {
        var vocab: [String: Int] = [:]
        for token in 0..<mergeableCount { vocab[byteLevelString(token)] = token }
        var mergeList: [[String]] = []
        for token in 256..<mergeableCount {
            let merge = merges[token - 256]
            var pairs = [(Int(merge.left), Int(merge.right))]
            let bytes = Array(vocabulary.bytes(of: token))
            for cut in 1..<bytes.count {
                let left = bytes[..<cut], right = bytes[cut...]
                guard let l = vocab[String(left.map { Self.byteLevelCharacters[Int($0)] })],
                      let r = vocab[String(right.map { Self.byteLevelCharacters[Int($0)] })],
                      (l, r) != pairs[0] else { continue }
                pairs.append((l, r))
            }
            for (l, r) in pairs { mergeList.append([byteLevelString(l), byteLevelString(r)]) }
        }
        let document: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(),
            "padding": NSNull(),
            "added_tokens": [[
                "id": Int(boundaryToken), "content": Self.endOfText, "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true,
            ] as [String: Any]],
            "normalizer": NSNull(),
            "pre_tokenizer": [
                "type": "Sequence",
                "pretokenizers": [
                    ["type": "Split", "pattern": ["Regex": pattern.onigurumaRegex], "behavior": "Isolated", "invert": false] as [String: Any],
                    ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false] as [String: Any],
                ],
            ] as [String: Any],
            "post_processor": NSNull(),
            "decoder": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false] as [String: Any],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
                "vocab": vocab, "merges": mergeList,
            ] as [String: Any],
        ]
        do {
            var data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
            data.append(0x0A)
            return data
        } catch {
            throw .unencodable(reason: "\(error)")
        }
    }
}
