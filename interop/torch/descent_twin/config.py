"""Descent's training config: the same keys, defaults, allowed values and checks as
Sources/Training/TrainingConfig+Keys.swift, so one JSON file drives both trainers.

A config is nested JSON ({"training": {"maxSteps": 500}}) overridden by `--set KEY=VALUE`.
Unknown sections or keys, wrong types, values out of range and inconsistent pairs are refused with
the message Descent gives. The result is a flat dict from dotted key to value with every default
filled in; `nested` turns it back into the sorted nested form Descent stores with a run.
"""

import json
import math
from dataclasses import dataclass

INT_MAX = 2**63 - 1


class ConfigError(ValueError):
    """A config that Descent would refuse; the message says which key and why."""


@dataclass(frozen=True)
class Key:
    path: str
    kind: str  # "integer", "real", "boolean", "text", "choice"
    default: object  # None: required
    low: float = 0
    high: float = 0
    open_low: bool = False
    choices: tuple = ()

    @property
    def section(self):
        return self.path.split(".", 1)[0]

    def allowed(self):
        if self.kind == "integer":
            if self.high == INT_MAX:
                return f"an integer ≥ {self.low}"
            return f"an integer in {self.low}...{self.high}"
        if self.kind == "real":
            lower = f"> {_format(self.low)}" if self.open_low else f"≥ {_format(self.low)}"
            return f"a number {lower} and ≤ {_format(self.high)}"
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "text":
            return "a string"
        return "one of " + ", ".join(f'"{c}"' for c in self.choices)


def _format(value):
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else str(value)


def _integer(path, default, low, high):
    return Key(path, "integer", default, low, high)


def _real(path, default, low, high, open_low=False):
    return Key(path, "real", default, low, high, open_low)


MODEL_TYPES = ("bigram", "mlp")
ACTIVATIONS = ("tanh", "relu", "gelu")
FIRST_LAYER_PATHS = ("auto", "dense", "tables")
OPTIMIZERS = ("sgd", "adamw")

# Declared in the order of TrainingConfig.keys; a test checks this list against the README's
# key table, which Descent's own tests keep equal to the Swift declaration.
KEYS = (
    Key("data.dir", "text", None),
    Key("model.type", "choice", "bigram", choices=MODEL_TYPES),
    _integer("model.contextLength", 3, 1, 1024),
    _integer("model.embeddingSize", 10, 1, 4096),
    _integer("model.hiddenSize", 200, 1, 16384),
    _integer("model.hiddenLayers", 1, 1, 16),
    Key("model.activation", "choice", "tanh", choices=ACTIVATIONS),
    # The twin has one first-layer path (nn.Linear over the concatenated embeddings); Descent's
    # choice changes only its rounding, so the twin accepts it and computes the same function.
    Key("model.firstLayer", "choice", "auto", choices=FIRST_LAYER_PATHS),
    _real("model.dropout", 0.0, 0, 0.9),
    Key("optimizer.type", "choice", "sgd", choices=OPTIMIZERS),
    _real("optimizer.learningRate", 0.1, 0, 1e6, open_low=True),
    _real("optimizer.momentum", 0.0, 0, 0.999),
    Key("optimizer.nesterov", "boolean", False),
    _real("optimizer.weightDecay", 0.0, 0, 10),
    Key("optimizer.decayEmbeddings", "boolean", False),
    _real("optimizer.beta1", 0.9, 0, 0.999999),
    _real("optimizer.beta2", 0.999, 0, 0.999999),
    _real("optimizer.epsilon", 1e-8, 0, 1, open_low=True),
    _real("optimizer.gradientClipNorm", 0.0, 0, 1e9),
    _integer("schedule.warmupSteps", 0, 0, INT_MAX),
    _real("schedule.minLearningRateFraction", 0.1, 0, 1),
    _integer("training.maxSteps", 1000, 1, INT_MAX),
    _integer("training.batchSize", 32, 1, 1_048_576),
    _integer("training.seed", 1337, 0, INT_MAX),
    _integer("training.evalInterval", 500, 0, INT_MAX),
    _integer("training.evalBatches", 50, 0, INT_MAX),
    _integer("training.checkpointInterval", 1000, 0, INT_MAX),
    _integer("training.keepCheckpoints", 3, 1, 1_000_000),
    _integer("training.logInterval", 100, 1, INT_MAX),
    _integer("training.sampleInterval", 0, 0, INT_MAX),
    _integer("training.sampleTokens", 100, 1, 10_000),
    _integer("training.trajectoryPoints", 0, 0, 1000),
)
KEYS_BY_PATH = {key.path: key for key in KEYS}
SECTIONS = tuple(dict.fromkeys(key.section for key in KEYS))


