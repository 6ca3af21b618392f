"""The training loop: Descent's step order (Sources/Training/Trainer.swift, TrainingStep.swift)
on one process or under torchrun with DistributedDataParallel.

Per step s (from 0): lr = schedule(s); the next global batch of training.batchSize examples;
mean cross-entropy; backward (DDP all-reduces and averages the gradients, so with equal slices the
gradient is the global batch's mean, as in one process); global-norm clipping; the update, skipped
and the run stopped when the loss or the gradient norm is not finite. Validation loss at step 0
(when evalInterval > 0), every evalInterval steps and after the last, on Descent's fixed
evaluation set. Progress every logInterval steps and after the last.

Batches: epochs of the train split, each a permutation of all its examples drawn from
numpy's PCG64 seeded with (seed, epoch); a batch may span two epochs, as Descent's. Every rank
draws the same permutation and takes its own contiguous slice of each global batch, so the ranks
read disjoint examples and the union is the batch one process would read. The order is not
Descent's (Descent shuffles within shards with Xoshiro256); when a batch is the whole split the
two coincide up to summation order, which the parity tests use.
"""

import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn import functional as F

from . import checkpoint, optim
from .config import architecture as config_architecture
from .dataset import contexts as make_contexts
from .dataset import evaluation_positions
from .models import make


class TrainingError(RuntimeError):
    pass


class Distributed:
    """Rank, world size and device; a single process when not started by torchrun."""

    def __init__(self, device_choice):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = device_choice == "cuda" or (device_choice == "auto" and torch.cuda.is_available())
        if use_cuda and not torch.cuda.is_available():
            raise TrainingError("--device cuda: this torch has no CUDA device (install the CUDA build: "
                                "scripts/setup-torch.sh --cuda).")
        if use_cuda:
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")
        self.enabled = self.world > 1
        if self.enabled:
            dist.init_process_group(backend="nccl" if use_cuda else "gloo")

    @property
    def is_main(self):
        return self.rank == 0

    def all_sum(self, values):
        """Element-wise sum over the ranks of a list of floats (float64)."""
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.enabled:
            dist.all_reduce(tensor)
        return tensor.tolist()

    def close(self):
        if self.enabled:
            dist.destroy_process_group()


class BatchStream:
    """This rank's slice of every global batch of the train split."""

    def __init__(self, stream, context_length, boundary, batch_size, seed, rank, world):
        if batch_size % world:
            raise TrainingError(f"training.batchSize {batch_size} does not split evenly over {world} processes; "
                                f"use a multiple of {world}.")
        self.stream, self.t, self.boundary = stream, context_length, boundary
        self.examples = len(stream) - 1
        if self.examples < 1:
            raise TrainingError("the train split has no examples.")
        self.batch, self.seed = batch_size, seed
        self.local = batch_size // world
        self.first = rank * self.local
        self.epoch, self.cursor = 0, 0
        self.order = self._order(0)

    def _order(self, epoch):
        return np.random.default_rng([self.seed, epoch]).permutation(self.examples) + 1

    def next(self):
        positions = []
        needed = self.batch
        while needed:
            if self.cursor == self.examples:
                self.epoch += 1
                self.cursor = 0
                self.order = self._order(self.epoch)
            take = min(needed, self.examples - self.cursor)
            positions.append(self.order[self.cursor:self.cursor + take])
            self.cursor += take
            needed -= take
        batch = np.concatenate(positions)[self.first:self.first + self.local]
        return make_contexts(self.stream, batch, self.t, self.boundary)


def evaluate(model, stream, positions, context_length, boundary, device="cpu", dist_info=None, chunk=8192):
    """Mean loss over `positions` of `stream`; under DDP the ranks score disjoint parts and add
    them up."""
    world, rank = (dist_info.world, dist_info.rank) if dist_info else (1, 0)
    mine = np.array_split(positions, world)[rank]
    total = 0.0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(mine), chunk):
            ctx, tgt = make_contexts(stream, mine[start:start + chunk], context_length, boundary)
            logits = model(torch.from_numpy(ctx).to(device))
            losses = F.cross_entropy(logits.float(), torch.from_numpy(tgt).to(device), reduction="none")
            total += float(losses.double().sum())
    model.train()
    if dist_info:
        total, count = dist_info.all_sum([total, float(len(mine))])
    else:
        count = len(mine)
    return total / count


def build_model(config, dataset, init_tensors, device, seed):
    architecture = config_architecture(config, dataset.vocabulary_size)
    model = make(architecture, dropout=config["model.dropout"])
    if init_tensors is not None:
        model.load_state_dict(init_tensors)
    else:
        generator = torch.Generator().manual_seed(seed)
        model.initialize(generator)
    return model.to(device)


