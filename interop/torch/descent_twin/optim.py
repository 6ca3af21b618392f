"""Descent's learning-rate schedule, optimizers and clipping (Sources/Optimizers,
Sources/Kernels/ParameterUpdate.swift), on torch.optim where torch computes the same thing.

- Schedule: linear warmup then cosine, with Descent's off-by-one: lr(s) = peak·(s+1)/W for s < W,
  then m + ½(peak − m)(1 + cos(π(s − W)/(N − W))), m = minFraction·peak, m past N.
- SGD: torch.optim.SGD without dampening is Descent's rule operation for operation (coupled L2
  decay g + λp, v ← μv + g, Nesterov g + μv, p ← p − lr·g).
- AdamW: torch.optim.AdamW is Descent's rule (decoupled p·(1 − lr·λ), lerp first moment, bias
  corrections); Descent computes its scalars from the rate rounded to Float32 and read back as
  that Float's shortest decimal, and so does `adamw_learning_rate`.
- Weight decay only on weight matrices (bias never; the embedding table only with
  optimizer.decayEmbeddings): one param group per decay rate.
- Clipping: global L2 norm (accumulated in float64), rescaled by maxNorm/(norm + 1e-6) only when
  the norm exceeds maxNorm, as Descent (torch's clip_grad_norm_ also scales by a hair when the
  norm is within 1e-6 of the limit, so it is not used).
"""

import math

import numpy as np
import torch

from .models import decay_kind


def learning_rate(config, step):
    peak = config["optimizer.learningRate"]
    warmup = config["schedule.warmupSteps"]
    total = config["training.maxSteps"]
    if step < warmup:
        return peak * (step + 1) / warmup
    minimum = config["schedule.minLearningRateFraction"] * peak
    if step >= total:
        return minimum
    progress = (step - warmup) / (total - warmup)
    return minimum + 0.5 * (peak - minimum) * (1 + math.cos(math.pi * progress))


def adamw_learning_rate(rate):
    """The rate rounded to Float32, then that Float's shortest decimal (Optimizer.adamWLearningRate)."""
    return float(np.format_float_scientific(np.float32(rate), unique=True))


def parameter_groups(model, config):
    decay = config["optimizer.weightDecay"]
    rates = {"weight": decay, "bias": 0.0, "embedding": decay if config["optimizer.decayEmbeddings"] else 0.0}
    groups = {}
    for name, parameter in model.named_parameters():
        rate = rates[decay_kind(name)]
        groups.setdefault(rate, []).append(parameter)
    return [{"params": params, "weight_decay": rate} for rate, params in groups.items()]


class Optimizer:
    """The config's optimizer over `model`; `step(lr)` applies one update at the schedule's rate."""

    def __init__(self, model, config):
        self.kind = config["optimizer.type"]
        groups = parameter_groups(model, config)
        if self.kind == "sgd":
            self.torch = torch.optim.SGD(groups, lr=config["optimizer.learningRate"], momentum=config["optimizer.momentum"],
                                         nesterov=config["optimizer.nesterov"], dampening=0, foreach=False)
        else:
            self.torch = torch.optim.AdamW(groups, lr=config["optimizer.learningRate"],
                                           betas=(config["optimizer.beta1"], config["optimizer.beta2"]),
                                           eps=config["optimizer.epsilon"], foreach=False)

    def step(self, rate):
        if self.kind == "adamw":
            rate = adamw_learning_rate(rate)
        for group in self.torch.param_groups:
            group["lr"] = rate
        self.torch.step()

    def zero_grad(self):
        self.torch.zero_grad(set_to_none=True)


def clip_gradients(parameters, max_norm):
    """(norm before clipping, whether it was rescaled)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
    if max_norm <= 0 or not norm > max_norm or not math.isfinite(norm):
        return norm, False
    scale = float(np.float32(max_norm / (norm + 1e-6)))
    for g in grads:
        g.mul_(scale)
    return norm, True
