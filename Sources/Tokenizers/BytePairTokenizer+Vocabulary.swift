// The tables a byte-level BPE encodes with, built once per tokenizer and then only read, so one
// instance is shared by every thread: each token's bytes, bytes → token, and (left, right) →
// token for every way of writing a token as two tokens (the pairs tiktoken's rank lookup can
// find). Merging a piece is the tiktoken rule (see BytePairTokenizer.swift): an O(n²) scan for
// short pieces, a heap of candidate pairs for long ones (a long run of spaces is one piece).
// Not handled: mutation (a new vocabulary is a new instance).
import Foundation

/// Immutable encoding tables of one vocabulary.
final class Vocabulary: @unchecked Sendable {
    /// Token t's bytes are `arena[starts[t] ..< starts[t + 1]]`.
    private let starts: [Int]
    private let arena: [UInt8]
    /// Bytes → token id, for the bytes and merges.
    let tokens: FrozenByteStringTable
    /// (left << 32 | right) → token, open addressing; a key of 0 marks an empty slot, and the pair
    /// (0, 0) is stored with key `UInt64.max` instead. Raw memory, read by many threads.
    private let pairKeys: UnsafeMutableBufferPointer<UInt64>
    private let pairTokens: UnsafeMutableBufferPointer<Int32>
    private let pairMask: Int
    /// An identity for per-thread caches (never reused within a process).
    let identity: UInt64

    /// Pieces longer than this merge with the heap.
    static let heapThreshold = 48

    init(merges: [BytePairTokenizer.Merge]) {
        var starts = [0]
        var arena: [UInt8] = []
        for byte in 0..<256 {
            arena.append(UInt8(byte))
            starts.append(arena.count)
        }
        for merge in merges {
            arena += arena[starts[Int(merge.left)]..<starts[Int(merge.left) + 1]]
            arena += arena[starts[Int(merge.right)]..<starts[Int(merge.right) + 1]]
            starts.append(arena.count)
        }
        var tokens = ByteStringTable(capacity: starts.count)
        arena.withUnsafeBufferPointer { bytes in
            for token in 0..<(starts.count - 1) {
                let start = bytes.baseAddress! + starts[token], length = starts[token + 1] - starts[token]
                _ = tokens.findOrInsert(start, length, hash: ByteStringTable.hash(start, length), value: token)
            }
        }
        // Every split of every multi-byte token into two tokens.
        var pairs: [(UInt64, Int32)] = []
        arena.withUnsafeBufferPointer { bytes in
            for token in 256..<(starts.count - 1) {
                let start = bytes.baseAddress! + starts[token], length = starts[token + 1] - starts[token]
                for cut in 1..<length {
                    let left = tokens.find(start, cut, hash: ByteStringTable.hash(start, cut))
                    guard left >= 0 else { continue }
                    let right = tokens.find(start + cut, length - cut, hash: ByteStringTable.hash(start + cut, length - cut))
                    guard right >= 0 else { continue }
                    pairs.append((UInt64(tokens.values[left]) << 32 | UInt64(tokens.values[right]), Int32(token)))
                }
            }
        }
        var size = 16
        while size < pairs.count * 2 { size <<= 1 }
        var keys = [UInt64](repeating: 0, count: size)
        var values = [Int32](repeating: -1, count: size)
        for (key, token) in pairs {
            let stored = key == 0 ? UInt64.max : key
            var slot = Self.slot(stored, mask: size - 1)
            while keys[slot] != 0 { slot = (slot + 1) & (size - 1) }
            keys[slot] = stored
            values[slot] = token
        }
        self.starts = starts
        self.arena = arena
        self.tokens = FrozenByteStringTable(tokens)
        pairKeys = .allocate(capacity: size)
        _ = pairKeys.initialize(from: keys)
        pairTokens = .allocate(capacity: size)
        _ = pairTokens.initialize(from: values)
        pairMask = size - 1
        identity = VocabularyIdentity.next()
    }

