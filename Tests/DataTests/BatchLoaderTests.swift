import Core
import Foundation
import XCTest
@testable import Data

final class BatchLoaderTests: XCTestCase {
    /// A dataset whose train split is `incrementingStream(length:documentLength:)`.
    func syntheticDataset(length: Int, documentLength: Int, shardTokens: Int, directory: String) throws -> PreparedDataset {
        let tokenizer = try syntheticTokenizer(vocabularySize: max(length, 2))
        try DatasetWriter.write(train: incrementingStream(length: length, documentLength: documentLength),
                                val: incrementingStream(length: 50, documentLength: documentLength),
                                tokenizer: tokenizer, shardTokens: shardTokens, to: directory + "/synthetic")
        return try PreparedDataset(directory: directory + "/synthetic")
    }

    /// The expected context of stream position p, by arithmetic on the synthetic stream.
    func expectedContext(_ p: Int, contextLength t: Int, documentLength k: Int) -> [Int32] {
        // The most recent boundary at or before p − 1 is at k · floor((p − 1) / k).
        let lastBoundary = (p - 1) / k * k
        return (0..<t).map { j in
            let q = p - t + j
            return q <= lastBoundary ? 0 : Int32(q)
        }
    }

    func next(_ loader: BatchLoader) throws -> (contexts: [Int32], targets: [Int32]) {
        var contexts = [Int32](repeating: -1, count: loader.batchSize * loader.contextLength)
        var targets = [Int32](repeating: -1, count: loader.batchSize)
        try loader.next(contexts: &contexts, targets: &targets)
        return (contexts, targets)
    }

    func testEveryEpochServesEveryExampleOnceWithCorrectContexts() throws {
        let directory = makeTemporaryDirectory(self)
        for (k, t, shardTokens) in [(10, 4, 64), (37, 5, 64), (1000, 100, 64), (7, 1, 1000)] {
            let n = 700
            let dataset = try syntheticDataset(length: n, documentLength: k, shardTokens: shardTokens, directory: directory)
            let batchSize = 33    // does not divide the 699 examples: batches span shards and epochs
            let loader = try BatchLoader(dataset: dataset, contextLength: t, batchSize: batchSize, seed: 42)
            XCTAssertEqual(loader.examplesPerEpoch, n - 1)
            var seen: [Int: [Int]] = [:]    // epoch → positions
            var served = 0
            for _ in 0..<(3 * (n - 1) / batchSize) {
                let (contexts, targets) = try next(loader)
                for row in 0..<batchSize {
                    let context = Array(contexts[(row * t)..<((row + 1) * t)])
                    let p = targets[row] != 0 ? Int(targets[row]) : Int(context[t - 1]) + 1
                    XCTAssertEqual(context, expectedContext(p, contextLength: t, documentLength: k), "k \(k) t \(t) p \(p)")
                    seen[served / (n - 1), default: []].append(p)
                    served += 1
                }
            }
            XCTAssertEqual(loader.examplesSeen, served)
            for epoch in 0..<2 {
                XCTAssertEqual(seen[epoch]?.sorted(), Array(1..<n), "epoch \(epoch) of k \(k)")
            }
            XCTAssertNotEqual(seen[0], seen[1], "each epoch has its own order")
            XCTAssertNotEqual(seen[0], seen[0]?.sorted(), "examples are shuffled")
        }
    }

