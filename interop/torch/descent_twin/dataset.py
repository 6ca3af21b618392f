"""A prepared Descent dataset (`descent prepare --out DIR`), read and verified as Descent reads it:
manifest.json (format, version, token counts, shard list), the tokenizer file against its
SHA-256, and each gzip shard against its SHA-256, then its llm.c header (magic, version, count),
its length and every token's range. A bad file is refused with its path and what is wrong.

Examples follow Sources/Data/ContextWindow.swift: every stream position p >= 1 is one example,
its target stream[p], its context the T tokens before p, oldest first, cut at the most recent
boundary at or before p - 1 (everything older, and positions before the stream, become the
boundary token). A split is held in memory whole, as one int64 tensor: fine for the corpora this
machine trains on (a 100M-token split takes 800 MB); larger ones want a streaming reader.
"""

import gzip
import hashlib
import json
import os
import zlib

import numpy as np

HEADER_INTS = 256
HEADER_BYTES = HEADER_INTS * 4
MAGIC16, VERSION16 = 20240520, 1
MAGIC32, VERSION32 = 20240801, 7


class DataError(ValueError):
    """A dataset file that Descent would refuse; the message names the file."""


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _plain_name(name):
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _manifest_problem(m):
    """The first reason a manifest cannot be trusted (DatasetManifest.problem), or None."""
    if m.get("format") != "descent-dataset":
        return f'format is "{m.get("format")}", expected "descent-dataset"'
    if m.get("version") != 1:
        return f"version {m.get('version')} is not supported; this reader reads version 1"
    vocabulary, boundary = m["vocabularySize"], m["boundaryToken"]
    if vocabulary < 2:
        return f"vocabularySize {vocabulary} is below 2"
    if not 0 <= boundary < vocabulary:
        return f"boundaryToken {boundary} is outside the vocabulary"
    if m["tokenBytes"] != (4 if vocabulary > 65_535 else 2):
        return f"tokenBytes {m['tokenBytes']} does not fit vocabularySize {vocabulary}"
    if not _plain_name(m["tokenizer"]):
        return f'tokenizer file name "{m["tokenizer"]}" is not a plain file name'
    names = set()
    for shard in m["shards"]:
        if not _plain_name(shard["file"]):
            return f'shard file name "{shard["file"]}" is not a plain file name'
        if shard["file"] in names:
            return f"shard {shard['file']} is listed twice"
        names.add(shard["file"])
        if not 1 <= shard["tokens"] <= 2**31 - 1:
            return f"shard {shard['file']} has {shard['tokens']} tokens"
        if len(shard["sha256"]) != 64:
            return f"shard {shard['file']} has a malformed sha256"
        if shard["split"] not in ("train", "val"):
            return f"shard {shard['file']} has split \"{shard['split']}\""
    for split in ("train", "val"):
        info = m["splits"][split]
        total = sum(s["tokens"] for s in m["shards"] if s["split"] == split)
        if info["tokens"] != total:
            return f"{split} has {info['tokens']} tokens but its shards hold {total}"
        if info["examples"] != max(0, info["tokens"] - 1):
            return f"{split} examples {info['examples']} do not match its {info['tokens']} tokens"
    return None


