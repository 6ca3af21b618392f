// Per-thread scratch memory for kernels: GEMM packing panels, small partial-sum arrays, row marks.
//
// Each thread (the caller and every pool worker) owns one `Workspace`, created on its first
// kernel call and kept until the thread exits. Buffers only grow, so after the first training
// step has seen every shape no kernel allocates. Contents never carry over between calls: every
// kernel writes what it later reads, zero padding included.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A grow-only, 64-byte-aligned scratch array.
struct ScratchBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>?
    private(set) var capacity = 0

    /// At least `count` elements of uninitialised-but-trivial storage; reallocates (discarding the
    /// contents) only when `count` exceeds the capacity.
    @inline(__always)
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count <= capacity, let pointer { return pointer }
        return grow(count)
    }

    @inline(never)
    private mutating func grow(_ count: Int) -> UnsafeMutablePointer<Element> {
        if let pointer { UnsafeMutableRawPointer(pointer).deallocate() }
        // Round up so that a run of slowly growing shapes does not reallocate every call.
        let newCapacity = max(count, capacity + capacity / 2, 1024)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: newCapacity * MemoryLayout<Element>.stride, alignment: 64)
        let typed = raw.bindMemory(to: Element.self, capacity: newCapacity)
        pointer = typed
        capacity = newCapacity
        return typed
    }

    func release() {
        if let pointer { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}

final class Workspace {
    /// GEMM: one packed block of A (mc × kc), the B tail panel of the unpacked path, one edge tile.
    var packedA = ScratchBuffer<Float>()
    var bTail = ScratchBuffer<Float>()
    var edgeTile = ScratchBuffer<Float>()
    /// GEMM: packed B: one block of a large B, shared with the workers while this thread runs a
    /// product; or this thread's own copy of the panels of a small B that its task reads.
    var packedB = ScratchBuffer<Float>()
    /// Reductions: per-row or per-chunk partial sums, combined in index order.
    var doubles = ScratchBuffer<Double>()
    /// Per-row marks (TokenTables' scatter-add: which rows have had their first addition).
    var flags = ScratchBuffer<UInt8>()
    /// Index lists (TableCrossEntropy: each token's examples, grouped by a counting sort).
    var indices = ScratchBuffer<Int32>()
    /// TokenTables: the block of a position's table, or its gradient, that this thread's task
    /// works on. TableCrossEntropy: one token's scaled probabilities.
    var tableBlock = ScratchBuffer<Float>()
    /// Partial results a kernel's tasks write for this thread to combine once they are done
    /// (TokenTables: dE's term per position).
    var sharedFloats = ScratchBuffer<Float>()

    deinit {
        packedA.release()
        bTail.release()
        edgeTile.release()
        packedB.release()
        doubles.release()
        flags.release()
        indices.release()
        tableBlock.release()
        sharedFloats.release()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<Workspace>.fromOpaque(raw).release() }
        }
        precondition(status == 0, "Workspace: pthread_key_create failed with \(status)")
        return key
    }()

    /// This thread's workspace.
    @inline(__always)
    static var current: Workspace {
        if let raw = pthread_getspecific(key) { return Unmanaged<Workspace>.fromOpaque(raw).takeUnretainedValue() }
        return makeCurrent()
    }

    @inline(never)
    private static func makeCurrent() -> Workspace {
        let workspace = Workspace()
        pthread_setspecific(key, Unmanaged.passRetained(workspace).toOpaque())
        return workspace
    }
}
