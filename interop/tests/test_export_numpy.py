"""The exported weights compute what Descent computes: an export loaded with `safetensors.numpy`,
run through a numpy forward pass written from the contract (the README's "Export and import"
section), gives Descent's logits on a fixed batch to
1e-5 relative. Descent's logits come from `descent-bench logits`, which builds Descent's own
model from the file; the CLI tests check that import and export are exact inverses.

Covered: the bigram, and MLPs with one and two hidden layers and each activation (tanh, ReLU,
GELU's tanh approximation), context lengths 1 and 4."""

import json
import os
import unittest

import swift_support as support

np = support.require("numpy")
safetensors_numpy = support.require("safetensors.numpy")
from safetensors import safe_open  # noqa: E402  (after the skip checks)

RELATIVE = 1e-5


def activation(name, x):
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "gelu":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    raise AssertionError(f"unknown activation {name}")


def forward(tensors, architecture, contexts):
    """Logits (B, V) in float64 for contexts (B, T), from the file's tensors alone."""
    contexts = np.asarray(contexts, dtype=np.int64)
    if architecture["type"] == "bigram":
        return tensors["table.weight"].astype(np.float64)[contexts[:, 0]]
    batch = contexts.shape[0]
    # concat(E[c_0] … E[c_{T-1}]), oldest token first.
    x = tensors["embedding.weight"].astype(np.float64)[contexts].reshape(batch, -1)
    for layer in range(architecture["hiddenLayers"]):
        weight = tensors[f"hidden.{layer}.weight"].astype(np.float64)  # (out, in), PyTorch's layout
        x = activation(architecture["activation"], x @ weight.T + tensors[f"hidden.{layer}.bias"])
    return x @ tensors["output.weight"].astype(np.float64).T + tensors["output.bias"]


def cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probabilities[np.arange(len(targets)), targets].mean())


class ExportNumpyTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bench = support.bench_binary()
        cls.ws = support.Workspace()
        cls.data = cls.ws.prepare("names", support.names_text(500))

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def config(self, model):
        return {"data": {"dir": self.data}, "model": model,
                "optimizer": {"type": "adamw", "learningRate": 0.01, "weightDecay": 0.01},
                "training": {"maxSteps": 60, "batchSize": 32, "evalInterval": 30, "evalBatches": 2,
                             "checkpointInterval": 30, "logInterval": 30, "seed": 5}}

    def check(self, run, model):
        self.ws.train(run, self.config(model))
        path = self.ws.export(run)
        tensors = safetensors_numpy.load_file(path)
        with safe_open(path, framework="np") as file:
            metadata = file.metadata()
        architecture = json.loads(metadata["descent.architecture"])
        self.assertEqual(architecture["type"], model["type"])
        self.assertTrue(all(tensor.dtype == np.float32 for tensor in tensors.values()))

        oracle = json.loads(self.ws.run("logits", path, "--batch", "16", "--seed", "11", program=self.bench))
        expected = np.asarray(oracle["logits"], dtype=np.float64)
        computed = forward(tensors, architecture, oracle["contexts"])
        self.assertEqual(computed.shape, (16, architecture["vocabularySize"]))
        scale = np.abs(expected).max()
        worst = float(np.abs(computed - expected).max() / scale)
        self.assertLess(worst, RELATIVE, f"{run}: logits differ by {worst:.2e} of their largest magnitude {scale:.3f}")
        np.testing.assert_allclose(computed, expected, rtol=RELATIVE, atol=RELATIVE * scale)
        loss = cross_entropy(computed, np.asarray(oracle["targets"]))
        self.assertLess(abs(loss - oracle["loss"]) / oracle["loss"], RELATIVE, f"{run}: loss {loss} against Descent's {oracle['loss']}")
        return tensors

    def test_bigram(self):
        tensors = self.check("bigram", {"type": "bigram"})
        self.assertEqual(list(tensors), ["table.weight"])

    def test_mlp_tanh_one_layer(self):
        tensors = self.check("mlp-tanh", {"type": "mlp", "contextLength": 3, "embeddingSize": 6, "hiddenSize": 24,
                                          "hiddenLayers": 1, "activation": "tanh"})
        self.assertEqual(tensors["hidden.0.weight"].shape, (24, 18))
        self.assertEqual(tensors["output.weight"].shape[1], 24)

    def test_mlp_relu_context_one(self):
        self.check("mlp-relu", {"type": "mlp", "contextLength": 1, "embeddingSize": 5, "hiddenSize": 16,
                                "hiddenLayers": 2, "activation": "relu"})

    def test_mlp_gelu_two_layers(self):
        tensors = self.check("mlp-gelu", {"type": "mlp", "contextLength": 4, "embeddingSize": 5, "hiddenSize": 20,
                                          "hiddenLayers": 2, "activation": "gelu"})
        self.assertEqual(tensors["hidden.1.weight"].shape, (20, 20))

    def test_export_is_byte_identical_for_identical_weights(self):
        self.ws.train("twice", self.config({"type": "bigram"}))
        with open(self.ws.export("twice", "first.safetensors"), "rb") as file:
            first = file.read()
        with open(self.ws.export("twice", "second.safetensors"), "rb") as file:
            second = file.read()
        self.assertEqual(first, second)
        header_length = int.from_bytes(first[:8], "little")
        self.assertEqual((8 + header_length) % 8, 0)


if __name__ == "__main__":
    unittest.main()