class PreparedDataset:
    """An opened dataset directory: manifest checked, tokenizer verified, shards present."""

    def __init__(self, directory):
        self.directory = directory
        if not os.path.isdir(directory):
            raise DataError(f"{directory}: no such dataset directory. Prepare one with "
                            f"`descent prepare TEXT --out {directory}`.")
        manifest_path = os.path.join(directory, "manifest.json")
        if not os.path.isfile(manifest_path):
            raise DataError(f"{directory}: not a dataset (no manifest.json). Prepare one with `descent prepare`.")
        with open(manifest_path, "rb") as file:
            manifest_bytes = file.read()
        try:
            manifest = json.loads(manifest_bytes)
            problem = _manifest_problem(manifest)
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            problem = f"not a valid manifest ({error!r})"
        if problem:
            raise DataError(f"{manifest_path}: {problem}. Prepare the dataset again.")
        self.manifest = manifest
        tokenizer_path = os.path.join(directory, manifest["tokenizer"])
        if not os.path.isfile(tokenizer_path):
            raise DataError(f"{tokenizer_path}: missing. Prepare the dataset again.")
        with open(tokenizer_path, "rb") as file:
            tokenizer_bytes = file.read()
        actual = _sha256(tokenizer_bytes)
        if actual != manifest["tokenizerSHA256"]:
            raise DataError(f"{tokenizer_path}: checksum mismatch (manifest {manifest['tokenizerSHA256'][:12]}…, "
                            f"file {actual[:12]}…). The file was changed or damaged; prepare the dataset again.")
        #: The tokenizer file's text, as Descent stores it with a run.
        self.tokenizer_text = tokenizer_bytes.decode("utf-8")
        tokenizer = json.loads(self.tokenizer_text)
        if tokenizer.get("boundaryToken") != manifest["boundaryToken"]:
            raise DataError(f"{manifest_path}: boundaryToken {manifest['boundaryToken']} does not match the "
                            f"tokenizer's {tokenizer.get('boundaryToken')}.")
        for shard in manifest["shards"]:
            path = os.path.join(directory, shard["file"])
            if not os.path.isfile(path):
                raise DataError(f"{path}: missing. Prepare the dataset again.")

    @property
    def vocabulary_size(self):
        return self.manifest["vocabularySize"]

    @property
    def boundary_token(self):
        return self.manifest["boundaryToken"]

    def example_count(self, split):
        return self.manifest["splits"][split]["examples"]

    def read_shard(self, shard):
        """The verified tokens of one shard, as int64."""
        path = os.path.join(self.directory, shard["file"])
        with open(path, "rb") as file:
            compressed = file.read()
        actual = _sha256(compressed)
        if actual != shard["sha256"]:
            raise DataError(f"{path}: checksum mismatch (manifest {shard['sha256'][:12]}…, file {actual[:12]}…). "
                            "The shard was changed or damaged; prepare the dataset again.")
        try:
            raw = gzip.decompress(compressed)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{path}: not a valid gzip file ({error}).") from None
        if len(raw) < HEADER_BYTES:
            raise DataError(f"{path}: bad shard header (file holds {len(raw)} bytes, less than the "
                            f"{HEADER_BYTES}-byte header).")
        header = np.frombuffer(raw[:HEADER_BYTES], dtype="<i4")
        token_bytes = self.manifest["tokenBytes"]
        magic, version = (MAGIC16, VERSION16) if token_bytes == 2 else (MAGIC32, VERSION32)
        if header[0] != magic:
            raise DataError(f"{path}: bad shard header (magic {header[0]}, expected {magic}).")
        if header[1] != version:
            raise DataError(f"{path}: bad shard header (version {header[1]}, expected {version}).")
        if header[2] != shard["tokens"]:
            raise DataError(f"{path}: bad shard header (header says {header[2]} tokens, manifest {shard['tokens']}).")
        payload = len(raw) - HEADER_BYTES
        if payload != shard["tokens"] * token_bytes:
            raise DataError(f"{path}: payload holds {payload // token_bytes} tokens, the manifest {shard['tokens']}.")
        tokens = np.frombuffer(raw[HEADER_BYTES:], dtype="<u2" if token_bytes == 2 else "<u4").astype(np.int64)
        bad = np.nonzero(tokens >= self.vocabulary_size)[0]
        if bad.size:
            raise DataError(f"{path}: token {tokens[bad[0]]} at index {bad[0]} is outside the vocabulary "
                            f"of {self.vocabulary_size}.")
        return tokens

    def read_stream(self, split):
        """The whole token stream of `split` (boundaries included), every shard verified."""
        parts = [self.read_shard(s) for s in self.manifest["shards"] if s["split"] == split]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def contexts(stream, positions, context_length, boundary):
    """(len(positions), T) contexts of the examples at stream `positions` (each >= 1), and their
    targets: ContextWindow's rule, vectorised."""
    positions = np.asarray(positions, dtype=np.int64)
    padded = np.concatenate([np.full(context_length, boundary, dtype=np.int64), stream])
    # Position p's context is stream[p - T ..< p] = padded[p ..< p + T].
    window = padded[positions[:, None] + np.arange(context_length)[None, :]]
    is_boundary = window == boundary
    # Slot k becomes the boundary when a boundary sits in a later slot: cut at the most recent one.
    later = np.zeros_like(is_boundary)
    if context_length > 1:
        later[:, :-1] = np.flip(np.logical_or.accumulate(np.flip(is_boundary[:, 1:], axis=1), axis=1), axis=1)
    window[later] = boundary
    return window, stream[positions]


def evaluation_positions(split_examples, batch_size, max_batches):
    """Stream positions of Descent's fixed evaluation set (Sources/Data/EvaluationSet.swift): all
    examples when max_batches is 0 or covers the split, else S = max_batches * batch_size of them
    at floor((2i + 1) N / (2S)) + 1."""
    wanted = max_batches * batch_size
    if max_batches == 0 or wanted >= split_examples:
        return np.arange(1, split_examples + 1, dtype=np.int64)
    # Python integers: exact for any split size, as Descent's 128-bit arithmetic.
    return np.array([(2 * i + 1) * split_examples // (2 * wanted) + 1 for i in range(wanted)], dtype=np.int64)