def train(config, dataset, out_path, dist_info, init=None, metrics_path=None, run_name=None, log=print):
    """Trains per `config` on `dataset`; rank 0 writes `out_path` (safetensors) at each
    checkpointInterval and at the end. `init`: (tensors, architecture) to start from."""
    device = dist_info.device
    t0 = time.monotonic()
    seed = config["training.seed"]
    architecture = config_architecture(config, dataset.vocabulary_size)
    if init is not None:
        tensors, found = init
        if found != architecture:
            raise TrainingError(f"--init-from: the file's architecture {checkpoint.architecture_json(found)} is not the "
                                f"config's {checkpoint.architecture_json(architecture)}.")
    torch.manual_seed(seed)
    model = build_model(config, dataset, init[0] if init else None, device, seed)
    wrapped = model
    if dist_info.enabled:
        wrapped = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = optim.Optimizer(model, config)
    t, boundary = architecture["contextLength"], dataset.boundary_token
    batch_size = config["training.batchSize"]
    train_stream = dataset.read_stream("train")
    batches = BatchStream(train_stream, t, boundary, batch_size, seed, dist_info.rank, dist_info.world)
    val_stream = dataset.read_stream("val") if dataset.example_count("val") > 0 else None
    val_positions = None
    if val_stream is not None:
        val_positions = evaluation_positions(len(val_stream) - 1, batch_size, config["training.evalBatches"])
    elif dist_info.is_main:
        log("the dataset has no validation split: no validation loss will be measured")

    metrics = open(metrics_path, "w", encoding="utf-8") if (metrics_path and dist_info.is_main) else None
    max_steps = config["training.maxSteps"]
    last_val = None

    def record(entry):
        if metrics:
            metrics.write(json.dumps(entry) + "\n")

    def validation(step):
        nonlocal last_val
        if val_stream is None:
            return
        last_val = evaluate(model, val_stream, val_positions, t, boundary, device, dist_info)
        record({"step": step, "val_loss": last_val})
        if dist_info.is_main:
            log(f"step {step:>{len(str(max_steps))}}  val loss {last_val:.4f}")

    def save(step):
        if dist_info.is_main:
            temporary = out_path + ".tmp"
            checkpoint.save(temporary, model, config, dataset.tokenizer_text, run=run_name, step=step)
            os.replace(temporary, out_path)

    if dist_info.is_main:
        log(f"training {architecture['type']} ({sum(p.numel() for p in model.parameters()):,} parameters) on "
            f"{dist_info.world} process{'es' if dist_info.world > 1 else ''} ({device.type}), "
            f"batch {batch_size} ({batches.local} per process), {max_steps} steps")
    if config["training.evalInterval"] > 0:
        validation(0)
    clip = config["optimizer.gradientClipNorm"]
    step = 0
    try:
        while step < max_steps:
            rate = optim.learning_rate(config, step)
            ctx, tgt = batches.next()
            logits = wrapped(torch.from_numpy(ctx).to(device))
            loss = F.cross_entropy(logits.float(), torch.from_numpy(tgt).to(device))
            optimizer.zero_grad()
            loss.backward()
            norm, clipped = optim.clip_gradients(model.parameters(), clip)
            (global_loss,) = dist_info.all_sum([loss.item()])
            global_loss /= dist_info.world
            if not (math.isfinite(global_loss) and math.isfinite(norm)):
                quantity = "loss" if not math.isfinite(global_loss) else "gradient norm"
                raise TrainingError(f"diverged at step {step + 1}: the {quantity} is not finite at learning rate {rate:g}; "
                                    "the update was not applied. Lower optimizer.learningRate or set "
                                    "optimizer.gradientClipNorm.")
            optimizer.step(rate)
            step += 1
            record({"step": step, "train_loss": global_loss, "lr": rate, "grad_norm": norm, "clipped": clipped})
            is_last = step == max_steps
            if dist_info.is_main and (step % config["training.logInterval"] == 0 or is_last):
                elapsed = time.monotonic() - t0
                log(f"step {step:>{len(str(max_steps))}}/{max_steps}  loss {global_loss:.4f}  lr {rate:.4g}  "
                    f"{step * batch_size / max(elapsed, 1e-9):,.0f} examples/s")
            if (config["training.evalInterval"] > 0 and step % config["training.evalInterval"] == 0) or is_last:
                validation(step)
            interval = config["training.checkpointInterval"]
            if is_last or (interval > 0 and step % interval == 0):
                save(step)
    finally:
        if metrics:
            metrics.close()
    if dist_info.is_main:
        val = f", val loss {last_val:.4f}" if last_val is not None else ""
        log(f"done: {step} steps in {time.monotonic() - t0:.1f} s{val}; wrote {out_path}")
    return last_val
