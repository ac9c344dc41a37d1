"""Fixture for libs/training: torch.optim.SGD steps, clip_grad_norm_, and the torchvision detection
reference's LR schedule (LinearLR warm-up chained with MultiStepLR), all stepped per iteration.

Run with the system interpreter that has torch 1.13:
    /usr/bin/python3 tools/training/make_sgd_fixture.py
Writes test/fixtures/training/sgd-fixture.json (small: a few 3x4 tensors).
"""
import json
import os

import torch

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "training", "sgd-fixture.json")


def tolist(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def sgd_case(name, momentum, weight_decay, dampening, nesterov, no_decay, steps=6):
    g = torch.Generator().manual_seed(sum(map(ord, name)))  # stable across runs (hash() is salted)
    shapes = {"w": [3, 4], "b": [5]}
    init = {k: torch.randn(*s, generator=g) for k, s in shapes.items()}
    params = {k: torch.nn.Parameter(v.clone()) for k, v in init.items()}
    if no_decay:
        groups = [
            {"params": [params[k] for k in params if k not in no_decay]},
            {"params": [params[k] for k in params if k in no_decay], "weight_decay": 0.0},
        ]
    else:
        groups = [{"params": list(params.values())}]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=momentum, weight_decay=weight_decay,
                          dampening=dampening, nesterov=nesterov)
    lrs = [0.1, 0.05, 0.02, 0.02, 0.01, 0.3][:steps]
    record = []
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lrs[step]
        grads = {}
        for k, p in params.items():
            # 'b' gets no gradient at step 2: torch skips it (no decay, no momentum update).
            if k == "b" and step == 2:
                p.grad = None
                continue
            gr = torch.randn(*shapes[k], generator=g) * 0.5
            p.grad = gr.clone()
            grads[k] = tolist(gr)
        opt.step()
        record.append({"lr": lrs[step], "grads": grads, "params": {k: tolist(p) for k, p in params.items()}})
    buffers = {k: tolist(opt.state[p]["momentum_buffer"]) for k, p in params.items()
               if "momentum_buffer" in opt.state[p] and opt.state[p]["momentum_buffer"] is not None}
    return {
        "name": name,
        "options": {"momentum": momentum, "weightDecay": weight_decay, "dampening": dampening,
                    "nesterov": nesterov, "noWeightDecay": no_decay},
        "shapes": shapes,
        "init": {k: tolist(v) for k, v in init.items()},
        "steps": record,
        "momentumBuffers": buffers,
    }


def clip_case(norm_type, max_norm):
    g = torch.Generator().manual_seed(7)
    grads = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g) * 3]
    ps = [torch.nn.Parameter(torch.zeros_like(x)) for x in grads]
    for p, x in zip(ps, grads):
        p.grad = x.clone()
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    return {
        "normType": "inf" if norm_type == float("inf") else norm_type,
        "maxNorm": max_norm,
        "grads": [tolist(x) for x in grads],
        "shapes": [list(x.shape) for x in grads],
        "totalNorm": float(total),
        "clipped": [tolist(p.grad) for p in ps],
    }


def lr_case(base_lr, warmup_iters, warmup_factor, milestones, gamma, iters):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr, momentum=0.9)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=warmup_factor, total_iters=warmup_iters)
    multi = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=gamma)
    lrs = []
    for _ in range(iters):
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = torch.zeros(1)
        opt.step()
        warm.step()
        multi.step()
    return {"baseLr": base_lr, "warmupIters": warmup_iters, "warmupFactor": warmup_factor,
            "milestones": milestones, "gamma": gamma, "lrs": lrs}


fixture = {
    "generator": "tools/training/make_sgd_fixture.py",
    "torch": torch.__version__,
    "sgd": [
        sgd_case("momentum-wd", 0.9, 1e-4, 0.0, False, []),
        sgd_case("nesterov-wd", 0.9, 1e-2, 0.0, True, []),
        sgd_case("dampening-nodecay-bias", 0.9, 5e-4, 0.1, False, ["b"]),
        sgd_case("plain-wd", 0.0, 1e-3, 0.0, False, []),
    ],
    "clip": [clip_case(2.0, 1.0), clip_case(2.0, 100.0), clip_case(1.0, 2.0), clip_case(float("inf"), 0.5)],
    "lr": [
        lr_case(0.02, 5, 1.0 / 1000, [8, 12], 0.1, 16),
        lr_case(0.01, 1, 1.0 / 3, [3], 0.5, 6),
    ],
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(fixture, f, indent=1)
print("wrote", os.path.normpath(OUT))
