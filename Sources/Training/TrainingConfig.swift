// A training config as typed values: one struct per JSON section, one field per key.
//
// Configs are JSON files in configs/, overridden by `--set KEY=VALUE`; every key (its name,
// default, allowed values, help text and resume rule) is declared once, in `TrainingConfig.keys`
// (TrainingConfig+Keys.swift), and parsing lives in TrainingConfig+JSON.swift. A value of this
// type has passed every check: the fields can only be set through that declaration, so anything
// derived here (the architecture, the optimizer's settings, the learning-rate schedule) is valid.

import Kernels
import Models
import Optimizers

public struct TrainingConfig: Sendable, Equatable {
    public struct DataSection: Sendable, Equatable {
        /// A prepared dataset directory (`descent prepare --out`).
        public internal(set) var directory: String
    }

    public struct ModelSection: Sendable, Equatable {
        public internal(set) var type: ModelType
        public internal(set) var contextLength: Int
        public internal(set) var embeddingSize: Int
        public internal(set) var hiddenSize: Int
        public internal(set) var hiddenLayers: Int
        public internal(set) var activation: Activation
        public internal(set) var firstLayer: FirstLayerPath
        /// Probability of dropping each hidden activation in training.
        public internal(set) var dropout: Double
    }

    public struct OptimizerSection: Sendable, Equatable {
        public internal(set) var type: OptimizerKind
        /// The peak of the learning-rate schedule.
        public internal(set) var learningRate: Double
        public internal(set) var momentum: Double
        public internal(set) var nesterov: Bool
        public internal(set) var weightDecay: Double
        public internal(set) var decayEmbeddings: Bool
        public internal(set) var beta1: Double
        public internal(set) var beta2: Double
        public internal(set) var epsilon: Double
        public internal(set) var gradientClipNorm: Double
    }

    public struct ScheduleSection: Sendable, Equatable {
        public internal(set) var warmupSteps: Int
        public internal(set) var minLearningRateFraction: Double
    }

    public struct TrainingSection: Sendable, Equatable {
        public internal(set) var maxSteps: Int
        public internal(set) var batchSize: Int
        public internal(set) var seed: UInt64
        public internal(set) var evalInterval: Int
        public internal(set) var evalBatches: Int
        public internal(set) var checkpointInterval: Int
        public internal(set) var keepCheckpoints: Int
        public internal(set) var logInterval: Int
        public internal(set) var sampleInterval: Int
        public internal(set) var sampleTokens: Int
        public internal(set) var trajectoryPoints: Int
    }

    public internal(set) var data: DataSection
    public internal(set) var model: ModelSection
    public internal(set) var optimizer: OptimizerSection
    public internal(set) var schedule: ScheduleSection
    public internal(set) var training: TrainingSection

    /// Every field zero or empty; parsing overwrites each one with its value or its key's default
    /// (a key without a default is required), so none of these values survives into a config.
    static let unset = TrainingConfig(
        data: DataSection(directory: ""),
        model: ModelSection(type: .bigram, contextLength: 0, embeddingSize: 0, hiddenSize: 0, hiddenLayers: 0, activation: .tanh,
                           firstLayer: .auto, dropout: 0),
        optimizer: OptimizerSection(type: .sgd, learningRate: 0, momentum: 0, nesterov: false, weightDecay: 0,
                                    decayEmbeddings: false, beta1: 0, beta2: 0, epsilon: 0, gradientClipNorm: 0),
        schedule: ScheduleSection(warmupSteps: 0, minLearningRateFraction: 0),
        training: TrainingSection(maxSteps: 0, batchSize: 0, seed: 0, evalInterval: 0, evalBatches: 0, checkpointInterval: 0,
                                  keepCheckpoints: 0, logInterval: 0, sampleInterval: 0, sampleTokens: 0,
                                  trajectoryPoints: 0))

    /// Checks between keys, after every key has its value.
    func checkConsistency(source: String) throws(ConfigError) {
        if schedule.warmupSteps >= training.maxSteps {
            throw .inconsistent(source: source, message: "schedule.warmupSteps (\(schedule.warmupSteps)) must be less than training.maxSteps (\(training.maxSteps)).")
        }
        if optimizer.nesterov && optimizer.momentum == 0 && optimizer.type == .sgd {
            throw .inconsistent(source: source, message: "optimizer.nesterov needs optimizer.momentum > 0.")
        }
    }

    // MARK: What the trainer builds from it

    /// The model's shape for a dataset of `vocabularySize` tokens.
    public func architecture(vocabularySize: Int) -> ModelArchitecture {
        ModelArchitecture(type: model.type, vocabularySize: vocabularySize, contextLength: model.contextLength,
                          embeddingSize: model.embeddingSize, hiddenSize: model.hiddenSize,
                          hiddenLayers: model.hiddenLayers, activation: model.activation)
    }

    /// The optimizer's update rule and hyperparameters (the learning rate comes per step from
    /// `learningRateSchedule`).
    public var optimizerSettings: OptimizerSettings {
        OptimizerSettings(kind: optimizer.type, momentum: optimizer.momentum, nesterov: optimizer.nesterov,
                          weightDecay: optimizer.weightDecay, decayEmbeddings: optimizer.decayEmbeddings,
                          beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon)
    }

    /// The learning rate of every step: linear warmup to `optimizer.learningRate` over
    /// `schedule.warmupSteps`, then a cosine to `schedule.minLearningRateFraction` of it at
    /// `training.maxSteps`.
    public var learningRateSchedule: WarmupCosineSchedule {
        WarmupCosineSchedule(peak: optimizer.learningRate, warmupSteps: schedule.warmupSteps, totalSteps: training.maxSteps,
                             minimumFraction: schedule.minLearningRateFraction)
    }
}

extension ModelType: ConfigChoice {}
extension Activation: ConfigChoice {}
extension FirstLayerPath: ConfigChoice {}
extension OptimizerKind: ConfigChoice {}
