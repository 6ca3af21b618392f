// A tokenizer's failure while a trainer starts (writing the dataset's tokenizer into the
// checkpoint) is a data failure: it is reported as the dataset's, through `DataError.tokenizer`.
// Kept apart from Trainer.swift so that the trainer's `throw .data(error)` reads the same for both
// error types. Not handled: tokenizer errors elsewhere in training (there are none).
import Data
import Tokenizers

extension TrainingError {
    /// `error`, wrapped as the data error it is.
    static func data(_ error: TokenizerError) -> TrainingError {
        .data(.tokenizer(error))
    }
}