    deinit {
        tokens.deallocate()
        pairKeys.deallocate()
        pairTokens.deallocate()
    }

    /// Why `merges` cannot be a vocabulary (an id not yet defined, or bytes another token has), or nil.
    static func problem(with merges: [BytePairTokenizer.Merge]) -> String? {
        var seen = Set<[UInt8]>()
        var bytes: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        for (index, merge) in merges.enumerated() {
            let limit = Int32(256 + index)
            guard merge.left >= 0, merge.left < limit, merge.right >= 0, merge.right < limit else {
                return "merge \(index) (token \(limit)) refers to an id that is not an earlier token"
            }
            let token = bytes[Int(merge.left)] + bytes[Int(merge.right)]
            guard seen.insert(token).inserted else { return "merge \(index) (token \(limit)) repeats the bytes of an earlier token" }
            bytes.append(token)
        }
        return nil
    }

    func bytes(of token: Int) -> ArraySlice<UInt8> { arena[starts[token]..<starts[token + 1]] }

    @inline(__always)
    private static func slot(_ key: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) &>> 32) & mask
    }

    /// The token whose bytes are `left`'s then `right`'s, or −1.
    @inline(__always)
    func pair(_ left: Int32, _ right: Int32) -> Int32 {
        var key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        if key == 0 { key = UInt64.max }
        var slot = Self.slot(key, mask: pairMask)
        while true {
            let found = pairKeys[slot]
            if found == key { return pairTokens[slot] }
            if found == 0 { return -1 }
            slot = (slot &+ 1) & pairMask
        }
    }

    /// Appends the tokens of one piece (not itself a token) by tiktoken's merge rule.
    func merge(_ piece: UnsafePointer<UInt8>, _ length: Int, appendingTo tokens: inout [Int32]) {
        if length > Self.heapThreshold {
            mergeWithHeap(piece, length, appendingTo: &tokens)
            return
        }
        // parts[i] and ranks[i] = pair(parts[i], parts[i + 1]) (Int32.max: none), shrinking in place.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * length) { buffer in
            let parts = buffer.baseAddress!
            let ranks = parts + length
            for i in 0..<length { parts[i] = Int32(piece[i]) }
            var count = length
            for i in 0..<(count - 1) { ranks[i] = rank(parts[i], parts[i + 1]) }
            while count > 1 {
                var best = 0
                var bestRank = ranks[0]
                for i in 1..<(count - 1) where ranks[i] < bestRank {
                    best = i
                    bestRank = ranks[i]
                }
                if bestRank == Int32.max { break }
                parts[best] = bestRank
                for i in (best + 1)..<(count - 1) { parts[i] = parts[i + 1] }
                for i in (best + 1)..<max(best + 1, count - 2) { ranks[i] = ranks[i + 1] }
                count -= 1
                if best > 0 { ranks[best - 1] = rank(parts[best - 1], parts[best]) }
                if best < count - 1 { ranks[best] = rank(parts[best], parts[best + 1]) }
            }
            tokens.append(contentsOf: UnsafeBufferPointer(start: parts, count: count))
        }
    }

    @inline(__always)
    private func rank(_ left: Int32, _ right: Int32) -> Int32 {
        let token = pair(left, right)
        return token < 0 ? Int32.max : token
    }

    /// The same rule with a binary heap of (rank, position) over a linked list of parts: O(n log n).
    func mergeWithHeap(_ piece: UnsafePointer<UInt8>, _ length: Int, appendingTo tokens: inout [Int32]) {
        var parts = (0..<length).map { Int32(piece[$0]) }
        var next = Array(1...length)          // length = none
        var previous = Array(-1..<(length - 1))
        var alive = [Bool](repeating: true, count: length)
        // Entries (rank << 32 | position): the smallest is the lowest rank, then the leftmost.
        var heap = BinaryHeap<UInt64>()
        func push(_ position: Int) {
            let after = next[position]
            guard after < length else { return }
            let token = pair(parts[position], parts[after])
            if token >= 0 { heap.push(UInt64(UInt32(token)) << 32 | UInt64(position)) }
        }
        for i in 0..<(length - 1) { push(i) }
        while let entry = heap.pop() {
            let position = Int(entry & 0xFFFF_FFFF), token = Int32(truncatingIfNeeded: entry >> 32)
            guard alive[position] else { continue }
            let after = next[position]
            // Stale when either part has changed since the entry was pushed.
            guard after < length, pair(parts[position], parts[after]) == token else { continue }
            parts[position] = token
            alive[after] = false
            next[position] = next[after]
            if next[after] < length { previous[next[after]] = position }
            if previous[position] >= 0 { push(previous[position]) }
            push(position)
        }
        var i = 0
        while i < length {
            tokens.append(parts[i])
            i = next[i]
        }
    }
}

