"""Same weights and batch, same update: from one exported Descent checkpoint, a few optimizer
steps in Descent and in the twin give the same weights (1e-5 relative, per tensor: the largest
difference over the tensor's largest magnitude), for SGD with momentum (plain and Nesterov, with
L2 decay and clipping) and AdamW (decoupled decay, with and without the embedding table).

Descent's batch order is not replicated: the dataset's train split has N examples and both
trainers run with batchSize = N. Descent's loader serves an epoch as its shards' permutations
(Sources/Data/BatchLoader.swift) and starts the next epoch when a batch has used them all, so
every batch is the whole split, in an order that changes only the summation order of the mean.
The learning rate follows the warmup-cosine schedule over the same steps in both (warmup 2 of 5,
so the off-by-one is exercised), and the per-step losses and rates are compared too.
"""

import json
import os
import sqlite3
import unittest

import numpy as np
from safetensors.numpy import load_file

import twin_support as support

STEPS = 5


class TwinOptimizerParityTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ws = cls.ws = support.Workspace(support.require_descent())
        cls.data = ws.prepare("tiny", support.names_text(30, start=1000), "--val-fraction", "0")
        from descent_twin.dataset import PreparedDataset
        cls.examples = PreparedDataset(ws.path(cls.data)).example_count("train")
        # The shared starting point: one Descent step from its own initialisation, exported.
        start = cls.config(optimizer={"type": "sgd", "learningRate": 0.5, "momentum": 0}, training={"maxSteps": 1},
                           schedule={"warmupSteps": 0})
        ws.train_descent(ws.config("start.json", start), "start")
        cls.start_file = ws.export("start", "start.safetensors")

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    @classmethod
    def config(cls, **sections):
        sections.setdefault("training", {})
        sections["training"] = {"batchSize": cls.examples, "maxSteps": STEPS, "evalInterval": 0, "logInterval": 1,
                                **sections["training"]}
        sections.setdefault("schedule", {"warmupSteps": 2, "minLearningRateFraction": 0.1})
        return support.mlp_config(cls.data, model={"activation": "tanh", "hiddenLayers": 2}, **sections)

    def descent_metrics(self, run, name):
        connection = sqlite3.connect(self.ws.db)
        rows = connection.execute("select m.step, m.value from metrics m join runs r on r.id = m.run_id "
                                  "where r.name = ? and m.name = ? order by m.step", (run, name)).fetchall()
        connection.close()
        return [value for _, value in rows]

    def check(self, name, optimizer):
        ws = self.ws
        config = self.config(optimizer=optimizer)
        path = ws.config(name + ".json", config)
        ws.train_descent(path, name, "--init-from", "start")
        descent = load_file(ws.export(name, name + ".safetensors"))
        metrics = ws.path(name + ".jsonl")
        ws.train_twin(path, name + "-twin.safetensors", "--init-from", self.start_file, "--metrics", metrics)
        twin = load_file(ws.path(name + "-twin.safetensors"))
        start = load_file(self.start_file)
        self.assertEqual(sorted(twin), sorted(descent))
        for tensor in sorted(descent):
            moved = support.relative_difference(descent[tensor], start[tensor])
            self.assertGreater(moved, 1e-3, f"{name}: {tensor} barely moved; the comparison would prove little")
            error = support.relative_difference(twin[tensor], descent[tensor])
            self.assertLess(error, 1e-5, f"{name}: {tensor} differs by {error:.2e} (relative) after {STEPS} steps")
            if os.environ.get("DESCENT_TWIN_VERBOSE"):
                print(f"\n  {name} {tensor}: moved {moved:.3f}, twin vs Descent {error:.2e}", end="")

        with open(metrics, encoding="utf-8") as file:
            lines = [json.loads(line) for line in file]
        if optimizer.get("gradientClipNorm"):
            self.assertTrue(any(entry.get("clipped") for entry in lines), f"{name}: clipping never engaged")
        twin_loss = [entry["train_loss"] for entry in lines if "train_loss" in entry]
        twin_rate = [entry["lr"] for entry in lines if "lr" in entry]
        np.testing.assert_allclose(twin_rate, self.descent_metrics(name, "lr"), rtol=1e-12)
        np.testing.assert_allclose(twin_loss, self.descent_metrics(name, "train_loss"), rtol=1e-5)

    def test_sgd_momentum_with_weight_decay(self):
        self.check("sgd-momentum", {"type": "sgd", "learningRate": 0.3, "momentum": 0.9, "weightDecay": 0.01})

    def test_sgd_nesterov_clipped(self):
        self.check("sgd-nesterov", {"type": "sgd", "learningRate": 0.3, "momentum": 0.8, "nesterov": True,
                                    "weightDecay": 0.05, "decayEmbeddings": True, "gradientClipNorm": 0.05})

    def test_adamw(self):
        self.check("adamw", {"type": "adamw", "learningRate": 0.01, "weightDecay": 0.1})

    def test_adamw_decaying_embeddings_clipped(self):
        self.check("adamw-embeddings", {"type": "adamw", "learningRate": 0.003, "weightDecay": 0.3, "beta2": 0.95,
                                        "decayEmbeddings": True, "gradientClipNorm": 0.3})


if __name__ == "__main__":
    unittest.main()
