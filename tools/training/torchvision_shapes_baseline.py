#!/usr/bin/python3
"""torchvision's training of resdet's shapes-demo detector on the same data: a yardstick for resdet's recipe.

Builds the demo's architecture from torchvision parts (a width-16 ResNet-18-like body with trainable BatchNorm,
a 64-channel FPN, anchors 16-256, a 256-wide TwoMLPHead, 128 x 128 inputs, the config's RPN/RoI settings),
trains it with the config's recipe (SGD momentum 0.9, weight decay 1e-4, linear warm-up from 0.001, x0.1 at
the milestones, gradient clipping, horizontal flips) on a COCO folder written by `resdet demo` or
`resdet dataset shapes`, and writes COCO results for its val split. Score them with resdet's evaluator:

    /usr/bin/python3 tools/training/torchvision_shapes_baseline.py --config configs/shapes_demo.json \\
        --data runs/demo/data --out runs/tv-baseline [--iterations N] [--seed S]
    npm run cli -- eval --gt runs/demo/data/annotations/instances_val.json --dt runs/tv-baseline/val-results.json

torch 1.13 / torchvision 0.14 (Debian's python3-torchvision); not used by tests or CI.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torchvision
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "detection"))
from make_model_fixtures import TinyResNet  # noqa: E402

# The shapes-demo architecture (libs/detection/src/builders.ts SHAPES_DEMO_VARIANT).
DEMO_ARCH = {
    "minSize": 128, "maxSize": 128, "width": 16, "fpnOutChannels": 64, "representationSize": 256,
    "rpnPreNmsTopNTrain": 1000, "rpnPostNmsTopNTrain": 500, "rpnPreNmsTopNTest": 500, "rpnPostNmsTopNTest": 200,
    "boxBatchSizePerImage": 128,
}


def build(cfg_model, num_classes):
    a = {**DEMO_ARCH, **cfg_model}
    w = a["width"]
    body = TinyResNet(w, [w, 2 * w, 4 * w, 8 * w], [2, 2, 2, 2], nn.BatchNorm2d)
    for m in body.modules():  # torchvision.models.ResNet's init
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    backbone = BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
                               [w, 2 * w, 4 * w, 8 * w], a["fpnOutChannels"], extra_blocks=LastLevelMaxPool())
    anchors = AnchorGenerator(((16,), (32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 5)
    return FasterRCNN(
        backbone, num_classes=None, min_size=a["minSize"], max_size=a["maxSize"], rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=a["rpnPreNmsTopNTrain"], rpn_post_nms_top_n_train=a["rpnPostNmsTopNTrain"],
        rpn_pre_nms_top_n_test=a["rpnPreNmsTopNTest"], rpn_post_nms_top_n_test=a["rpnPostNmsTopNTest"],
        box_batch_size_per_image=a["boxBatchSizePerImage"],
        box_head=TwoMLPHead(a["fpnOutChannels"] * 49, a["representationSize"]),
        box_predictor=FastRCNNPredictor(a["representationSize"], num_classes))


def load_split(data, split):
    with open(os.path.join(data, "annotations", f"instances_{split}.json")) as f:
        coco = json.load(f)
    by_image = {im["id"]: [] for im in coco["images"]}
    for a in coco["annotations"]:
        by_image[a["image_id"]].append(a)
    samples = []
    for im in coco["images"]:
        img = torchvision.io.read_image(os.path.join(data, split, im["file_name"])).float() / 255.0
        anns = by_image[im["id"]]
        boxes = torch.tensor([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                              for a in anns], dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([a["category_id"] for a in anns], dtype=torch.int64)
        samples.append((im, img, {"boxes": boxes, "labels": labels}))
    return coco, samples


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--iterations", type=int)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    tr = cfg["train"]
    iters = args.iterations or tr["maxIterations"]
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    _, train = load_split(args.data, "train")
    val_coco, val = load_split(args.data, "val")
    model = build(cfg.get("model", {}), cfg["model"]["numClasses"])
    opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=tr["baseLr"], momentum=0.9,
                          weight_decay=tr.get("weightDecay", 1e-4))
    warm, milestones = tr.get("warmupIters", 0), tr.get("milestones", [])

    def lr_at(i):
        f = 1.0
        if i < warm:
            a = i / warm
            f = 0.001 * (1 - a) + a
        return tr["baseLr"] * f * (0.1 ** sum(1 for m in milestones if i >= m))

    model.train()
    g = torch.Generator().manual_seed(args.seed)
    order, pos, t0 = torch.randperm(len(train), generator=g).tolist(), 0, time.time()
    for it in range(iters):
        imgs, tgts = [], []
        for _ in range(tr["batchSize"]):
            if pos == len(order):
                order, pos = torch.randperm(len(train), generator=g).tolist(), 0
            _, img, t = train[order[pos]]
            pos += 1
            t = {k: v.clone() for k, v in t.items()}
            if torch.rand(1, generator=g).item() < cfg.get("data", {}).get("augment", {}).get("hflipProb", 0):
                img = img.flip(-1)
                w = img.shape[-1]
                t["boxes"][:, [0, 2]] = w - t["boxes"][:, [2, 0]]
            imgs.append(img)
            tgts.append(t)
        for group in opt.param_groups:
            group["lr"] = lr_at(it)
        losses = model(imgs, tgts)
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        if tr.get("clipGradNorm"):
            torch.nn.utils.clip_grad_norm_(model.parameters(), tr["clipGradNorm"])
        opt.step()
        if (it + 1) % 50 == 0:
            print(f"{it + 1}/{iters} " + " ".join(f"{k}={v.item():.4f}" for k, v in losses.items())
                  + f" {time.time() - t0:.0f}s", file=sys.stderr)
    model.eval()
    results = []
    with torch.no_grad():
        for im, img, _ in val:
            out = model([img])[0]
            for b, s, l in zip(out["boxes"].tolist(), out["scores"].tolist(), out["labels"].tolist()):
                results.append({"image_id": im["id"], "category_id": int(l),
                                "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "score": s})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "val-results.json"), "w") as f:
        json.dump(results, f)
    print(f"trained {iters} iterations in {time.time() - t0:.0f} s; {len(results)} val detections", file=sys.stderr)


if __name__ == "__main__":
    main()
