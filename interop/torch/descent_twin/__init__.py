"""The PyTorch twin of Descent: the same data, models, config, schedule and optimizers, so that a
Descent run can be trained further under torchrun (DDP, gloo on CPUs, NCCL on GPUs) and come back
with `descent import`. Entry point: interop/torch/train.py."""
