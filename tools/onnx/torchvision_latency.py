"""torchvision's Faster R-CNN inference latency on the same image bench/detect.ts uses (tool only; never run by tests).

Usage: /usr/bin/python3 tools/onnx/torchvision_latency.py --image RAW --height H --width W [--arch fasterrcnn_resnet50_fpn]
       [--iters 3] [--threads 2]
RAW is H*W*3 uint8 RGB bytes (HWC). Prints one JSON line: {"torch", "torchvision", "threads", "ms": [...], "cpu_ms": [...], "detections"}.
Random weights (weights=None, weights_backbone=None): latency does not depend on the values (1000 proposals either way).
"""
import argparse
import json
import time

import numpy as np
import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--image", required=True)
p.add_argument("--height", type=int, required=True)
p.add_argument("--width", type=int, required=True)
p.add_argument("--arch", default="fasterrcnn_resnet50_fpn")
p.add_argument("--iters", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
builder = getattr(torchvision.models.detection, a.arch)
model = builder(weights=None, weights_backbone=None).eval()
img = np.fromfile(a.image, dtype=np.uint8).reshape(a.height, a.width, 3)
x = torch.from_numpy(img).permute(2, 0, 1).float().div(255)
ms = []
cpu_ms = []  # process CPU time (all threads) per call
with torch.inference_mode():
    model([x])  # warm-up
    for _ in range(a.iters):
        t = time.perf_counter()
        c = time.process_time()
        out = model([x])
        ms.append((time.perf_counter() - t) * 1000)
        cpu_ms.append((time.process_time() - c) * 1000)
print(json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__, "threads": a.threads, "ms": ms, "cpu_ms": cpu_ms,
                  "detections": int(out[0]["boxes"].shape[0])}))
