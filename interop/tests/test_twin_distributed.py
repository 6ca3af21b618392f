"""DDP: `torchrun --standalone --nproc_per_node=2` with gloo trains to the same loss curve as one
process on the same global batch (training.batchSize 64: 2 ranks × 32 against 1 × 64), because
the ranks read disjoint halves of the batch one process reads and DDP averages their gradients.
The only difference is float summation order, so the curves agree to float tolerance, not bits.
"""

import json
import os
import unittest

import numpy as np
from safetensors.numpy import load_file

import twin_support as support

STEPS = 40


def read_metrics(path):
    with open(path, encoding="utf-8") as file:
        lines = [json.loads(line) for line in file]
    train = [entry["train_loss"] for entry in lines if "train_loss" in entry]
    val = [(entry["step"], entry["val_loss"]) for entry in lines if "val_loss" in entry]
    return train, val


class TwinDistributedTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        support.require_torch(None)
        ws = cls.ws = support.Workspace(support.descent_bin())
        if support.descent_bin():
            cls.data = ws.prepare("names", support.names_text(800))
        else:
            raise unittest.SkipTest("no Descent executable to prepare the dataset: run scripts/test-interop.sh")
        config = support.mlp_config(cls.data, optimizer={"type": "sgd", "learningRate": 0.2, "momentum": 0.9},
                                    schedule={"warmupSteps": 5},
                                    training={"maxSteps": STEPS, "batchSize": 64, "evalInterval": 20, "evalBatches": 5})
        cls.config_path = ws.config("ddp.json", config)

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def test_two_ranks_match_one_process(self):
        ws = self.ws
        ws.train_twin(self.config_path, "one.safetensors", "--metrics", ws.path("one.jsonl"))
        result = ws.train_twin(self.config_path, "two.safetensors", "--metrics", ws.path("two.jsonl"), processes=2)
        self.assertIn("2 processes (cpu), batch 64 (32 per process)", result.stdout)
        one_train, one_val = read_metrics(ws.path("one.jsonl"))
        two_train, two_val = read_metrics(ws.path("two.jsonl"))
        self.assertEqual(len(one_train), STEPS)
        self.assertEqual(len(two_train), STEPS)
        self.assertLess(one_train[-1], one_train[0] - 0.3, "the run should learn something")
        if os.environ.get("DESCENT_TWIN_VERBOSE"):
            print(f"\n  largest relative train-loss difference over {STEPS} steps: "
                  f"{np.max(np.abs(np.array(two_train) - one_train) / np.array(one_train)):.2e}", end="")
        np.testing.assert_allclose(two_train, one_train, rtol=1e-5)
        self.assertEqual([s for s, _ in two_val], [0, 20, 40])
        np.testing.assert_allclose([v for _, v in two_val], [v for _, v in one_val], rtol=1e-5)
        one, two = load_file(ws.path("one.safetensors")), load_file(ws.path("two.safetensors"))
        for name in one:
            self.assertLess(support.relative_difference(two[name], one[name]), 1e-4, name)

    def test_batch_that_does_not_split_evenly_is_refused(self):
        with self.assertRaises(AssertionError) as failure:
            self.ws.train_twin(self.config_path, "odd.safetensors", "--set", "training.batchSize=63", processes=2)
        self.assertIn("training.batchSize 63 does not split evenly over 2 processes", str(failure.exception))


if __name__ == "__main__":
    unittest.main()
