"""The way out and back: a Descent run exported, trained further by the twin (one process and
under torchrun, with the config its file carries), imported back as a Descent run that
`descent eval`, `descent sample` and `descent train --resume` work on, with the loss the twin
measured."""

import json
import unittest

from safetensors import safe_open

import twin_support as support


class TwinRoundTripTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ws = cls.ws = support.Workspace(support.require_descent())
        cls.data = ws.prepare("names", support.names_text(600, start=5000))
        cls.val_text = ws.write("val.txt", support.split_text(ws.path(cls.data), "val"))
        config = support.mlp_config(cls.data, training={"maxSteps": 30, "evalInterval": 0})
        ws.train_descent(ws.config("base.json", config), "base")
        cls.exported = ws.export("base", "base.safetensors")

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def continue_and_import(self, name, processes):
        ws = self.ws
        out = name + ".safetensors"
        ws.train_twin(None, out, "--init-from", self.exported, "--set", "training.maxSteps=40",
                      "--set", "training.batchSize=64", "--run-name", name, processes=processes)
        with safe_open(ws.path(out), framework="numpy") as file:
            metadata = file.metadata()
        self.assertEqual(metadata["descent.format"], "1")
        self.assertEqual(metadata["descent.run"], name)
        self.assertEqual(metadata["descent.step"], "40")
        with open(ws.path(self.data, "tokenizer.json"), encoding="utf-8") as file:
            self.assertEqual(metadata["descent.tokenizer"], file.read())
        self.assertEqual(json.loads(metadata["descent.config"])["training"]["maxSteps"], 40)
        ws.import_(ws.path(out), name)
        model, _ = support.load_twin_model(ws.path(out))
        twin = support.twin_loss(model, ws.path(self.data), "val")
        descent = ws.eval_text(name, self.val_text)["loss"]
        self.assertLess(abs(twin - descent) / descent, 1e-6, f"twin {twin}, descent eval of the import {descent}")
        base = ws.eval_text("base", self.val_text)["loss"]
        self.assertLess(descent, base, "40 more steps should lower the validation loss")
        return name

    def test_one_process(self):
        name = self.continue_and_import("more", processes=1)
        samples = self.ws.descent_cmd("sample", name, "--num-samples", "3", "--seed", "1", "--max-tokens", "20").stdout
        self.assertGreaterEqual(len(samples.strip().splitlines()), 3)
        self.ws.descent_cmd("train", "--resume", name, "--set", "training.maxSteps=45", "--quiet")
        self.assertEqual(self.ws.run_info(name)["step"], 45)

    def test_two_processes(self):
        self.continue_and_import("more-ddp", processes=2)

    def test_mismatched_file_is_refused(self):
        ws = self.ws
        other = support.mlp_config(self.data, model={"hiddenSize": 16})
        with self.assertRaises(AssertionError) as failure:
            ws.train_twin(ws.config("other.json", other), "x.safetensors", "--init-from", self.exported)
        self.assertIn("is not the config's", str(failure.exception))


if __name__ == "__main__":
    unittest.main()
