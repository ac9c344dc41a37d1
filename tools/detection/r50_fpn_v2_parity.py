#!/usr/bin/python3
"""Full-size parity data for ``detect --arch fasterrcnn_resnet50_fpn_v2`` vs torchvision (not run in CI).

Run with the system Python (torch 1.13 + torchvision 0.14):

    /usr/bin/python3 tools/detection/r50_fpn_v2_parity.py [--out /tmp/r50-fpn-v2-parity] [--threads 2]

then ``node -r ./tools/register.js tools/detection/check-r50-fpn-parity.ts --dir /tmp/r50-fpn-v2-parity`` (the v1
checker; the manifest names the arch). Nothing here is committed: the weights files are ~170 MB each. The output
folder holds:

* ``images/*.png`` -- r50_fpn_parity.py's three synthetic RGB scenes (480x640, 427x640, 300x500).
* ``k91/{zip,fp16}/frcnn_r50_fpn_v2_k91.pth`` -- ``fasterrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None)``
  (91 classes, the layout of torchvision's published COCO_V1 file) with seeded random but non-trivial weights: every
  BatchNorm2d (body, FPN, box head) calibrated on the images' own statistics then perturbed, a spread-out RPN
  objectness and a peaky box classifier; saved as torch's zip format and as float16. The published v2 weights need no
  quirk (BatchNorm2d eps 1e-5, today's key names), so the file name does not matter here.
* ``manifest.json`` -- r50_fpn_parity.py's format with ``"arch": "fasterrcnn_resnet50_fpn_v2"`` and no controls: per
  weights file, torchvision's detections per image (read back from that file) and its seconds per image.
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.detection import fasterrcnn_resnet50_fpn_v2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from r50_fpn_parity import make_images, read_image, run  # noqa: E402

SCRIPT = "tools/detection/r50_fpn_v2_parity.py"
NAME = "frcnn_r50_fpn_v2_k91.pth"


def randomise(model, images, seed):
    """Non-trivial weights: BatchNorm statistics from all the images at once (eval-mode pre-hooks, in forward order), a
    spread-out RPN and a confident classifier with a background bias. Calibrating on one image only left the others'
    features 3-4x larger, RPN logits up to ~70 and thousands of anchors at sigmoid == 1.0 in float32: all 1000
    proposals tied, so NMS kept an arbitrary subset (torchvision's own sort order) and no two implementations agree."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        def calibrate(m, inp):
            x = inp[0]
            c = m.num_features
            m.running_mean.copy_(x.mean((0, 2, 3)))
            m.running_var.copy_(x.var((0, 2, 3)).clamp(min=1e-2))
            m.weight.copy_(torch.empty(c).uniform_(0.7, 1.3, generator=g))
            m.bias.copy_(torch.empty(c).normal_(0.0, 0.1, generator=g))

        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        hooks = [m.register_forward_pre_hook(calibrate) for m in bns]
        model.eval()
        head = model.rpn.head
        head.cls_logits.weight.normal_(0.0, 1.0, generator=g)
        head.cls_logits.bias.normal_(0.0, 0.3, generator=g)
        head.bbox_pred.weight.normal_(0.0, 1.0, generator=g)
        model(list(images))  # calibrates every BatchNorm2d once on the batch (box head: on all images' proposals)
        for h in hooks:
            h.remove()
        # RPN logits with std ~2 and deltas with std ~0.2 over the images (larger logits saturate to ties).
        batch, _ = model.transform(list(images))
        hidden = [head.conv(f) for f in model.backbone(batch.tensors).values()]
        for layer, target in ((head.cls_logits, 2.0), (head.bbox_pred, 0.2)):
            std = torch.cat([(layer(h) - layer.bias[None, :, None, None]).flatten() for h in hidden]).std()
            layer.weight.mul_(target / float(std))
        pred = model.roi_heads.box_predictor
        pred.cls_score.weight.mul_(3.0)
        pred.cls_score.bias[0] += 4.0
        pred.bbox_pred.weight.mul_(0.25)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/r50-fpn-v2-parity")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = os.path.abspath(args.out)
    images = make_images(os.path.join(out, "images"))
    tensors = [read_image(p) for p in images]
    torch.manual_seed(5)
    gen = fasterrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None, num_classes=91)
    randomise(gen, tensors, 5)
    sd = collections.OrderedDict((k, v.detach().clone()) for k, v in gen.state_dict().items())
    del gen
    manifest = {"script": SCRIPT, "arch": "fasterrcnn_resnet50_fpn_v2", "torch": torch.__version__,
                "torchvision": torchvision.__version__, "threads": args.threads,
                "images": [os.path.relpath(p, out) for p in images], "weights": []}
    for variant in ("zip", "fp16"):
        d = os.path.join(out, "k91", variant)
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, NAME)
        if variant == "zip":
            torch.save(sd, p)
        else:
            torch.save(collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items()), p)
        # torchvision's own path for the file: build, load_state_dict (float16 tensors are cast on copy), eval.
        model = fasterrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None, num_classes=91)
        model.load_state_dict(torch.load(p, map_location="cpu"))
        dets, secs = run(model.eval(), images)
        n = [len(x["scores"]) for x in dets.values()]
        print(f"{os.path.relpath(p, out)}: detections per image {n}, torchvision {np.mean(secs):.2f} s/image")
        manifest["weights"].append({"id": f"k91-{variant}", "path": os.path.relpath(p, out), "numClasses": 91,
                                    "variant": variant, "frozenBnEps": 1e-5, "torchvisionSecondsPerImage": secs,
                                    "detections": dets})
        del model
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    print(f"wrote {out}/manifest.json")


if __name__ == "__main__":
    main()
