"""Weights in and out as safetensors, with Descent's metadata (README "Export and import"):
F32 tensors named as the twin's state_dict, and `__metadata__` strings
descent.format "1", descent.architecture, descent.config, descent.tokenizer, descent.run and
descent.step. `descent import FILE --run NAME` reads what `save` writes; `load` reads what
`descent export RUN --format safetensors` writes.
"""

import json

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from . import config as configs
from .models import expected_shapes

FORMAT = "1"


class CheckpointError(ValueError):
    """A safetensors file the twin cannot use; the message names the first problem."""


def architecture_json(architecture):
    return json.dumps(architecture, sort_keys=True, separators=(",", ":"))


def save(path, model, config, tokenizer_text, run=None, step=None):
    tensors = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in model.state_dict().items()}
    metadata = {
        "descent.format": FORMAT,
        "descent.architecture": architecture_json(model.architecture),
        "descent.config": configs.to_json(config),
        "descent.tokenizer": tokenizer_text,
    }
    if run is not None:
        metadata["descent.run"] = run
    if step is not None:
        metadata["descent.step"] = str(step)
    save_file(tensors, path, metadata=metadata)


def load(path):
    """(tensors by name, architecture dict, metadata dict), checked against the architecture."""
    try:
        with safe_open(path, framework="pt") as file:
            metadata = file.metadata() or {}
            tensors = {name: file.get_tensor(name) for name in file.keys()}
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file.") from None
    except Exception as error:  # safetensors raises its own SafetensorError for a damaged file
        raise CheckpointError(f"{path}: not a readable safetensors file ({error}).") from None
    if metadata.get("descent.format") != FORMAT:
        raise CheckpointError(f"{path}: descent.format is {metadata.get('descent.format')!r}, expected {FORMAT!r}; "
                              "export it with `descent export RUN --format safetensors`.")
    for key in ("descent.architecture", "descent.config", "descent.tokenizer"):
        if key not in metadata:
            raise CheckpointError(f"{path}: metadata has no {key}.")
    architecture = json.loads(metadata["descent.architecture"])
    shapes = expected_shapes(architecture)
    for name in sorted(set(shapes) | set(tensors)):
        if name not in tensors:
            raise CheckpointError(f"{path}: tensor {name} is missing (architecture {architecture_json(architecture)}).")
        if name not in shapes:
            raise CheckpointError(f"{path}: tensor {name} is not part of a {architecture['type']} model.")
        if tuple(tensors[name].shape) != shapes[name] or tensors[name].dtype != torch.float32:
            raise CheckpointError(f"{path}: tensor {name} is {tensors[name].dtype} {list(tensors[name].shape)}, "
                                  f"expected float32 {list(shapes[name])}.")
    return tensors, architecture, metadata


def embedded_config(metadata, overrides=(), source="descent.config"):
    """The config stored in a file's metadata, with `--set` overrides."""
    return configs.parse(metadata["descent.config"], source, overrides)