def _display(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return _format(value) if math.isfinite(value) else str(value)
    return json.dumps(value)


def _edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
        previous = current
    return previous[len(b)]


def _suggestion(name, candidates):
    scored = [(c, _edit_distance(name.lower(), c.lower())) for c in candidates]
    best = min(scored, key=lambda pair: pair[1])
    if best[1] <= max(3, len(name) // 3):
        return best[0]
    return next((c for c in candidates if c.endswith("." + name)), None)


def _unknown(source, name, candidates):
    hint = _suggestion(name, candidates)
    hint = f" Did you mean '{hint}'?" if hint else ""
    return ConfigError(f"{source}: unknown key '{name}'.{hint} `descent train --help` lists every key.")


def _check(key, value, source):
    """The value as the key stores it, or ConfigError (Descent's ConfigKey.set)."""
    wrong = ConfigError(f"{source}: {key.path} must be {key.allowed()}, found {_display(value)}.")
    out_of_range = ConfigError(f"{source}: {key.path} must be {key.allowed()}, found {_display(value)}.")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key.kind == "integer":
        if not is_number or not math.isfinite(value) or value != round(value) or abs(value) >= 9e15:
            raise wrong
        if not key.low <= int(value) <= key.high:
            raise out_of_range
        return int(value)
    if key.kind == "real":
        if not is_number:
            raise wrong
        value = float(value)
        if not math.isfinite(value) or not key.low <= value <= key.high or (key.open_low and value == key.low):
            raise out_of_range
        return value
    if key.kind == "boolean":
        if not isinstance(value, bool):
            raise wrong
        return value
    if not isinstance(value, str):
        raise wrong
    if key.kind == "text" and not value:
        raise ConfigError(f'{source}: {key.path} must be a non-empty string, found "".')
    if key.kind == "choice" and value not in key.choices:
        raise out_of_range
    return value


def _override(text):
    if "=" not in text or text.startswith("="):
        raise ConfigError(f"--set '{text}': expected KEY=VALUE, e.g. --set training.maxSteps=500.")
    path, raw = (part.strip() for part in text.split("=", 1))
    key = KEYS_BY_PATH.get(path)
    if key is None:
        raise _unknown("--set", path, [k.path for k in KEYS])
    if key.kind in ("integer", "real"):
        try:
            return path, float(raw)
        except ValueError:
            raise ConfigError(f"--set: {path} must be {key.allowed()}, found '{raw}'.") from None
    if key.kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "yes", "1"):
            return path, True
        if lowered in ("false", "no", "0"):
            return path, False
        raise ConfigError(f"--set: {path} must be {key.allowed()}, found '{raw}'.")
    return path, raw


def parse(text, source, overrides=()):
    """The complete config (dotted key -> value) of JSON `text`, `source` naming it in errors."""
    try:
        root = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{source}: not valid JSON ({error}).") from None
    if not isinstance(root, dict):
        raise ConfigError(f"{source}: the config must be a JSON object.")
    flat = {}
    for name, section in root.items():
        if name not in SECTIONS:
            raise _unknown(source, name, SECTIONS)
        if not isinstance(section, dict):
            raise ConfigError(f"{source}: '{name}' must be an object of keys.")
        for key, value in section.items():
            flat[f"{name}.{key}"] = value
    config = {}
    for path in sorted(flat):
        key = KEYS_BY_PATH.get(path)
        if key is None:
            raise _unknown(source, path, [k.path for k in KEYS])
        config[path] = _check(key, flat[path], source)
    for text in overrides:
        path, value = _override(text)
        config[path] = _check(KEYS_BY_PATH[path], value, "--set")
    for key in KEYS:
        if key.path not in config:
            if key.default is None:
                raise ConfigError(f"{source}: {key.path} is required.")
            config[key.path] = key.default
    if config["schedule.warmupSteps"] >= config["training.maxSteps"]:
        raise ConfigError(f"{source}: schedule.warmupSteps ({config['schedule.warmupSteps']}) must be less than "
                          f"training.maxSteps ({config['training.maxSteps']}).")
    if config["optimizer.nesterov"] and config["optimizer.momentum"] == 0 and config["optimizer.type"] == "sgd":
        raise ConfigError(f"{source}: optimizer.nesterov needs optimizer.momentum > 0.")
    return config


def load(path, overrides=()):
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: cannot read the config (no such file). Check the path; configs/ holds examples.") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: cannot read the config (it is a directory). Check the path; configs/ holds examples.") from None
    return parse(text, path, overrides)


def nested(config):
    """The config as Descent stores it with a run: sections of keys, every value filled in."""
    sections = {}
    for key in KEYS:
        name = key.path[len(key.section) + 1:]
        sections.setdefault(key.section, {})[name] = config[key.path]
    return sections


def to_json(config):
    """Nested JSON with sorted keys (how `descent.config` is written in a safetensors file)."""
    return json.dumps(nested(config), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def architecture(config, vocabulary_size):
    """The model's shape, as Descent's ModelArchitecture (the bigram's MLP fields are fixed)."""
    bigram = config["model.type"] == "bigram"
    return {
        "type": config["model.type"],
        "vocabularySize": vocabulary_size,
        "contextLength": 1 if bigram else config["model.contextLength"],
        "embeddingSize": 0 if bigram else config["model.embeddingSize"],
        "hiddenSize": 0 if bigram else config["model.hiddenSize"],
        "hiddenLayers": 0 if bigram else config["model.hiddenLayers"],
        "activation": config["model.activation"],
    }
