"""The twin's pieces against Descent's definitions: config keys against the README's key table
(which Descent's ReadmeKeyTableTests keeps equal to TrainingConfig.keys), config refusals,
context windows against ContextWindow.swift's worked example, the evaluation set's positions,
the schedule's off-by-one, and a damaged dataset refused with the file named."""

import json
import os
import re
import shutil
import unittest

import twin_support as support

support.require_torch(None)  # noqa: E402  (raises SkipTest at import when torch is absent)
import numpy as np  # noqa: E402

from descent_twin import config as configs  # noqa: E402
from descent_twin import optim  # noqa: E402
from descent_twin.dataset import DataError, PreparedDataset, contexts, evaluation_positions  # noqa: E402


def brief(key):
    """Descent's ConfigKey.allowedBrief."""
    f = configs._format
    if key.kind == "integer":
        return f"≥ {key.low}" if key.high == configs.INT_MAX else f"{key.low}–{key.high}"
    if key.kind == "real":
        return f"> {f(key.low)}, ≤ {f(key.high)}" if key.open_low else f"{f(key.low)}–{f(key.high)}"
    if key.kind == "boolean":
        return "true, false"
    if key.kind == "text":
        return "path"
    return ", ".join(key.choices)


def default_cell(key):
    if key.default is None:
        return "required"
    if isinstance(key.default, str):
        return f"`{key.default}`"
    if isinstance(key.default, bool):
        return "true" if key.default else "false"
    if key.default == 1e-8:
        return "1e-08"
    return configs._format(key.default)


class ConfigTests(unittest.TestCase):
    def test_keys_match_the_readme_table(self):
        with open(os.path.join(support.REPO, "README.md"), encoding="utf-8") as file:
            rows = re.findall(r"^\| `([a-z]+\.[A-Za-z0-9]+)` \| (.*?) \| (.*?) \| (?:fixed|may change) \|", file.read(), re.M)
        self.assertEqual([r[0] for r in rows], [k.path for k in configs.KEYS])
        for (path, default, allowed), key in zip(rows, configs.KEYS):
            self.assertEqual(default, default_cell(key), path)
            self.assertEqual(allowed, brief(key), path)

    def test_every_shipped_config_parses(self):
        directory = os.path.join(support.REPO, "configs")
        for name in sorted(os.listdir(directory)):
            config = configs.load(os.path.join(directory, name))
            self.assertEqual(set(config), {k.path for k in configs.KEYS}, name)

    def test_refusals_name_the_key(self):
        cases = [
            ({"training": {"maxStep": 5}}, "unknown key 'training.maxStep'. Did you mean 'training.maxSteps'?"),
            ({"trainer": {}}, "unknown key 'trainer'. Did you mean 'training'?"),
            ({"training": {"batchSize": 2.5}}, "training.batchSize must be an integer in 1...1048576, found 2.5."),
            ({"training": {"batchSize": True}}, "training.batchSize must be an integer in 1...1048576, found true."),
            ({"optimizer": {"learningRate": 0}}, "optimizer.learningRate must be a number > 0"),
            ({"model": {"activation": "swish"}}, 'model.activation must be one of "tanh", "relu", "gelu", found "swish".'),
            ({"schedule": {"warmupSteps": 1000}}, "schedule.warmupSteps (1000) must be less than training.maxSteps (1000)."),
            ({"optimizer": {"nesterov": True}}, "optimizer.nesterov needs optimizer.momentum > 0."),
        ]
        for body, message in cases:
            body = {"data": {"dir": "d"}, **body}
            with self.assertRaises(configs.ConfigError, msg=message) as failure:
                configs.parse(json.dumps(body), "c.json")
            self.assertIn(message, str(failure.exception))
        with self.assertRaises(configs.ConfigError) as failure:
            configs.parse("{}", "c.json")
        self.assertIn("data.dir is required", str(failure.exception))

    def test_overrides(self):
        config = configs.parse('{"data": {"dir": "d"}}', "c.json",
                               ["training.maxSteps=20000", "optimizer.nesterov=yes", "optimizer.momentum = 0.5"])
        self.assertEqual((config["training.maxSteps"], config["optimizer.nesterov"], config["optimizer.momentum"]),
                         (20000, True, 0.5))
        for bad, message in [("maxSteps=5", "Did you mean 'training.maxSteps'?"), ("training.maxSteps", "expected KEY=VALUE"),
                             ("training.maxSteps=lots", "found 'lots'")]:
            with self.assertRaises(configs.ConfigError) as failure:
                configs.parse('{"data": {"dir": "d"}}', "c.json", [bad])
            self.assertIn(message, str(failure.exception))