    func testShardsAreSequentialAndShuffledWithinByTheirOwnSeed() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try syntheticDataset(length: 400, documentLength: 1000, shardTokens: 100, directory: directory)
        let loader = try BatchLoader(dataset: dataset, contextLength: 2, batchSize: 99, seed: 5, shardOrder: .sequential)
        // Shard 0 holds positions 1..<100 (99 examples) in the order of Xoshiro256(mix(5, 0, 0)).
        var order = Array(1..<100)
        var generator = Xoshiro256(seed: SplitMix64.mix(5, 0, 0))
        generator.shuffle(&order)
        XCTAssertEqual(try next(loader).targets.map(Int.init), order)
        // Shard 1: positions 100..<200, seeded by mix(5, 0, 1).
        var order1 = Array(100..<200)
        var generator1 = Xoshiro256(seed: SplitMix64.mix(5, 0, 1))
        generator1.shuffle(&order1)
        let second = try next(loader).targets.map(Int.init)
        XCTAssertEqual(second, Array(order1[0..<99]))
    }

    func testResumeContinuesBitExactly() throws {
        let directory = makeTemporaryDirectory(self)
        for (k, t, shardTokens, batchSize) in [(10, 4, 64, 7), (1000, 100, 64, 20), (13, 3, 5000, 64)] {
            let dataset = try syntheticDataset(length: 300, documentLength: k, shardTokens: shardTokens, directory: directory)
            let reference = try BatchLoader(dataset: dataset, contextLength: t, batchSize: batchSize, seed: 9)
            var batches: [([Int32], [Int32])] = []
            var positions: [LoaderPosition] = [reference.position]
            let total = 3 * 299 / batchSize + 2     // past two epoch boundaries
            for _ in 0..<total {
                let batch = try next(reference)
                batches.append(batch)
                positions.append(reference.position)
            }
            for resumeAt in 0..<total {
                // Save through JSON, as a checkpoint would.
                let saved = try JSONDecoder().decode(LoaderPosition.self, from: JSONEncoder().encode(positions[resumeAt]))
                let resumed = try BatchLoader(dataset: dataset, contextLength: t, batchSize: batchSize, seed: 9, position: saved)
                XCTAssertEqual(resumed.position, positions[resumeAt])
                for later in resumeAt..<min(resumeAt + 3, total) {
                    let batch = try next(resumed)
                    XCTAssertEqual(batch.contexts, batches[later].0, "k \(k): resumed at batch \(resumeAt), batch \(later)")
                    XCTAssertEqual(batch.targets, batches[later].1)
                }
            }
            // The run crossed shard and epoch boundaries.
            XCTAssertTrue(positions.contains { $0.epoch == 2 })
            if dataset.shards(.train).count > 1 { XCTAssertTrue(positions.contains { $0.shardIndex > 0 && $0.cursor > 0 }) }
        }
    }

    func testEpochFractionAndPositionFields() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try syntheticDataset(length: 201, documentLength: 10, shardTokens: 100, directory: directory)
        let loader = try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 50, seed: 1)
        XCTAssertEqual(loader.epochFraction, 0)
        _ = try next(loader)
        XCTAssertEqual(loader.epochFraction, 0.25)
        XCTAssertEqual(loader.position.shardIndex, 0)
        XCTAssertEqual(loader.position.cursor, 50)
        for _ in 0..<4 { _ = try next(loader) }
        XCTAssertEqual(loader.epochFraction, 1.25)
        XCTAssertEqual(loader.position.epoch, 1)
        XCTAssertEqual(loader.position.datasetFingerprint, dataset.fingerprint)
        XCTAssertEqual(loader.position.shardCount, 3)
    }

    func testRejectsMismatchedPositionsAndBadSizes() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try syntheticDataset(length: 300, documentLength: 10, shardTokens: 100, directory: directory)
        let loader = try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 8, seed: 1)
        _ = try next(loader)
        let good = loader.position
        func rejected(_ position: LoaderPosition, seed: UInt64 = 1, split: DatasetSplit = .train) -> Bool {
            do {
                _ = try BatchLoader(dataset: dataset, split: split, contextLength: 3, batchSize: 8, seed: seed, position: position)
                return false
            } catch {
                guard case .loaderPositionMismatch = error else { XCTFail("\(error)"); return false }
                return true
            }
        }
        XCTAssertTrue(rejected(good, seed: 2))
        XCTAssertTrue(rejected(good, split: .val))
        var other = good
        other.datasetFingerprint = String(repeating: "0", count: 64)
        XCTAssertTrue(rejected(other))
        other = good
        other.shardIndex = 3
        XCTAssertTrue(rejected(other))
        other = good
        other.cursor = 101
        XCTAssertTrue(rejected(other))
        other = good
        other.epoch = -1
        XCTAssertTrue(rejected(other))
        other = good
        other.shardCount = 4
        XCTAssertTrue(rejected(other))
        XCTAssertThrowsError(try BatchLoader(dataset: dataset, contextLength: 0, batchSize: 8, seed: 1))
        XCTAssertThrowsError(try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 0, seed: 1))
    }

    func testBatchesReuseTheCallersBuffers() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try syntheticDataset(length: 500, documentLength: 10, shardTokens: 100, directory: directory)
        let loader = try BatchLoader(dataset: dataset, contextLength: 8, batchSize: 16, seed: 3)
        var contexts = [Int32](repeating: 0, count: 16 * 8 + 5)
        var targets = [Int32](repeating: 0, count: 16 + 5)
        let contextBase = contexts.withUnsafeBufferPointer { $0.baseAddress }
        let targetBase = targets.withUnsafeBufferPointer { $0.baseAddress }
        for _ in 0..<100 { try loader.next(contexts: &contexts, targets: &targets) }
        XCTAssertEqual(contexts.withUnsafeBufferPointer { $0.baseAddress }, contextBase)
        XCTAssertEqual(targets.withUnsafeBufferPointer { $0.baseAddress }, targetBase)
        XCTAssertEqual(contexts.count, 16 * 8 + 5)
    }

    func testPermutationMatchesCoreShuffle() {
        var order: [Int32] = []
        BatchLoader.shuffledExamples(&order, first: 1, count: 1000, seed: 77)
        var expected = (1...1000).map(Int32.init)
        var generator = Xoshiro256(seed: 77)
        generator.shuffle(&expected)
        XCTAssertEqual(order, expected)
    }
}

