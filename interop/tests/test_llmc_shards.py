"""`descent export-data DIR --format llmc -o OUT/` writes files llm.c reads: a tiny reader that
makes the header checks of llm.c's llmc/dataloader.h (dataloader_load_shard_: magic 20240520,
version 1, a positive token count, the file size 256*4 + count*2) reads every exported shard, and
the tokens it reads, decoded with the dataset's tokenizer.json, are the corpus's documents.
The exported bytes are also what `gunzip` gives for the dataset's own shards.

Needs only the Python standard library (and the descent binary)."""

import gzip
import json
import os
import struct
import unittest
from collections import Counter

import swift_support as support

HEADER_INTS = 256
LLMC_MAGIC, LLMC_VERSION = 20240520, 1


class ShardError(Exception):
    pass


def read_llmc_shard(path):
    """The tokens of an llm.c token file, after dataloader.h's checks; ShardError otherwise."""
    with open(path, "rb") as file:
        header_bytes = file.read(HEADER_INTS * 4)
        if len(header_bytes) != HEADER_INTS * 4:
            raise ShardError(f"{path}: shorter than the {HEADER_INTS}-int header")
        header = struct.unpack(f"<{HEADER_INTS}i", header_bytes)
        if header[0] != LLMC_MAGIC:
            raise ShardError(f"{path}: bad magic {header[0]}")
        if header[1] != LLMC_VERSION:
            raise ShardError(f"{path}: bad version {header[1]}")
        count = header[2]
        if count <= 0:
            raise ShardError(f"{path}: token count {count}")
        size = os.fstat(file.fileno()).st_size
        if size != HEADER_INTS * 4 + count * 2:
            raise ShardError(f"{path}: file size {size}, expected {HEADER_INTS * 4 + count * 2}")
        return list(struct.unpack(f"<{count}H", file.read(count * 2)))


def documents(tokens, symbols, boundary):
    """The texts between boundary tokens (character tokenizer: id i > 0 is symbols[i - 1])."""
    texts, current = [], []
    for token in tokens:
        if token == boundary:
            if current:
                texts.append("".join(current))
            current = []
        else:
            current.append(symbols[token - 1])
    if current:
        texts.append("".join(current))
    return texts


class LLMCShardTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = support.Workspace()
        cls.corpus = support.names_text(3000)
        with open(cls.ws.path("names.txt"), "w") as file:
            file.write(cls.corpus)
        # Small shards, so that each split has several.
        cls.ws.run("prepare", "names.txt", "--out", "data/names", "--split-by", "lines", "--shard-tokens", "4000")
        cls.data = cls.ws.path("data/names")
        cls.ws.run("export-data", "data/names", "--format", "llmc", "-o", "llmc")
        cls.out = cls.ws.path("llmc")
        with open(os.path.join(cls.data, "manifest.json")) as file:
            cls.manifest = json.load(file)
        with open(os.path.join(cls.out, "listing.json")) as file:
            cls.listing = json.load(file)

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def test_every_shard_passes_dataloader_checks_and_equals_gunzip(self):
        shards = self.manifest["shards"]
        self.assertGreater(sum(shard["split"] == "train" for shard in shards), 2)
        self.assertEqual([entry["file"] for entry in self.listing["files"]], [shard["file"][:-3] for shard in shards])
        self.assertEqual((self.listing["magic"], self.listing["version"], self.listing["tokenBytes"]), (LLMC_MAGIC, LLMC_VERSION, 2))
        for shard, entry in zip(shards, self.listing["files"]):
            path = os.path.join(self.out, entry["file"])
            tokens = read_llmc_shard(path)
            self.assertEqual(len(tokens), shard["tokens"])
            self.assertEqual(entry["tokens"], shard["tokens"])
            with open(path, "rb") as exported, gzip.open(os.path.join(self.data, shard["file"])) as original:
                self.assertEqual(exported.read(), original.read(), entry["file"])
            self.assertTrue(all(0 <= token < self.manifest["vocabularySize"] for token in tokens))

    def test_tokens_decode_to_the_corpus_documents(self):
        with open(os.path.join(self.out, "tokenizer.json")) as file:
            tokenizer = json.load(file)
        self.assertEqual(tokenizer["type"], "character")
        decoded = Counter()
        for split in ("train", "val"):
            tokens = []
            for entry in self.listing["files"]:
                if entry["split"] == split:
                    tokens += read_llmc_shard(os.path.join(self.out, entry["file"]))
            texts = documents(tokens, tokenizer["symbols"], tokenizer["boundaryToken"])
            self.assertEqual(len(texts), self.manifest["splits"][split]["documents"])
            decoded.update(texts)
        self.assertEqual(decoded, Counter(self.corpus.splitlines()))

    def test_reader_refuses_what_dataloader_refuses(self):
        source = os.path.join(self.out, self.listing["files"][0]["file"])
        with open(source, "rb") as file:
            good = file.read()
        cases = {
            "bad magic": struct.pack("<i", 20240801) + good[4:],
            "bad version": good[:4] + struct.pack("<i", 7) + good[8:],
            "file size": good[:-2],
            "token count": good[:8] + struct.pack("<i", 0) + good[12:],
        }
        for reason, data in cases.items():
            path = self.ws.path("damaged.bin")
            with open(path, "wb") as file:
                file.write(data)
            with self.assertRaises(ShardError, msg=reason) as raised:
                read_llmc_shard(path)
            self.assertIn(reason, str(raised.exception))

    def test_refuses_to_write_into_a_directory_with_files(self):
        with self.assertRaises(AssertionError) as raised:
            self.ws.run("export-data", "data/names", "--format", "llmc", "-o", "llmc")
        self.assertIn("--overwrite", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