/// Process-unique identities for vocabularies (a freed vocabulary's address may be reused; its
/// identity is not), so a per-thread cache never serves another vocabulary's tokens.
enum VocabularyIdentity {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: UInt64 = 0

    static func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        last += 1
        return last
    }
}

/// Pre-token → tokens, for pieces that are not tokens themselves: a value, moved out of its
/// thread's `EncodeCache` for one `encode` call (so the hot loop touches a local, not a class's
/// arrays, which would cost a retain and release per access). Emptied when it holds more than
/// `limitBytes` of keys and tokens.
struct PieceCache {
    private var table: ByteStringTable
    private var stored: [Int32] = []
    static let limitBytes = 8 << 20
    /// A placeholder left in the class while the cache is out (copying it allocates nothing).
    static let placeholder = PieceCache(capacity: 0)

    init(capacity: Int) { table = ByteStringTable(capacity: capacity) }

    /// Appends the cached tokens of the piece; false when it is not cached.
    @inline(__always)
    func append(_ piece: UnsafePointer<UInt8>, _ length: Int, hash: UInt64, to tokens: inout [Int32]) -> Bool {
        let index = table.find(piece, length, hash: hash)
        guard index >= 0 else { return false }
        let packed = table.values[index]
        let start = packed >> 16, count = packed & 0xFFFF
        stored.withUnsafeBufferPointer { tokens.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
        return true
    }

    mutating func insert(_ piece: UnsafePointer<UInt8>, _ length: Int, hash: UInt64, tokens: ArraySlice<Int32>) {
        guard tokens.count <= 0xFFFF else { return }
        if table.arenaBytes + stored.count * 4 > Self.limitBytes {
            table.removeAll()
            stored.removeAll(keepingCapacity: true)
        }
        let (_, inserted) = table.findOrInsert(piece, length, hash: hash, value: stored.count << 16 | tokens.count)
        if inserted { stored += tokens }
    }
}

/// One thread's `PieceCache` for one vocabulary (see `forCurrentThread`).
final class EncodeCache {
    var pieces = PieceCache(capacity: 4096)
    private let identity: UInt64

    init(identity: UInt64) { self.identity = identity }

    private static let threadKey = "descent.bpe.encode-cache"

    /// The calling thread's cache for `vocabulary`, made (or replaced) when needed.
    static func forCurrentThread(_ vocabulary: Vocabulary) -> EncodeCache {
        let dictionary = Thread.current.threadDictionary
        if let cache = dictionary[threadKey] as? EncodeCache, cache.identity == vocabulary.identity { return cache }
        let cache = EncodeCache(identity: vocabulary.identity)
        dictionary[threadKey] = cache
        return cache
    }

    /// Moves the cache out (the class keeps a placeholder until `put`).
    func take() -> PieceCache {
        var taken = PieceCache.placeholder
        swap(&taken, &pieces)
        return taken
    }

    func put(_ cache: PieceCache) { pieces = cache }
}
