"""torchvision's side of bench/train-step.ts: the same training step (FasterRCNN on
resnet_fpn_backbone('resnet18', weights=None, trainable_layers=3) with FrozenBatchNorm2d, 5 classes,
min_size/max_size = the images' height/width, SGD lr 0.02 momentum 0.9 weight decay 1e-4) on the images and
boxes bench/train-step.ts wrote to DIR. Prints one JSON line: threads, secondsPerIteration, cpuSecondsPerIteration (all threads), losses, blas (the
BLAS library the process mapped: the Linear layers' matmuls run there; Debian's reference BLAS is ~10× slower than
OpenBLAS — run with LD_LIBRARY_PATH pointing at an OpenBLAS libblas.so.3 to compare against a tuned torch).

    /usr/bin/python3 bench/train_step_torchvision.py DIR [--warmup 2] [--iters 6] [--threads 1]

--threads 0 keeps torch's default thread count.
"""
import argparse
import json
import os
import time

import torch
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops import misc as misc_nn_ops


def blas_in_use():
    """The BLAS library mapped into this process (Debian's torch links the generic libblas.so.3, which the
    alternatives system or LD_LIBRARY_PATH points at the reference BLAS or OpenBLAS)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
        return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "unknown"
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with open(os.path.join(a.dir, "targets.json")) as f:
        meta = json.load(f)
    h, w = meta["height"], meta["width"]
    raw = open(os.path.join(a.dir, "images.u8"), "rb").read()
    pixels = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    batches = []
    k = 0
    for targets in meta["batches"]:
        images, tgts = [], []
        for t in targets:
            im = pixels[k * h * w * 3 : (k + 1) * h * w * 3].view(h, w, 3).permute(2, 0, 1).float() / 255
            k += 1
            images.append(im.contiguous())
            tgts.append(
                {
                    "boxes": torch.tensor(t["boxes"], dtype=torch.float32).view(-1, 4),
                    "labels": torch.tensor(t["labels"], dtype=torch.int64),
                }
            )
        batches.append((images, tgts))

    backbone = resnet_fpn_backbone(
        backbone_name="resnet18", weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d, trainable_layers=3
    )
    model = FasterRCNN(backbone, num_classes=5, min_size=h, max_size=w)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.02, momentum=0.9, weight_decay=1e-4)

    def step(i):
        images, tgts = batches[i % len(batches)]
        losses = model(images, tgts)
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss)

    losses = [step(i) for i in range(a.warmup)]
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(a.warmup, a.warmup + a.iters):
        losses.append(step(i))
    per_iter = (time.perf_counter() - t0) / a.iters
    cpu_per_iter = (time.process_time() - c0) / a.iters
    print(
        json.dumps(
            {
                "threads": torch.get_num_threads(),
                "secondsPerIteration": per_iter,
                "cpuSecondsPerIteration": cpu_per_iter,
                "losses": losses,
                "blas": blas_in_use(),
            }
        )
    )


if __name__ == "__main__":
    main()
