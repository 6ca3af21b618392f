"""Shared helpers of the twin's parity tests (test_twin_*.py): the Descent executable, the
torch venv, scratch directories, tiny datasets, and running both trainers.

The tests need Descent built (scripts/test-interop.sh builds it and sets DESCENT_BIN) and the
torch venv (scripts/setup-torch.sh); they skip with a message when either is absent.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWIN = os.path.join(REPO, "interop", "torch")
TRAIN_PY = os.path.join(TWIN, "train.py")
NAMES = os.path.join(os.path.dirname(REPO), "shared", "data", "names.txt")
if TWIN not in sys.path:
    sys.path.insert(0, TWIN)

try:
    import numpy  # noqa: F401
    import safetensors  # noqa: F401
    import torch  # noqa: F401
    MISSING_PACKAGES = None
except ImportError as error:
    MISSING_PACKAGES = f"the PyTorch twin's packages are missing ({error}); run scripts/setup-torch.sh"


def descent_bin():
    path = os.environ.get("DESCENT_BIN") or os.path.join(REPO, ".build", "release", "descent")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def require_torch(test):
    if MISSING_PACKAGES:
        raise unittest.SkipTest(MISSING_PACKAGES)


def require_descent():
    require_torch(None)
    path = descent_bin()
    if not path:
        raise unittest.SkipTest("no Descent executable: set DESCENT_BIN or run scripts/test-interop.sh, which builds it")
    return path


def torchrun():
    """The torchrun of the python running the tests."""
    return [sys.executable, "-m", "torch.distributed.run"]


class Workspace:
    """A scratch directory used as the working directory of both trainers (configs name data dirs
    relative to it), with its own Descent database."""

    def __init__(self, descent):
        self.descent = descent
        self.dir = tempfile.mkdtemp(prefix="descent-twin-")
        self.db = os.path.join(self.dir, "runs.db")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def run(self, args, **kwargs):
        result = subprocess.run(args, cwd=self.dir, capture_output=True, text=True, **kwargs)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def descent_cmd(self, *args, db=True):
        return self.run([self.descent, *args, *(["--db", self.db] if db else [])])

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as file:
            file.write(text)
        return self.path(name)

    def config(self, name, config):
        return self.write(name, json.dumps(config))

    def prepare(self, name, text, *options):
        source = self.write(name + ".txt", text)
        self.descent_cmd("prepare", source, "--out", "data/" + name, "--split-by", "lines", *options, db=False)
        return "data/" + name

    def train_descent(self, config_path, run, *options):
        self.descent_cmd("train", config_path, "--run", run, "--quiet", *options)

    def run_info(self, run):
        runs = json.loads(self.descent_cmd("runs", "--json").stdout)
        return next(r for r in runs if r["name"] == run)

    def export(self, run, out):
        self.descent_cmd("export", run, "--format", "safetensors", "-o", self.path(out))
        return self.path(out)

    def import_(self, file, run, *options):
        self.descent_cmd("import", file, "--run", run, *options)

    def eval_text(self, run, text_path):
        return json.loads(self.descent_cmd("eval", run, "--text", text_path, "--split-by", "lines", "--json").stdout)

    def train_twin(self, config_path, out, *options, processes=1):
        launcher = [sys.executable] if processes == 1 else [
            *torchrun(), "--standalone", f"--nproc_per_node={processes}"]
        return self.run([*launcher, TRAIN_PY, *([config_path] if config_path else []), "--out", self.path(out),
                         *options], env={**os.environ, "OMP_NUM_THREADS": "1"})


def names_text(count, start=0):
    """`count` names of ../shared/data/names.txt, one a line."""
    if not os.path.isfile(NAMES):
        raise unittest.SkipTest(f"{NAMES} is absent (../shared/data/names.txt)")
    with open(NAMES, encoding="utf-8") as file:
        names = file.read().split()
    return "\n".join(names[start:start + count]) + "\n"


def split_text(dataset_dir, split):
    """A character dataset's split decoded back to text, one document a line: what `descent
    eval --split-by lines` scores as exactly that split's examples."""
    from descent_twin.dataset import PreparedDataset
    dataset = PreparedDataset(dataset_dir)
    tokenizer = json.loads(dataset.tokenizer_text)
    assert tokenizer["type"] == "character" and dataset.boundary_token == 0
    symbols = tokenizer["symbols"]
    stream = dataset.read_stream(split)
    documents, current = [], []
    for token in stream[1:]:
        if token == 0:
            documents.append("".join(current))
            current = []
        else:
            current.append(symbols[token - 1])
    assert not current, "the stream ends with a boundary"
    return "\n".join(documents) + "\n"


def mlp_config(data_dir, **sections):
    """A small MLP config on `data_dir`; `sections` override keys per section."""
    config = {
        "data": {"dir": data_dir},
        "model": {"type": "mlp", "contextLength": 3, "embeddingSize": 8, "hiddenSize": 32, "hiddenLayers": 2,
                  "activation": "gelu"},
        "optimizer": {"type": "sgd", "learningRate": 0.1, "momentum": 0.9},
        "schedule": {"warmupSteps": 0, "minLearningRateFraction": 0.1},
        "training": {"maxSteps": 20, "batchSize": 32, "seed": 7, "evalInterval": 0, "evalBatches": 0,
                     "checkpointInterval": 0, "logInterval": 10},
    }
    for section, values in sections.items():
        config.setdefault(section, {}).update(values)
    return config


def relative_difference(a, b):
    """max |a − b| / max |b| over a tensor (a scale-aware relative error)."""
    import numpy as np
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def load_twin_model(path):
    """The twin's model holding a safetensors file's weights."""
    from descent_twin import checkpoint, models
    tensors, architecture, metadata = checkpoint.load(path)
    model = models.make(architecture)
    model.load_state_dict(tensors)
    return model, metadata


def twin_loss(model, dataset_dir, split, batch_size=1, eval_batches=0):
    """The twin's mean loss over Descent's evaluation set of `split` (all of it by default)."""
    from descent_twin.dataset import PreparedDataset, evaluation_positions
    from descent_twin.training import evaluate
    dataset = PreparedDataset(dataset_dir)
    stream = dataset.read_stream(split)
    positions = evaluation_positions(len(stream) - 1, batch_size, eval_batches)
    return evaluate(model, stream, positions, model.architecture["contextLength"], dataset.boundary_token)

