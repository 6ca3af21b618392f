// An open-addressing hash table from byte strings to integers, with the keys' bytes in one arena:
// the pre-token counts of the BPE trainer and the token lookup of the encoder. A lookup hashes
// the bytes in place and allocates nothing, which a `Dictionary<[UInt8], Int>` cannot do.
// Not handled: removal (nothing here ever removes one key; `removeAll` empties the table).

import Foundation

/// Byte string → Int, insertion-ordered storage, linear probing at load ≤ 1/2.
struct ByteStringTable {
    /// Per slot: 0 = empty, else entry index + 1.
    private var slots: [Int32]
    private var mask: Int
    private(set) var hashes: [UInt64] = []
    /// Entry i's key is `arena[starts[i] ..< starts[i + 1]]`.
    private(set) var starts: [Int] = [0]
    private(set) var arena: [UInt8] = []
    var values: [Int] = []

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { values.count }
    var slotsAndMask: ([Int32], Int) { (slots, mask) }
    var arenaBytes: Int { arena.count }

    /// The key of entry `index`.
    func key(_ index: Int) -> ArraySlice<UInt8> { arena[starts[index]..<starts[index + 1]] }

    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var i = 0
        while i &+ 8 <= count {
            h = (h ^ UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h &>> 29
            i &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(bytes[i]) &<< shift
            shift &+= 8
            i &+= 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h &>> 32)
    }

    /// The entry index of the key `bytes[0..<count]`, or −1.
    @inline(__always)
    func find(_ bytes: UnsafePointer<UInt8>, _ count: Int, hash: UInt64) -> Int {
        slots.withUnsafeBufferPointer { slots in
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let entry = Int(slots[slot]) &- 1
                if entry < 0 { return -1 }
                if hashes[entry] == hash && matches(entry, bytes, count) { return entry }
                slot = (slot &+ 1) & mask
            }
        }
    }

    @inline(__always)
    private func matches(_ entry: Int, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let start = starts[entry]
        guard starts[entry + 1] - start == count else { return false }
        return arena.withUnsafeBufferPointer { Self.equal($0.baseAddress! + start, bytes, count) }
    }

    /// Whether `count` bytes at `a` and `b` are equal: eight at a time, most keys being short
    /// enough that a call to memcmp would cost more than the comparison.
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var i = 0
        while i &+ 8 <= count {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i &+= 8
        }
        while i < count {
            if a[i] != b[i] { return false }
            i &+= 1
        }
        return true
    }

    /// The index of the key, inserted with `value` if absent (`inserted` tells which).
    @inline(__always)
    mutating func findOrInsert(_ bytes: UnsafePointer<UInt8>, _ count: Int, hash: UInt64, value: Int) -> (index: Int, inserted: Bool) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot]) &- 1
            if entry < 0 { break }
            if hashes[entry] == hash && matches(entry, bytes, count) { return (entry, false) }
            slot = (slot &+ 1) & mask
        }
        let index = values.count
        hashes.append(hash)
        arena.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
        starts.append(arena.count)
        values.append(value)
        slots[slot] = Int32(index + 1)
        if values.count * 2 > slots.count { grow() }
        return (index, true)
    }

    /// Adds `amount` to the key's value (inserting it at `amount`).
    @inline(__always)
    mutating func add(_ bytes: UnsafePointer<UInt8>, _ count: Int, amount: Int) {
        let hash = Self.hash(bytes, count)
        let (index, inserted) = findOrInsert(bytes, count, hash: hash, value: amount)
        if !inserted { values[index] &+= amount }
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i] = 0 }
        hashes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        arena.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        for index in 0..<values.count {
            var slot = Int(truncatingIfNeeded: hashes[index]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index + 1)
        }
    }
}

/// A `ByteStringTable` copied into memory that is only read, for lookups from many threads at
/// once: Swift arrays read from several threads contend on their reference counts, raw memory
/// does not. The owner calls `deallocate` once no thread uses it.
struct FrozenByteStringTable: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let hashes: UnsafeMutableBufferPointer<UInt64>
    private let starts: UnsafeMutableBufferPointer<Int>
    private let arena: UnsafeMutableBufferPointer<UInt8>
    let values: UnsafeMutableBufferPointer<Int>
    private let mask: Int

    init(_ table: ByteStringTable) {
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
            _ = buffer.initialize(from: array)
            return buffer
        }
        let (slotArray, mask) = table.slotsAndMask
        slots = copy(slotArray)
        hashes = copy(table.hashes)
        starts = copy(table.starts)
        arena = copy(table.arena)
        values = copy(table.values)
        self.mask = mask
    }

    func deallocate() {
        slots.deallocate()
        hashes.deallocate()
        starts.deallocate()
        arena.deallocate()
        values.deallocate()
    }

    /// The entry index of the key `bytes[0..<count]`, or −1.
    @inline(__always)
    func find(_ bytes: UnsafePointer<UInt8>, _ count: Int, hash: UInt64) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot]) &- 1
            if entry < 0 { return -1 }
            if hashes[entry] == hash {
                let start = starts[entry]
                if starts[entry &+ 1] &- start == count && ByteStringTable.equal(arena.baseAddress! + start, bytes, count) { return entry }
            }
            slot = (slot &+ 1) & mask
        }
    }
}