class ScheduleTests(unittest.TestCase):
    def test_warmup_cosine_off_by_one(self):
        config = configs.parse('{"data": {"dir": "d"}, "optimizer": {"learningRate": 1}, '
                               '"schedule": {"warmupSteps": 4, "minLearningRateFraction": 0.1}, '
                               '"training": {"maxSteps": 10}}', "c.json")
        rates = [optim.learning_rate(config, s) for s in range(12)]
        self.assertEqual(rates[:4], [0.25, 0.5, 0.75, 1.0])
        self.assertEqual(rates[4], 1.0)  # the cosine starts at the peak again
        self.assertAlmostEqual(rates[7], 0.1 + 0.45 * (1 + np.cos(np.pi * 3 / 6)), places=15)
        self.assertGreater(rates[9], 0.1)  # the last step run is a hair above the minimum
        self.assertEqual(rates[10:], [0.1, 0.1])

    def test_adamw_rate_is_the_float32_shortest_decimal(self):
        self.assertEqual(optim.adamw_learning_rate(1e-3), 0.001)
        self.assertEqual(optim.adamw_learning_rate(1 / 3), 0.33333334)


class DropoutTests(unittest.TestCase):
    def test_dropout_is_training_only_and_scales_what_it_keeps(self):
        import torch
        from descent_twin import models
        architecture = {"type": "mlp", "vocabularySize": 7, "contextLength": 3, "embeddingSize": 4,
                        "hiddenSize": 64, "hiddenLayers": 2, "activation": "gelu"}
        plain, dropping = models.make(architecture), models.make(architecture, dropout=0.5)
        plain.initialize(torch.Generator().manual_seed(1))
        dropping.load_state_dict(plain.state_dict())
        contexts = torch.randint(0, 7, (32, 3), generator=torch.Generator().manual_seed(2))
        dropping.eval()
        self.assertTrue(torch.equal(dropping(contexts), plain(contexts)), "eval mode drops nothing")
        dropping.train()
        torch.manual_seed(3)
        self.assertFalse(torch.equal(dropping(contexts), plain(contexts)), "train mode drops")
        hidden = torch.ones(1, 10_000)
        kept = torch.nn.functional.dropout(hidden, 0.5, True)
        self.assertTrue(set(kept.unique().tolist()) <= {0.0, 2.0})


class WindowTests(unittest.TestCase):
    def test_context_window_example(self):
        # ContextWindow.swift: stream [B e m m a B o l], T = 3.
        B, e, m, a, o, l = 0, 5, 13, 1, 15, 12
        stream = np.array([B, e, m, m, a, B, o, l])
        ctx, targets = contexts(stream, [1, 4, 5, 6, 7], 3, B)
        self.assertEqual(ctx.tolist(), [[B, B, B], [e, m, m], [m, m, a], [B, B, B], [B, B, o]])
        self.assertEqual(targets.tolist(), [e, a, B, o, l])

    def test_evaluation_positions(self):
        self.assertEqual(evaluation_positions(10, 4, 0).tolist(), list(range(1, 11)))
        self.assertEqual(evaluation_positions(10, 4, 3).tolist(), list(range(1, 11)))  # 12 ≥ 10: all
        # floor((2i + 1) · 10 / 8) + 1 for i < 4
        self.assertEqual(evaluation_positions(10, 2, 2).tolist(), [2, 4, 7, 9])


class DatasetTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = support.Workspace(support.require_descent())
        cls.data = cls.ws.path(cls.ws.prepare("names", support.names_text(200)))

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def copy(self, name):
        target = self.ws.path(name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.data, target)
        return target

    def test_reads_what_descent_wrote(self):
        dataset = PreparedDataset(self.data)
        stream = dataset.read_stream("train")
        self.assertEqual(len(stream), dataset.manifest["splits"]["train"]["tokens"])
        self.assertEqual((stream[0], stream[-1]), (0, 0))  # B d₁ B … dₙ B

    def test_damaged_shard_is_refused_by_name(self):
        directory = self.copy("damaged")
        path = os.path.join(directory, "train_000000.bin.gz")
        with open(path, "r+b") as file:
            file.seek(40)
            byte = file.read(1)
            file.seek(40)
            file.write(bytes([byte[0] ^ 1]))
        with self.assertRaises(DataError) as failure:
            PreparedDataset(directory).read_stream("train")
        self.assertIn(f"{path}: checksum mismatch", str(failure.exception))

    def test_changed_tokenizer_and_bad_manifest_are_refused(self):
        directory = self.copy("tokenizer")
        with open(os.path.join(directory, "tokenizer.json"), "a", encoding="utf-8") as file:
            file.write(" ")
        with self.assertRaises(DataError) as failure:
            PreparedDataset(directory)
        self.assertIn("tokenizer.json: checksum mismatch", str(failure.exception))
        directory = self.copy("manifest")
        manifest_path = os.path.join(directory, "manifest.json")
        with open(manifest_path, encoding="utf-8") as file:
            manifest = json.load(file)
        manifest["splits"]["train"]["tokens"] += 1
        with open(manifest_path, "w", encoding="utf-8") as file:
            json.dump(manifest, file)
        with self.assertRaises(DataError) as failure:
            PreparedDataset(directory)
        self.assertIn("train has", str(failure.exception))


if __name__ == "__main__":
    unittest.main()