final class BatchLoaderFailureTests: XCTestCase {
    func testAFailedBatchLeavesThePositionAndLaterBatchesIntact() throws {
        let directory = makeTemporaryDirectory(self)
        let tokenizer = try syntheticTokenizer(vocabularySize: 300)
        try DatasetWriter.write(train: incrementingStream(length: 300, documentLength: 10), val: [],
                                tokenizer: tokenizer, shardTokens: 100, to: directory + "/ds")
        let dataset = try PreparedDataset(directory: directory + "/ds")
        var contexts = [Int32](repeating: 0, count: 40 * 3), targets = [Int32](repeating: 0, count: 40)
        let reference = try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 40, seed: 8, shardOrder: .sequential)
        var expected: [[Int32]] = []
        for _ in 0..<6 {
            try reference.next(contexts: &contexts, targets: &targets)
            expected.append(contexts + targets)
        }

        let shard1 = dataset.path(of: dataset.shards(.train)[1])
        let good = readBytes(shard1)
        // Damaged before the loader starts: shard 1 is read in the background as soon as shard 0
        // is loaded, and its failure surfaces when a batch reaches it.
        writeFile(shard1, bytes: Array(good.dropLast(1)))
        let loader = try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 40, seed: 8, shardOrder: .sequential)
        for index in 0..<2 {
            try loader.next(contexts: &contexts, targets: &targets)
            XCTAssertEqual(contexts + targets, expected[index])
        }
        let before = loader.position
        // Batch 3 reaches into shard 1 (shard 0 has 99 examples).
        XCTAssertThrowsError(try loader.next(contexts: &contexts, targets: &targets)) { error in
            guard case .checksumMismatch(let path, _, _) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, shard1)
        }
        XCTAssertEqual(loader.position, before)
        writeFile(shard1, bytes: good)
        for index in 2..<6 {
            try loader.next(contexts: &contexts, targets: &targets)
            XCTAssertEqual(contexts + targets, expected[index], "batch \(index)")
        }
    }

    func testImplausibleShardCountsAreRefusedBeforeAllocating() throws {
        let directory = makeTemporaryDirectory(self)
        let tokenizer = try syntheticTokenizer(vocabularySize: 20)
        try DatasetWriter.write(train: incrementingStream(length: 20, documentLength: 5), val: [], tokenizer: tokenizer,
                                shardTokens: 100, to: directory + "/ds")
        let dataset = try PreparedDataset(directory: directory + "/ds")
        var shard = dataset.shards(.train)[0]
        shard.tokens = 900_000_000
        var tokens: [Int32] = []
        XCTAssertThrowsError(try dataset.makeShardReader().read(shard, appendingTo: &tokens)) { error in
            guard case .badShardHeader = error as? DataError else { return XCTFail("\(error)") }
        }
    }
}

