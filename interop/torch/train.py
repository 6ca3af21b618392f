#!/usr/bin/env python3
"""Train a Descent config with PyTorch, on one process or under torchrun (DDP).

Run from the repository root (data.dir in configs is relative to it):

  one process:   python interop/torch/train.py configs/names-mlp.json --out names.safetensors
  2 processes:   torchrun --standalone --nproc_per_node=2 interop/torch/train.py configs/names-mlp.json --out names.safetensors
  2 nodes × 8:   torchrun --nnodes=2 --nproc_per_node=8 --node_rank=0|1 --rdzv_backend=c10d \\
                     --rdzv_endpoint=HOST:29500 --rdzv_id=names interop/torch/train.py CONFIG --out F
  continue an export:  descent export names-mlp --format safetensors -o names.safetensors
                       torchrun ... interop/torch/train.py --init-from names.safetensors --out more.safetensors
                       descent import more.safetensors --run names-more

training.batchSize is the global batch: each process reads its own batchSize / N examples of every
batch (so it must divide evenly), gradients are averaged over the processes, and process 0 logs and
writes the safetensors file (at every training.checkpointInterval and at the end) with the config,
architecture and tokenizer in its metadata, which `descent import` reads. Backend: NCCL when CUDA
is used, gloo on CPUs. The keys, defaults and checks of the config are Descent's (`descent train
--help`); keys that only Descent's run store uses (keepCheckpoints, sample*, trajectoryPoints) are
accepted and ignored.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from descent_twin import checkpoint, config as configs  # noqa: E402
from descent_twin.dataset import DataError, PreparedDataset  # noqa: E402
from descent_twin.training import Distributed, TrainingError, train  # noqa: E402


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="train.py", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?", help="a Descent config JSON (configs/*.json); optional with --init-from, "
                        "whose file carries the config it was trained with")
    parser.add_argument("--out", required=True, metavar="FILE", help="the safetensors file to write (process 0)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a config key, e.g. --set training.maxSteps=20000 (repeatable)")
    parser.add_argument("--init-from", metavar="FILE", help="start from the weights of a safetensors file (a "
                        "`descent export` or an earlier --out) instead of a fresh initialisation; the optimizer and "
                        "schedule start afresh, as `descent train --init-from`")
    parser.add_argument("--metrics", metavar="FILE", help="write one JSON line per step (train_loss, lr, grad_norm) "
                        "and per evaluation (val_loss)")
    # Not --run: torchrun's parser would take it for an abbreviation of its own --run-path.
    parser.add_argument("--run-name", metavar="NAME", help="the run name stored in the file's metadata (descent.run)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto (default): CUDA when torch has a device, else CPU")
    parser.add_argument("--threads", type=int, metavar="N", help="torch CPU threads per process "
                        "(default: the cores divided among the processes of this node)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    import torch

    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // local_world))
    try:
        init = None
        if args.init_from:
            tensors, architecture, metadata = checkpoint.load(args.init_from)
            init = (tensors, architecture)
        if args.config:
            config = configs.load(args.config, args.overrides)
        elif init:
            config = checkpoint.embedded_config(metadata, args.overrides, source=f"{args.init_from} descent.config")
        else:
            raise configs.ConfigError("give a CONFIG, or --init-from FILE to use the config stored in FILE.")
        dataset = PreparedDataset(config["data.dir"])
        dist_info = Distributed(args.device)
    except (configs.ConfigError, DataError, checkpoint.CheckpointError, TrainingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        train(config, dataset, args.out, dist_info, init=init, metrics_path=args.metrics, run_name=args.run_name,
              log=lambda line: print(line, flush=True))
    except (DataError, TrainingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        dist_info.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
