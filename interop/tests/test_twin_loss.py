"""Same weights, same loss: a Descent run exported to safetensors and loaded by the twin scores
the same examples to the same loss as Descent does, both on the validation set Descent's trainer
measures (all of it, and a sampled subset) and via `descent eval` on text.

The issue asks for 1e-5 relative; the figures agree to ~1e-8, so the tests hold them to 1e-6,
which also tells GELU's tanh approximation from the exact erf form (5e-6 apart on the GELU run)."""

import json
import unittest

import twin_support as support

TOLERANCE = 1e-6


class TwinLossParityTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = support.Workspace(support.require_descent())
        cls.data = cls.ws.prepare("names", support.names_text(600))
        cls.val_text = cls.ws.write("val.txt", support.split_text(cls.ws.path(cls.data), "val"))

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def check_run(self, name, config, eval_batches):
        ws = self.ws
        ws.train_descent(ws.config(name + ".json", config), name)
        info = ws.run_info(name)
        model, metadata = support.load_twin_model(ws.export(name, name + ".safetensors"))
        self.assertEqual(json.loads(metadata["descent.architecture"])["type"], config["model"]["type"])

        # The trainer's last validation loss, on the same fixed evaluation set.
        twin_val = support.twin_loss(model, ws.path(self.data), "val", config["training"]["batchSize"], eval_batches)
        self.assertLess(abs(twin_val - info["lastValLoss"]) / info["lastValLoss"], TOLERANCE,
                        f"{name}: twin {twin_val!r}, Descent's validation loss {info['lastValLoss']!r}")

        # `descent eval` on the validation documents as text scores every example of the split.
        descent_eval = ws.eval_text(name, self.val_text)
        twin_all = support.twin_loss(model, ws.path(self.data), "val")
        self.assertEqual(descent_eval["tokens"], ws_examples(ws.path(self.data), "val"))
        self.assertLess(abs(twin_all - descent_eval["loss"]) / descent_eval["loss"], TOLERANCE,
                        f"{name}: twin {twin_all!r}, descent eval {descent_eval['loss']!r}")
        return twin_val

    def test_mlp_gelu_two_layers_whole_validation_split(self):
        loss = self.check_run("mlp-gelu", support.mlp_config(self.data), eval_batches=0)
        self.assertLess(loss, 3.2)  # trained: below ln 27 = 3.30

    def test_mlp_tanh_sampled_validation_set(self):
        config = support.mlp_config(self.data, model={"activation": "tanh", "hiddenLayers": 1, "contextLength": 5},
                                    training={"batchSize": 16, "evalBatches": 7})
        self.check_run("mlp-tanh", config, eval_batches=7)

    def test_mlp_relu(self):
        self.check_run("mlp-relu", support.mlp_config(self.data, model={"activation": "relu"}), eval_batches=0)

    def test_bigram(self):
        config = {"data": {"dir": self.data}, "model": {"type": "bigram"},
                  "optimizer": {"type": "sgd", "learningRate": 10, "momentum": 0.9},
                  "training": {"maxSteps": 30, "batchSize": 64, "evalInterval": 0, "evalBatches": 0}}
        self.check_run("bigram", config, eval_batches=0)


def ws_examples(dataset_dir, split):
    from descent_twin.dataset import PreparedDataset
    return PreparedDataset(dataset_dir).example_count(split)


if __name__ == "__main__":
    unittest.main()
