#!/usr/bin/env python3
"""Golden values for Descent's optimizer tests, computed with PyTorch's own optimizers.

Run from the package root with the bench venv (../shared/bench/setup.sh prints its python):
    $PY Tests/OptimizersTests/Golden/make_optimizer_golden.py > Tests/OptimizersTests/Golden/optimizers.json

Each case starts from the same float32 parameters (a 2x3 weight and a 3-element bias), applies
10 steps with the listed float32 gradients at a constant learning rate, and records the parameters
after step 1 and after step 10. Weight decay applies to the weight only (its own param group),
as Descent applies it to weight matrices and not to biases. Also records clip_grad_norm_.
"""
import json
import torch

torch.manual_seed(0)
weight0 = (torch.randn(2, 3) * 0.5).float()
bias0 = (torch.randn(3) * 0.1).float()
grads = [((torch.randn(2, 3)).float(), (torch.randn(3) * 0.3).float()) for _ in range(10)]

cases = {
    "sgd": dict(kind="sgd", lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0),
    "sgd_momentum": dict(kind="sgd", lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.0),
    "sgd_nesterov": dict(kind="sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.0),
    "sgd_momentum_weight_decay": dict(kind="sgd", lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.05),
    "adamw": dict(kind="adamw", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1),
    "adamw_betas": dict(kind="adamw", lr=0.003, beta1=0.8, beta2=0.95, eps=1e-6, weight_decay=0.0),
}

def run(case):
    w = weight0.clone().requires_grad_(True)
    b = bias0.clone().requires_grad_(True)
    groups = [{"params": [w], "weight_decay": case["weight_decay"]}, {"params": [b], "weight_decay": 0.0}]
    if case["kind"] == "sgd":
        opt = torch.optim.SGD(groups, lr=case["lr"], momentum=case["momentum"], nesterov=case["nesterov"])
    else:
        opt = torch.optim.AdamW(groups, lr=case["lr"], betas=(case["beta1"], case["beta2"]), eps=case["eps"])
    snapshots = {}
    for step, (gw, gb) in enumerate(grads, start=1):
        w.grad = gw.clone()
        b.grad = gb.clone()
        opt.step()
        if step in (1, 10):
            snapshots[step] = {"weight": w.detach().flatten().tolist(), "bias": b.detach().tolist()}
    return snapshots

out = {
    "torch": torch.__version__,
    "weight0": weight0.flatten().tolist(),
    "bias0": bias0.tolist(),
    "gradients": [{"weight": gw.flatten().tolist(), "bias": gb.tolist()} for gw, gb in grads],
    "cases": {},
}
for name, case in cases.items():
    snaps = run(case)
    out["cases"][name] = {"settings": case, "after1": snaps[1], "after10": snaps[10]}

# clip_grad_norm_ on the first gradients with max_norm below their norm.
gw, gb = grads[0]
w = weight0.clone().requires_grad_(True); b = bias0.clone().requires_grad_(True)
w.grad = gw.clone(); b.grad = gb.clone()
norm = torch.nn.utils.clip_grad_norm_([w, b], max_norm=0.5)
out["clip"] = {"maxNorm": 0.5, "norm": float(norm), "weight": w.grad.flatten().tolist(), "bias": b.grad.tolist()}
print(json.dumps(out, indent=1))
