#!/usr/bin/python3
"""Fixture for test/training/train-steps-parity.spec.ts: several SGD steps of a small Faster R-CNN in torchvision.

Run with the system Python (torch 1.13 + torchvision 0.14):

    /usr/bin/python3 tools/training/make_train_steps_fixture.py

The model is tools/detection/make_model_fixtures.py's tiny FasterRCNN (torchvision's own FPN, RPN, RoIHeads and
transform on a narrow torchvision-named ResNet body), but with a *trainable* nn.BatchNorm2d body, so that a step
exercises every kernel resdet's training registers: batch statistics (Mean), conv weight/input gradients, max-pool
and nearest-upsampling gradients, and RoIAlign's gather gradient (segment sums). It takes STEPS steps of
torch.optim.SGD (momentum, weight decay) with clip_grad_norm_ on the same two images and records, per step, the four
losses, the global gradient norm before clipping, the RPN's training proposals and both samplers' draws (so the
TypeScript side can replay them), and at the end the whole state dict (weights and BatchNorm running statistics).

Writes test/fixtures/training/:
* ``train_steps.weights.safetensors`` -- the initial state dict (torchvision key names);
* ``train_steps.expected.safetensors`` -- the images and targets, per-step records, and the final state dict;
* ``train_steps.json`` -- settings and provenance.
"""
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "detection"))
from make_model_fixtures import CONFIG, RecordingSampler, build_model, make_images, to_input, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "training")
SCRIPT = "tools/training/make_train_steps_fixture.py"
SGD = {"lr": 0.02, "momentum": 0.9, "weightDecay": 1e-4}
CLIP = 5.0
STEPS = 4
LOSS_NAMES = ["loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg"]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(1234)
    model = build_model(nn.BatchNorm2d)
    g = torch.Generator().manual_seed(99)
    images_u8, targets = make_images(g)
    images = [to_input(x) for x in images_u8]
    initial = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())

    out = OrderedDict()
    for i, (img, t) in enumerate(zip(images_u8, targets)):
        out[f"image.{i}"] = img
        out[f"target.{i}.boxes"] = t["boxes"]
        out[f"target.{i}.labels"] = t["labels"].to(torch.int32)

    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=SGD["lr"], momentum=SGD["momentum"],
                          weight_decay=SGD["weightDecay"])
    rpn = model.rpn
    orig_filter = rpn.filter_proposals
    captured = {}

    def train_filter_hook(proposals, objectness, image_shapes, num_anchors_per_level):
        boxes, scores = orig_filter(proposals, objectness, image_shapes, num_anchors_per_level)
        captured["proposals"] = [b.detach().clone() for b in boxes]
        return boxes, scores

    rpn.filter_proposals = train_filter_hook
    rpn_sampler = RecordingSampler(model.rpn.fg_bg_sampler)
    roi_sampler = RecordingSampler(model.roi_heads.fg_bg_sampler)
    model.rpn.fg_bg_sampler = rpn_sampler
    model.roi_heads.fg_bg_sampler = roi_sampler
    for step in range(STEPS):
        opt.zero_grad()
        losses = model([x.clone() for x in images], [{k: v.clone() for k, v in t.items()} for t in targets])
        sum(losses.values()).backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        out[f"step.{step}.losses"] = torch.stack([losses[k].detach() for k in LOSS_NAMES])
        out[f"step.{step}.grad_norm"] = norm.detach().reshape(1)
        for i in range(len(images)):
            out[f"step.{step}.proposals.{i}"] = captured["proposals"][i]
            out[f"step.{step}.rpn_pos.{i}"], out[f"step.{step}.rpn_neg.{i}"] = rpn_sampler.calls[step][i]
            out[f"step.{step}.roi_pos.{i}"], out[f"step.{step}.roi_neg.{i}"] = roi_sampler.calls[step][i]
        print(f"step {step}: " + " ".join(f"{k}={float(losses[k]):.5f}" for k in LOSS_NAMES)
              + f" grad_norm={float(norm):.4f}", file=sys.stderr)
    for k, v in model.state_dict().items():
        out[f"final.{k}"] = v

    meta = {"script": SCRIPT, "torch": torch.__version__, "torchvision": torchvision.__version__}
    write_safetensors(os.path.join(OUT, "train_steps.weights.safetensors"), initial, meta)
    write_safetensors(os.path.join(OUT, "train_steps.expected.safetensors"), out, meta)
    with open(os.path.join(OUT, "train_steps.json"), "w") as f:
        json.dump({**meta, "config": CONFIG, "norm": "BatchNorm2d (trainable, batch statistics)", "sgd": SGD,
                   "clipGradNorm": CLIP, "steps": STEPS, "lossNames": LOSS_NAMES}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
