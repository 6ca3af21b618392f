// swift-tools-version:6.0
// Descent: a small-language-model trainer with its own CPU kernels.
import PackageDescription

// Kernels need AVX2 + FMA to turn `SIMD8<Float>.addingProduct` into `vfmadd231ps`; without a
// target-CPU flag LLVM emits per-lane calls to `fmaf` (0.7 GFLOP/s instead of ~90, see
// ../shared/SWIFT-NOTES.md). x86-64-v3 (Haswell, Zen and later) is the portable level that has
// both. Other architectures build without the flag.
//
// The GEMM's AVX-512 instance (GemmAVX512) is compiled for x86-64-v4 instead and runs only after
// Kernels has checked the CPU at run time (Sources/Kernels/InstructionSet.swift), so one binary
// serves both kinds of CPU. Elsewhere that target builds empty.
#if arch(x86_64)
let cpuFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4"])]
#else
let cpuFlags: [SwiftSetting] = []
let avx512Flags: [SwiftSetting] = []
#endif
// The GEMM instances specialize GemmCore's generic code; unoptimized, they would run it through
// witness tables, 30-100x slower, so they are optimized in debug builds too.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Descent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "descent", targets: ["descent"]),
        .executable(name: "descent-bench", targets: ["descent-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // SHA-256 rounds on the x86 SHA extensions (enabled per function, used after a CPU check).
        .target(name: "CSHA256"),
        // Leaf utilities: seeded RNG, SHA-256, the binary codec, a clock. No numerics, no I/O policy.
        .target(name: "Core", dependencies: ["CSHA256"], swiftSettings: cpuFlags),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // The GEMM's packing, micro-kernels and loop nest, generic over the tile vector; each
        // instance below specializes it with its own code generation.
        // One static inline C function: a software prefetch, which Swift cannot express.
        .target(name: "CPrefetch"),
        .target(name: "GemmCore", dependencies: ["CPrefetch"], swiftSettings: cpuFlags),
        // The GEMM instance for the baseline CPU level (6×16 tile of ymm on x86-64-v3).
        .target(name: "GemmBaseline", dependencies: ["GemmCore"], swiftSettings: cpuFlags + optimizedInDebug),
        // The GEMM instance for AVX-512 CPUs (12×32 tile of zmm), called only after the CPU check.
        .target(name: "GemmAVX512", dependencies: ["GemmCore"], swiftSettings: avx512Flags + optimizedInDebug),
        // Numerics: float storage, GEMM driver and instruction-set choice, activations, losses,
        // reductions, parameter updates.
        .target(name: "Kernels", dependencies: ["Core", "GemmCore", "GemmBaseline", "GemmAVX512"],
                swiftSettings: cpuFlags),
        // Named tensors in one flat buffer, and what each tensor is for (which ones decay): the
        // layout models, gradients and optimizer moments share.
        .target(name: "Parameters", dependencies: ["Kernels"], swiftSettings: cpuFlags),
        // Language models over flat parameter buffers: bigram, MLP.
        .target(name: "Models", dependencies: ["Kernels", "Parameters", "Core"], swiftSettings: cpuFlags),
        // SGD, AdamW, learning-rate schedules, gradient clipping.
        .target(name: "Optimizers", dependencies: ["Kernels", "Parameters", "Core"], swiftSettings: cpuFlags),
        // The tokenizer contract and file, the character tokenizer and its trainer, safe cuts.
        .target(name: "Tokenizers", swiftSettings: cpuFlags),
        // Document reading, gzip streams, shard format, manifest, prepare pipeline, batch loader.
        .target(name: "Data", dependencies: ["Tokenizers", "CZlib", "Core"], swiftSettings: cpuFlags),
        // What a run leaves behind, shared by the trainer and the store: metric names and samples,
        // checkpoint reasons and payloads.
        .target(name: "RunRecords", swiftSettings: cpuFlags),
        // Charts as deterministic SVG and the one-page HTML report, with their maths (ticks, scales,
        // smoothing, downsampling). Knows nothing of runs or databases.
        .target(name: "Plots", dependencies: ["Core"], swiftSettings: cpuFlags),
        // SQLite: runs, metrics, checkpoint blobs (each with its SHA-256). Knows nothing of models.
        .target(name: "Store", dependencies: ["CSQLite", "RunRecords", "Core"], swiftSettings: cpuFlags),
        // The safetensors file format (huggingface/safetensors): a strict reader and a deterministic
        // writer of named tensors and string metadata. Knows nothing of models.
        .target(name: "SafeTensors", swiftSettings: cpuFlags),
        // Config, training step and loop, training state, checkpoints, sampler, evaluator.
        .target(name: "Training", dependencies: ["Models", "Optimizers", "Parameters", "Data", "Tokenizers", "RunRecords",
                                                 "SafeTensors", "Kernels", "Core"],
                swiftSettings: cpuFlags),
        // The loss landscape (Li et al. 2018): filter-normalized directions, the loss on a grid of a
        // plane through the weights, the principal plane of a training path.
        .target(name: "Landscape", dependencies: ["Models", "Parameters", "Data", "Kernels", "Core"], swiftSettings: cpuFlags),
        // The command tree; the only library that prints.
        .target(name: "DescentCLI",
                dependencies: ["Training", "Landscape", "Store", "RunRecords", "Plots", "Data", "SafeTensors", "Tokenizers", "Models", "Kernels", "Core",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: cpuFlags),
        .executableTarget(name: "descent", dependencies: ["DescentCLI"], swiftSettings: cpuFlags),
        .executableTarget(name: "descent-bench",
                          dependencies: ["Kernels", "Models", "Optimizers", "Training", "Data", "Tokenizers", "Core",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: cpuFlags),

        // libFuzzer targets for the decoders of stored bytes (scripts/fuzz.sh builds it with
        // --sanitize fuzzer; a plain build gives an empty main).
        .executableTarget(name: "descent-fuzz",
                          dependencies: ["Data", "Models", "Optimizers", "SafeTensors", "Tokenizers", "Training", "CZlib"],
                          path: "Fuzz/descent-fuzz", swiftSettings: cpuFlags),

        .testTarget(name: "CoreTests", dependencies: ["Core"], swiftSettings: cpuFlags),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GemmCore", "Core"], swiftSettings: cpuFlags),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Parameters", "Kernels", "Core"], swiftSettings: cpuFlags),
        .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "Parameters", "Kernels", "Core"],
                    exclude: ["Golden"], swiftSettings: cpuFlags),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], exclude: ["Fixtures"], swiftSettings: cpuFlags),
        .testTarget(name: "DataTests", dependencies: ["Data", "Tokenizers", "Core"], swiftSettings: cpuFlags),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"], swiftSettings: cpuFlags),
        .testTarget(name: "PlotsTests", dependencies: ["Plots", "Core"], swiftSettings: cpuFlags),
        .testTarget(name: "StoreTests", dependencies: ["Store", "RunRecords", "Core"], swiftSettings: cpuFlags),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Data", "Tokenizers", "Models", "Optimizers", "RunRecords",
                                                          "SafeTensors", "Kernels", "Core"],
                    swiftSettings: cpuFlags),
        .testTarget(name: "LandscapeTests", dependencies: ["Landscape", "Training", "Data", "Models", "Parameters", "RunRecords", "Kernels",
                                                           "Core"],
                    swiftSettings: cpuFlags),
        .testTarget(name: "CLITests", dependencies: ["DescentCLI", "Data", "Training", "Store", "SafeTensors", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    exclude: ["Golden"], swiftSettings: cpuFlags),
        // Checks that the dependencies declared here equal each target's imports.
        .testTarget(name: "PackageTests"),
    ]
)