/// Shard order per epoch, prefetching, and exact restore across shard and epoch boundaries.
final class ShardOrderTests: XCTestCase {
    func dataset(length: Int, documentLength: Int, shardTokens: Int, in directory: String) throws -> PreparedDataset {
        let tokenizer = try syntheticTokenizer(vocabularySize: length)
        try DatasetWriter.write(train: incrementingStream(length: length, documentLength: documentLength), val: [],
                                tokenizer: tokenizer, shardTokens: shardTokens, to: directory + "/ds")
        return try PreparedDataset(directory: directory + "/ds")
    }

    /// Stream positions of a batch's examples: on the incrementing stream a target is its own
    /// position, except at a document start (target 0), where the context's last token + 1 is.
    func positions(_ loader: BatchLoader) throws -> [Int] {
        let t = loader.contextLength
        var contexts = [Int32](repeating: -1, count: loader.batchSize * t), targets = [Int32](repeating: -1, count: loader.batchSize)
        try loader.next(contexts: &contexts, targets: &targets)
        return (0..<loader.batchSize).map { row in
            targets[row] != 0 ? Int(targets[row]) : Int(contexts[row * t + t - 1]) + 1
        }
    }

    func testShardSequenceIsAPermutationPerEpochDrawnFromSeedAndEpoch() {
        for count in [1, 2, 7, 40] {
            for epoch in 0..<5 {
                let order = BatchLoader.shardSequence(count: count, order: .shuffled, seed: 11, epoch: epoch)
                XCTAssertEqual(order.sorted(), Array(0..<count))
                XCTAssertEqual(order, BatchLoader.shardSequence(count: count, order: .shuffled, seed: 11, epoch: epoch))
                XCTAssertEqual(BatchLoader.shardSequence(count: count, order: .sequential, seed: 11, epoch: epoch), Array(0..<count))
            }
        }
        // Fisher–Yates from Xoshiro256(mix(seed, epoch, shardOrderStream)).
        var expected = Array(0..<40)
        var generator = Xoshiro256(seed: SplitMix64.mix(11, 3, BatchLoader.shardOrderStream))
        generator.shuffle(&expected)
        XCTAssertEqual(BatchLoader.shardSequence(count: 40, order: .shuffled, seed: 11, epoch: 3), expected)
        let epochs = (0..<6).map { BatchLoader.shardSequence(count: 40, order: .shuffled, seed: 11, epoch: $0) }
        XCTAssertEqual(Set(epochs.map { $0.map(String.init).joined(separator: ",") }).count, 6, "every epoch has its own order")
        XCTAssertNotEqual(epochs[0], BatchLoader.shardSequence(count: 40, order: .shuffled, seed: 12, epoch: 0))
    }

