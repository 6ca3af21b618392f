"""What the numpy-only interop tests share: the Descent binaries, a scratch workspace with a small
prepared corpus, and runs trained, exported and shard-exported through the real CLI.

Binaries: DESCENT_BIN (default .build/debug/descent, relative to the repository root) and
DESCENT_BENCH_BIN (default: descent-bench beside DESCENT_BIN). Tests skip, saying why, when a
binary is not built or numpy / safetensors are not installed; they need no torch."""

import importlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary(variable, default):
    path = os.environ.get(variable, default)
    if not os.path.isabs(path):
        path = os.path.join(REPOSITORY, path)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} is not built (set {variable} or run `swift build`)")
    return path


def descent_binary():
    return binary("DESCENT_BIN", ".build/debug/descent")


def bench_binary():
    descent = descent_binary()
    return binary("DESCENT_BENCH_BIN", os.path.join(os.path.dirname(descent), "descent-bench"))


def require(module):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise unittest.SkipTest(f"Python package '{module}' is not installed (PY=$(scripts/setup-torch.sh) or pip install {module})")


def names_text(count):
    """A deterministic corpus of `count` name-like lines over a small alphabet."""
    parts = ["an", "na", "el", "li", "ma", "ra", "jo", "ko", "ti", "sa", "be", "du"]
    return "".join(parts[i % 12] + parts[(i * 7 // 12) % 12] + (parts[(i * 5) % 12] if i % 3 == 0 else "") + "\n"
                   for i in range(count))


class Workspace:
    """A temporary directory holding a store and datasets; commands run inside it."""

    def __init__(self):
        self.descent = descent_binary()
        self.directory = tempfile.mkdtemp(prefix="descent-interop-")

    def close(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.directory, name)

    def run(self, *arguments, program=None):
        result = subprocess.run([program or self.descent, *arguments], cwd=self.directory, capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(arguments)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def prepare(self, name, text):
        with open(self.path(name + ".txt"), "w") as corpus:
            corpus.write(text)
        self.run("prepare", name + ".txt", "--out", "data/" + name, "--split-by", "lines")
        return "data/" + name

    def train(self, run, config):
        with open(self.path(run + ".json"), "w") as file:
            json.dump(config, file)
        self.run("train", run + ".json", "--run", run, "--quiet")

    def export(self, run, file=None):
        file = file or run + ".safetensors"
        self.run("export", run, "--format", "safetensors", "-o", file)
        return self.path(file)
