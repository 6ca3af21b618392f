// What can stop a training run besides its own outcomes: data, checkpoint and recorder failures.

import Data
import Models
import Optimizers

public enum TrainingError: Error, CustomStringConvertible {
    case data(DataError)
    case checkpoint(CheckpointError)
    case optimizerState(OptimizerError)
    case vocabularyMismatch(dataset: Int, checkpoint: Int, dataDirectory: String)
    case architectureMismatch(expected: ModelArchitecture, found: ModelArchitecture)
    case recorder(Error)
    case sampling(SamplingError)

    public var description: String {
        switch self {
        case .data(let error): return error.description
        case .checkpoint(let error): return error.description
        case .optimizerState(let error): return error.description
        case let .vocabularyMismatch(dataset, checkpoint, directory):
            return "\(directory): the dataset's vocabulary has \(dataset) tokens but the checkpoint's model has \(checkpoint). Use the dataset the run was trained on."
        case let .architectureMismatch(expected, found):
            return "the checkpoint's model (\(found.type), vocabulary \(found.vocabularySize)) does not match the config's (\(expected.type), vocabulary \(expected.vocabularySize))."
        case .recorder(let error): return "\(error)"
        case .sampling(let error): return "sampling during training failed: \(error.description)"
        }
    }
}