    func testShardsAreReadInTheEpochsOrderWithTheirOwnExampleOrder() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try dataset(length: 400, documentLength: 1000, shardTokens: 100, in: directory)
        let loader = try BatchLoader(dataset: dataset, contextLength: 2, batchSize: 1, seed: 5)
        XCTAssertNotEqual(loader.shardSequence(epoch: 0), [0, 1, 2, 3], "seed 5 shuffles the shards")
        for epoch in 0..<2 {
            for shard in loader.shardSequence(epoch: epoch) {
                // The shard's examples are its positions, in the order of Xoshiro256(mix(5, epoch, shard)).
                var order = Array((shard == 0 ? 1 : shard * 100)..<(shard * 100 + 100))
                var generator = Xoshiro256(seed: SplitMix64.mix(5, UInt64(epoch), UInt64(shard)))
                generator.shuffle(&order)
                let served = try (0..<order.count).flatMap { _ in try positions(loader) }
                XCTAssertEqual(served, order, "epoch \(epoch), shard \(shard)")
            }
        }
    }

    /// In the manner of MosaicML streaming's resumption tests: stop mid-epoch right after a shard
    /// boundary, and exactly at an epoch boundary; restore into a new loader. The examples served
    /// before and after the stop are one epoch, then the next, exactly (nothing twice, nothing
    /// missing), and the batches after the stop are those of a loader that never stopped.
    func testStoppingAndRestoringServesEachEpochExactlyOnce() throws {
        let directory = makeTemporaryDirectory(self)
        let n = 700
        let dataset = try dataset(length: n, documentLength: 13, shardTokens: 64, in: directory)
        XCTAssertEqual(dataset.shards(.train).count, 11)
        let epochExamples = n - 1
        for (batchSize, atEpochEnd) in [(33, false), (233, true)] {
            let straight = try BatchLoader(dataset: dataset, contextLength: 5, batchSize: batchSize, seed: 21)
            let first = try BatchLoader(dataset: dataset, contextLength: 5, batchSize: batchSize, seed: 21)
            var served: [Int] = []
            while true {
                let batch = try positions(first)
                XCTAssertEqual(batch, try positions(straight))
                served += batch
                let position = first.position
                let stop = atEpochEnd ? first.examplesSeen == epochExamples
                                      : position.shardIndex > 0 && position.cursor < batchSize
                if stop { break }
            }
            XCTAssertLessThanOrEqual(served.count, epochExamples, "the stop is inside epoch 0")
            let saved = try JSONDecoder().decode(LoaderPosition.self, from: JSONEncoder().encode(first.position))
            XCTAssertEqual(saved.shardOrder, .shuffled)
            let restored = try BatchLoader(dataset: dataset, contextLength: 5, batchSize: batchSize, seed: 21, position: saved)
            XCTAssertEqual(restored.position, saved)
            while served.count < 2 * epochExamples {
                let batch = try positions(restored)
                XCTAssertEqual(batch, try positions(straight), "batch size \(batchSize): restored equals uninterrupted")
                served += batch
            }
            for epoch in 0..<2 {
                let examples = served[(epoch * epochExamples)..<((epoch + 1) * epochExamples)]
                XCTAssertEqual(examples.sorted(), Array(1..<n), "batch size \(batchSize), epoch \(epoch): one epoch exactly")
            }
        }
    }

    func testAPositionSavedBeforeShardShufflingResumesInManifestOrder() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try dataset(length: 300, documentLength: 10, shardTokens: 100, in: directory)
        let old = #"{"epoch":0,"shardIndex":1,"cursor":1,"split":"train","seed":3,"datasetFingerprint":"\#(dataset.fingerprint)","shardCount":3}"#
        let position = try JSONDecoder().decode(LoaderPosition.self, from: Data(old.utf8))
        XCTAssertEqual(position.shardOrder, .sequential)
        let resumed = try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 10, seed: 3, position: position)
        XCTAssertEqual(resumed.shardOrder, .sequential)
        let sequential = try BatchLoader(dataset: dataset, contextLength: 3, batchSize: 10, seed: 3, shardOrder: .sequential)
        while sequential.position != position { _ = try positions(sequential) }
        XCTAssertEqual(try positions(resumed), try positions(sequential))
    }

    func testAShardThatFailsVerificationStopsWithItsNameWhenReached() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try dataset(length: 700, documentLength: 13, shardTokens: 64, in: directory)
        let loader = try BatchLoader(dataset: dataset, contextLength: 5, batchSize: 50, seed: 21)
        let order = loader.shardSequence(epoch: 0)
        let damaged = dataset.path(of: dataset.shards(.train)[order[4]])
        writeFile(damaged, bytes: Array(readBytes(damaged).dropLast(3)))
        var served = 0
        do {
            while true {
                served += try positions(loader).count
                XCTAssertLessThan(served, 699, "the damaged shard must stop the epoch")
            }
        } catch {
            guard case .checksumMismatch(let path, _, _) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, damaged)
        }
        let before = (0..<4).reduce(0) { $0 + dataset.shards(.train)[order[$1]].tokens - (order[$1] == 0 ? 1 : 0) }
        XCTAssertLessThanOrEqual(served, before, "no batch used the damaged shard")
        XCTAssertGreaterThanOrEqual(loader.dataWaitSeconds, 0)
    }
}
