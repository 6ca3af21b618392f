// Which SIMD instruction set the GEMM runs on, chosen once, at run time.
//
// The default build compiles every module for x86-64-v3 (AVX2 + FMA) except GemmAVX512, which is
// compiled for x86-64-v4 and holds the 12×32 zmm instance of the GEMM. Before the first product,
// `InstructionSet.best` reads the "flags" line of /proc/cpuinfo and answers `.avx512` when it lists
// avx512f, avx512cd, avx512bw, avx512dq and avx512vl (x86-64-v4 exactly; Linux drops these flags
// when the kernel does not save the zmm state), `.avx2` otherwise. DESCENT_ISA=avx2|avx512|auto in
// the environment overrides the choice; asking for a set the CPU lacks gives the best one it has.
// Both instances give bitwise identical results (GemmCore/GemmKernel+MicroKernel.swift), so the
// choice changes the speed only.
//
// Deliberately not handled: CPUID (Swift has no inline assembly, and /proc/cpuinfo carries the
// same bits after the kernel's own checks), detection on other systems (an x86 Mac takes the AVX2
// path), other architectures' extensions (they run the portable SIMD8 instance), the elementwise
// kernels (they stay 8 lanes wide on every CPU).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GemmCore
import Synchronization

/// The SIMD instruction set of the GEMM's micro-kernel.
public enum InstructionSet: String, Sendable, CaseIterable {
    /// The 6×16 SIMD8 tile compiled for the target's baseline: architectures other than x86-64.
    case portable
    /// The 6×16 tile in ymm registers: x86-64-v3 (Haswell, Zen and later).
    case avx2
    /// The 12×32 tile in zmm registers: x86-64-v4 (Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4 and
    /// later); 1.5–1.9× the AVX2 tile's speed on 1024³, one thread (median 1.75, 6 pinned pairs).
    case avx512

    /// The set the kernels use: `best`, unless DESCENT_ISA asks for a narrower one.
    public internal(set) static var active: InstructionSet {
        get { decode(Selection.active.load(ordering: .relaxed)) }
        set { Selection.active.store(encode(resolve(newValue, best: best)), ordering: .relaxed) }
    }

    /// The widest set this CPU and this build can run; determined once, on first use.
    public static let best: InstructionSet = detectBest()

    /// Whether this CPU and this build can run it.
    public var isSupported: Bool { InstructionSet.resolve(self, best: InstructionSet.best) == self }

    /// NR, the micro-tile's width in floats.
    var tileWidth: Int { self == .avx512 ? GemmKernel<SIMD16<Float>>.width : GemmKernel<SIMD8<Float>>.width }

    /// Rows of a packed A micro-panel.
    var packedRows: Int { self == .avx512 ? GemmKernel<SIMD16<Float>>.packedRows : GemmKernel<SIMD8<Float>>.packedRows }

    /// The set to use for a request (nil: automatic) on a machine whose widest set is `best`.
    static func resolve(_ requested: InstructionSet?, best: InstructionSet) -> InstructionSet {
        switch (requested, best) {
        case (nil, _): return best
        case (.avx512?, .avx512): return .avx512
        case (_, .portable): return .portable
        default: return .avx2
        }
    }

    /// DESCENT_ISA's value as a request: nil for "auto", unset, or anything unrecognised.
    static func request(fromEnvironment value: String?) -> InstructionSet? {
        switch value?.lowercased() {
        case "avx2": return .avx2
        case "avx512": return .avx512
        case "portable": return .portable
        default: return nil
        }
    }

    /// Whether a /proc/cpuinfo text lists every x86-64-v4 feature on its first "flags" line.
    static func listsX86_64V4(cpuinfo: String) -> Bool {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return false }
        let flags = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }

    private static func detectBest() -> InstructionSet {
        #if arch(x86_64) && os(Linux)
        guard let cpuinfo = readSmallFile("/proc/cpuinfo") else { return .avx2 }
        return listsX86_64V4(cpuinfo: cpuinfo) ? .avx512 : .avx2
        #elseif arch(x86_64)
        return .avx2
        #else
        return .portable
        #endif
    }

    /// The first MiB of a file as UTF-8 text, or nil when it cannot be read.
    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            count += got
        }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    private static func encode(_ set: InstructionSet) -> UInt8 {
        switch set {
        case .portable: return 0
        case .avx2: return 1
        case .avx512: return 2
        }
    }

    private static func decode(_ code: UInt8) -> InstructionSet { code == 2 ? .avx512 : code == 1 ? .avx2 : .portable }

    private enum Selection {
        /// The active set, resolved from DESCENT_ISA on first use.
        static let active = Atomic<UInt8>(encode(resolve(request(fromEnvironment: getenv("DESCENT_ISA").map { String(cString: $0) }),
                                                         best: best)))
    }
}
