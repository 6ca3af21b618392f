// SHA-256 (FIPS 180-4), streaming. Used for shard checksums in the manifest and for the
// `weightsSHA256` fingerprint of checkpoints. Not constant-time: it fingerprints data, it guards
// no secrets.
//
// Whole blocks go through the CPU's SHA extensions when it has them (CSHA256, checked once at run
// time: x86 SHA-NI), about 5× the portable Swift rounds below; both give the same digest, and the
// tests compare them.

import CSHA256

public struct SHA256: Sendable {
    /// Whether this CPU runs SHA-256 rounds in hardware.
    public static let hasHardwareRounds = descent_sha256_hardware_available() != 0
    /// Set false (tests) to run the portable rounds on any CPU.
    let usesHardware: Bool
    private var hash: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    public init() { self.init(usingHardware: SHA256.hasHardwareRounds) }

    init(usingHardware: Bool) {
        usesHardware = usingHardware && SHA256.hasHardwareRounds
        pending.reserveCapacity(64)
    }

    /// One-shot digest of `bytes` as 64 lowercase hex digits.
    public static func hexDigest<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        if bytes.withContiguousStorageIfAvailable({ hasher.update(UnsafeRawBufferPointer($0)) }) == nil { hasher.update(bytes) }
        return hasher.finalizeHex()
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            totalBytes &+= 1
            pending.append(byte)
            if pending.count == 64 {
                compressBlock(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Faster path for contiguous memory: whole blocks are compressed without copying.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var index = 0
        totalBytes &+= UInt64(buffer.count)
        if !pending.isEmpty {
            while index < buffer.count && pending.count < 64 {
                pending.append(buffer[index]); index += 1
            }
            if pending.count == 64 { compressBlock(pending); pending.removeAll(keepingCapacity: true) }
        }
        let wholeBlocks = (buffer.count - index) / 64
        if usesHardware && wholeBlocks > 0, let base = buffer.baseAddress {
            withUnsafeMutableBytes(of: &hash) { state in
                descent_sha256_hardware_blocks(state.baseAddress!.assumingMemoryBound(to: UInt32.self),
                                               base.assumingMemoryBound(to: UInt8.self) + index, wholeBlocks)
            }
            index += wholeBlocks * 64
        }
        while buffer.count - index >= 64 {
            compressBlock(UnsafeRawBufferPointer(rebasing: buffer[index..<(index + 64)]))
            index += 64
        }
        while index < buffer.count { pending.append(buffer[index]); index += 1 }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest as 32 bytes. The hasher is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        let messageBits = totalBytes &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: messageBits >> UInt64(shift))) }
        for start in stride(from: 0, to: tail.count, by: 64) { compressBlock(Array(tail[start..<(start + 64)])) }
        pending.removeAll()
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [hash.0, hash.1, hash.2, hash.3, hash.4, hash.5, hash.6, hash.7] {
            out.append(contentsOf: [UInt8(word >> 24), UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)])
        }
        return out
    }

    public mutating func finalizeHex() -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(64)
        for byte in finalize() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    private mutating func compressBlock(_ block: [UInt8]) {
        block.withUnsafeBytes { compressBlock($0) }
    }

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private mutating func compressBlock(_ block: UnsafeRawBufferPointer) {
        // The message schedule lives on the stack and the constants are read through a pointer:
        // a heap array per 64-byte block, and bounds checks in the rounds, cost 3× the hashing.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            SHA256.roundConstants.withUnsafeBufferPointer { k in
                for i in 0..<16 {
                    w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self))
                }
                for i in 16..<64 {
                    let s0 = rotr(w[i &- 15], 7) ^ rotr(w[i &- 15], 18) ^ (w[i &- 15] >> 3)
                    let s1 = rotr(w[i &- 2], 17) ^ rotr(w[i &- 2], 19) ^ (w[i &- 2] >> 10)
                    w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                }
                var (a, b, c, d, e, f, g, h) = hash
                for i in 0..<64 {
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let choose = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ choose &+ k[i] &+ w[i]
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ majority
                    (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
                }
                hash = (hash.0 &+ a, hash.1 &+ b, hash.2 &+ c, hash.3 &+ d, hash.4 &+ e, hash.5 &+ f, hash.6 &+ g, hash.7 &+ h)
            }
        }
    }

    @inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
