#!/usr/bin/python3
"""Full-size parity data for ``detect --arch fasterrcnn_resnet50_fpn`` vs torchvision: the small fixtures
prove the maths, this proves it holds at real widths and depths.

Run with the system Python (torch 1.13 + torchvision 0.14):

    /usr/bin/python3 tools/detection/r50_fpn_parity.py [--out /tmp/r50-fpn-parity] [--threads 2]

then ``node -r ./tools/register.js tools/detection/check-r50-fpn-parity.ts [--dir /tmp/r50-fpn-parity]``.
Nothing here is committed: the weights files are ~160 MB each. The output folder holds:

* ``images/*.png`` -- three synthetic RGB images (480x640, 427x640, 300x500 HxW: smooth backgrounds, flat and
  textured shapes, noise), PNG so that sharp and PIL decode the same pixels.
* Weights of two torchvision ``fasterrcnn_resnet50_fpn`` models with seeded random but non-trivial weights
  (backbone BatchNorm statistics calibrated on the images, 10 % of channels with tiny running_var so that
  FrozenBatchNorm's eps visibly matters, a spread-out RPN objectness and a peaky box classifier), each saved as
  torchvision users have them:

  - ``k91-*/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth``: 91 classes, FrozenBatchNorm2d body (the keys of
    torchvision's published COCO file), under the published COCO file name, so torchvision's reference is
    ``load_state_dict`` + ``overwrite_eps(model, 0.0)`` exactly like ``fasterrcnn_resnet50_fpn(weights=COCO_V1)``
    and resdet must apply FrozenBN eps 0 from its weights table.
  - ``k7-*/frcnn_r50_fpn_k7.pth``: 7 classes, ``fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None,
    num_classes=7)`` as torchvision builds it (BatchNorm2d body: ``num_batches_tracked`` keys, eps 1e-5).

  in three forms: ``*-zip`` (torch zip format, today's key names), ``*-legacy-oldkeys`` (torch's legacy
  format, ``_use_new_zipfile_serialization=False``, with torchvision's pre-0.13 key names ``rpn.head.conv.weight``,
  ``backbone.fpn.{inner,layer}_blocks.{i}.weight`` … and no version metadata, so torchvision upgrades them on load)
  and ``*-fp16`` (zip, every floating tensor float16).
* ``manifest.json`` -- per weights file: path, classes, torchvision's detections per image (boxes xyxy in original
  pixels, scores, labels; read back from that very file through torchvision's own loading path), torchvision's
  seconds per image; plus ``controls``: the 91-class zip weights under a name the weights table does not know
  (expected to differ: eps 1e-5 instead of 0) and torchvision's own eps-0 vs eps-1e-5 agreement.
"""
import argparse
import collections
import json
import math
import os
import time

import numpy as np
import torch
import torchvision
from PIL import Image, ImageDraw, ImageFilter
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN, fasterrcnn_resnet50_fpn
from torchvision.models.detection._utils import overwrite_eps
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d

SCRIPT = "tools/detection/r50_fpn_parity.py"
COCO_NAME = "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"
K7_NAME = "frcnn_r50_fpn_k7.pth"
SIZES = [(480, 640), (427, 640), (300, 500)]  # H, W


def make_images(out_dir, seed=0):
    """Synthetic 'real-looking' scenes: gradient sky/ground, blurred and textured shapes, mild noise."""
    rng = np.random.RandomState(seed)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for i, (h, w) in enumerate(SIZES):
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        top, bottom = rng.uniform(60, 200, 3), rng.uniform(30, 160, 3)
        t = (yy / h)[..., None]
        img = top * (1 - t) + bottom * t + 20 * np.sin(xx / rng.uniform(20, 60))[..., None]
        pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(pil)
        for _ in range(rng.randint(5, 9)):
            bw, bh = rng.randint(w // 10, w // 3), rng.randint(h // 10, h // 3)
            x1, y1 = rng.randint(0, w - bw), rng.randint(0, h - bh)
            colour = tuple(int(c) for c in rng.randint(0, 256, 3))
            kind = rng.randint(3)
            if kind == 0:
                draw.rectangle([x1, y1, x1 + bw, y1 + bh], fill=colour, outline=(0, 0, 0), width=2)
            elif kind == 1:
                draw.ellipse([x1, y1, x1 + bw, y1 + bh], fill=colour)
            else:
                draw.polygon([(x1, y1 + bh), (x1 + bw // 2, y1), (x1 + bw, y1 + bh)], fill=colour)
        pil = pil.filter(ImageFilter.GaussianBlur(1.0))
        arr = np.asarray(pil).astype(np.float32) + rng.normal(0, 6, (h, w, 3))
        p = os.path.join(out_dir, f"scene{i}_{w}x{h}.png")
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(p)
        paths.append(p)
    return paths


def read_image(p):
    """uint8 HWC → float CHW in 0–1 (what resdet's rawToTensor does)."""
    a = np.asarray(Image.open(p).convert("RGB"))
    return torch.from_numpy(a.copy()).permute(2, 0, 1).to(torch.float32) / 255.0


def frozen_bn_model(num_classes):
    """torchvision's fasterrcnn_resnet50_fpn as built for weights=COCO_V1 (FrozenBatchNorm2d body, 3 trainable)."""
    backbone = resnet50(weights=None, norm_layer=FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(backbone, 3)
    return FasterRCNN(backbone, num_classes=num_classes)


def randomise(model, images, cls_scale, bg_bias, seed):
    """Non-trivial weights on a weights=None model (BatchNorm2d body): see the module docstring."""
    g = torch.Generator().manual_seed(seed)
    body = model.backbone.body
    bns = [m for m in body.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        # Calibrate running stats on the images at the model's input size: momentum 1 → last batch's stats.
        for m in bns:
            m.momentum = 1.0
        batch, _ = model.transform([im for im in images])
        body.train()
        body(batch.tensors)
        body.eval()
        for m in bns:
            m.momentum = 0.1
            c = m.num_features
            m.weight.copy_(torch.empty(c).uniform_(0.7, 1.3, generator=g))
            m.bias.copy_(torch.empty(c).normal_(0.0, 0.1, generator=g))
            m.running_var.clamp_(min=1e-2)
            # 10 % of channels: var·1e-4 and weight·1e-2 → the same affine map at eps 0, ~5 % off at eps 1e-5.
            tiny = torch.rand(c, generator=g) < 0.1
            m.running_var[tiny] *= 1e-4
            m.weight[tiny] *= 1e-2
        # RPN head: logits with std ~2 and deltas with std ~0.2 on the first image's features. Larger logits
        # saturate sigmoid to exactly 1.0 in float32 and NMS order among ties is arbitrary (in torchvision too).
        head = model.rpn.head
        head.cls_logits.weight.normal_(0.0, 1.0, generator=g)
        head.cls_logits.bias.normal_(0.0, 0.3, generator=g)
        head.bbox_pred.weight.normal_(0.0, 1.0, generator=g)
        one, _ = model.transform([images[0]])
        hidden = [head.conv(f) for f in model.backbone(one.tensors).values()]
        for layer, target in ((head.cls_logits, 2.0), (head.bbox_pred, 0.2)):
            std = torch.cat([(layer(h) - layer.bias[None, :, None, None]).flatten() for h in hidden]).std()
            layer.weight.mul_(target / float(std))
        pred = model.roi_heads.box_predictor
        pred.cls_score.weight.mul_(cls_scale)
        pred.cls_score.bias[0] += bg_bias  # scores spread over (0.05, ~0.5), no ties at 1.0
        pred.bbox_pred.weight.mul_(0.25)  # moderate box deltas: ×4 gave sub-pixel-thin boxes (IoU meaningless)


def old_key_names(sd):
    """Today's keys → torchvision's pre-0.13 names (the reverse of rpn.py / feature_pyramid_network.py upgrades)."""
    out = collections.OrderedDict()
    for k, v in sd.items():
        k2 = k
        for pre in ("rpn.head.conv.0.0.",):
            if k.startswith(pre):
                k2 = "rpn.head.conv." + k[len(pre):]
        for blocks in ("backbone.fpn.inner_blocks.", "backbone.fpn.layer_blocks."):
            if k.startswith(blocks):
                i, rest = k[len(blocks):].split(".", 1)
                assert rest.startswith("0."), k
                k2 = f"{blocks}{i}.{rest[2:]}"
        out[k2] = v
    return out  # a plain OrderedDict: no _metadata, so torchvision treats every module as version 1


def save_variants(sd, out_dir, name):
    """Writes the zip, legacy+old-keys and fp16 files; returns {variant: path}."""
    plain = collections.OrderedDict((k, v.detach().clone()) for k, v in sd.items())
    paths = {}
    for variant in ("zip", "legacy-oldkeys", "fp16"):
        d = os.path.join(out_dir, f"{variant}")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, name)
        if variant == "zip":
            torch.save(plain, p)
        elif variant == "legacy-oldkeys":
            torch.save(old_key_names(plain), p, _use_new_zipfile_serialization=False)
        else:
            half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in plain.items())
            torch.save(half, p)
        paths[variant] = p
    return paths


def torchvision_from_file(path, num_classes, coco):
    """The model torchvision would run for this file (its own loading path: key upgrades, dtype casts, eps)."""
    if coco:
        model = frozen_bn_model(num_classes)
        model.load_state_dict(torch.load(path, map_location="cpu"))
        overwrite_eps(model, 0.0)  # what fasterrcnn_resnet50_fpn does for FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    else:
        model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=num_classes)
        model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.eval()


def run(model, image_paths):
    dets, secs = {}, []
    with torch.no_grad():
        for p in image_paths:
            x = read_image(p)
            t0 = time.perf_counter()
            (o,) = model([x])
            secs.append(time.perf_counter() - t0)
            dets[os.path.basename(p)] = {
                "boxes": o["boxes"].tolist(),
                "scores": o["scores"].tolist(),
                "labels": o["labels"].tolist(),
            }
    return dets, secs


def same(a, b):
    return all(a[k] == b[k] for k in a)


FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "detection",
                           "r50-fpn-coco-name")
# resdet FasterRcnnConfig overrides of fasterrcnn_resnet50_fpn for the narrow CI model (same classes and code paths:
# Bottleneck ResNet body with FrozenBatchNorm2d, FPN, RPN, TwoMLPHead, 91-class predictor).
NARROW = {"backboneWidth": 8, "backboneLayers": [1, 1, 1, 1], "fpnOutChannels": 32, "representationSize": 32,
          "minSize": 96, "maxSize": 160}


class NarrowResNet(torch.nn.Module):
    """torchvision.models.ResNet's names and forward order with torchvision's Bottleneck, narrow widths."""

    def __init__(self, stem, layers):
        super().__init__()
        from torchvision.models.resnet import Bottleneck, conv1x1

        self.inplanes = stem
        self.conv1 = torch.nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = FrozenBatchNorm2d(stem)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for i, n in enumerate(layers):
            planes, stride = stem * 2**i, 1 if i == 0 else 2
            down = torch.nn.Sequential(conv1x1(self.inplanes, planes * 4, stride), FrozenBatchNorm2d(planes * 4))
            blocks = [Bottleneck(self.inplanes, planes, stride, down, norm_layer=FrozenBatchNorm2d)]
            self.inplanes = planes * 4
            blocks += [Bottleneck(self.inplanes, planes, norm_layer=FrozenBatchNorm2d) for _ in range(1, n)]
            setattr(self, f"layer{i + 1}", torch.nn.Sequential(*blocks))


def narrow_model():
    from torchvision.models.detection.backbone_utils import BackboneWithFPN
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

    c = NARROW
    w = c["backboneWidth"]
    body = NarrowResNet(w, c["backboneLayers"])
    backbone = BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
                               [w * 4, w * 8, w * 16, w * 32], c["fpnOutChannels"], extra_blocks=LastLevelMaxPool())
    box_head = TwoMLPHead(c["fpnOutChannels"] * 7 * 7, c["representationSize"])
    return FasterRCNN(backbone, num_classes=None, min_size=c["minSize"], max_size=c["maxSize"], box_head=box_head,
                      box_predictor=FastRCNNPredictor(c["representationSize"], 91))


def make_fixture():
    """The CI fixture (~1 MB): the narrow model saved like torchvision's published COCO file (legacy format, old key
    names, FrozenBN keys, 91 classes, published file name) + torchvision's detections with eps 0 and with eps 1e-5."""
    torch.manual_seed(3)
    out = os.path.abspath(FIXTURE_DIR)
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(3)
    images = []
    for i, (h, w) in enumerate([(120, 160), (70, 90)]):  # one scaled down to 96x128, one up to 96x123
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        a = np.stack([xx / w * 200, yy / h * 180, 90 + 60 * np.sin(xx / 9)], -1) + rng.normal(0, 8, (h, w, 3))
        for _ in range(3):
            bw, bh = rng.randint(w // 6, w // 2), rng.randint(h // 6, h // 2)
            x1, y1 = rng.randint(0, w - bw), rng.randint(0, h - bh)
            a[y1:y1 + bh, x1:x1 + bw] = rng.randint(0, 256, 3)
        p = os.path.join(out, f"image{i}.png")
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(p)
        images.append(p)
    tensors = [read_image(p) for p in images]
    model = narrow_model().eval()
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        # Calibrate every FrozenBatchNorm2d on the images, in forward order (pre-hooks), then perturb.
        def calibrate(m, inp):
            x = inp[0]
            m.running_mean.copy_(x.mean((0, 2, 3)))
            m.running_var.copy_(x.var((0, 2, 3)).clamp(min=1e-2))
            c = m.weight.numel()
            m.weight.copy_(torch.empty(c).uniform_(0.7, 1.3, generator=g))
            m.bias.copy_(torch.empty(c).normal_(0.0, 0.1, generator=g))
            tiny = torch.rand(c, generator=g) < 0.25  # same map at eps 0, visibly different at eps 1e-5
            m.running_var[tiny] *= 1e-4
            m.weight[tiny] *= 1e-2

        hooks = [m.register_forward_pre_hook(calibrate) for m in model.modules() if isinstance(m, FrozenBatchNorm2d)]
        batch, _ = model.transform(tensors)
        model.backbone.body(batch.tensors)
        for h in hooks:
            h.remove()
        head = model.rpn.head
        head.cls_logits.weight.normal_(0.0, 0.5, generator=g)
        head.cls_logits.bias.normal_(0.0, 0.3, generator=g)
        head.bbox_pred.weight.normal_(0.0, 0.05, generator=g)
        model.roi_heads.box_predictor.cls_score.weight.mul_(4.0)
        model.roi_heads.box_predictor.cls_score.bias[0] += 6.0  # fewer detections (not capped at 100)
        model.roi_heads.box_predictor.bbox_pred.weight.mul_(4.0)
    sd = collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    path = os.path.join(out, COCO_NAME)
    torch.save(old_key_names(sd), path, _use_new_zipfile_serialization=False)
    # torchvision's path for this file: load (upgrading the old names), then overwrite_eps(model, 0.0).
    ref = narrow_model()
    ref.load_state_dict(torch.load(path, map_location="cpu"))
    ref.eval()
    overwrite_eps(ref, 0.0)
    eps0, _ = run(ref, images)
    overwrite_eps(ref, 1e-5)
    eps5, _ = run(ref, images)
    n0 = [len(d["scores"]) for d in eps0.values()]
    d_scores = max(abs(a - b) for k in eps0 for a, b in zip(eps0[k]["scores"], eps5[k]["scores"]))
    print(f"fixture: detections per image {n0}, eps 0 vs 1e-5: max |Δscore| (in order) {d_scores:.3g}")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"arch": "fasterrcnn_resnet50_fpn", "model": NARROW}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"script": SCRIPT + " --fixture", "torch": torch.__version__, "torchvision": torchvision.__version__,
                   "weights": COCO_NAME, "format": "torch-legacy, pre-0.13 key names, no version metadata",
                   "images": [os.path.basename(p) for p in images],
                   "eps0": eps0, "eps1e-5": eps5}, f)
        f.write("\n")
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/r50-fpn-parity")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fixture", action="store_true", help="write the small CI fixture instead (test/fixtures)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.fixture:
        make_fixture()
        return
    out = os.path.abspath(args.out)
    images = make_images(os.path.join(out, "images"))
    tensors = [read_image(p) for p in images]
    manifest = {
        "script": SCRIPT,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "threads": args.threads,
        "images": [os.path.relpath(p, out) for p in images],
        "weights": [],
        "controls": {},
    }
    for num_classes, name, coco, cls_scale, bg_bias, seed in ((91, COCO_NAME, True, 0.7, 4.0, 1), (7, K7_NAME, False, 3.0, 3.0, 2)):
        torch.manual_seed(seed)
        gen = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=num_classes).eval()
        randomise(gen, tensors, cls_scale, bg_bias, seed)
        sd = gen.state_dict()
        if coco:  # the published file's keys: FrozenBatchNorm2d has no num_batches_tracked
            sd = collections.OrderedDict((k, v) for k, v in sd.items() if not k.endswith("num_batches_tracked"))
        del gen
        paths = save_variants(sd, os.path.join(out, f"k{num_classes}"), name)
        first = None
        for variant, p in paths.items():
            model = torchvision_from_file(p, num_classes, coco)
            dets, secs = run(model, images)
            n = [len(d["scores"]) for d in dets.values()]
            print(f"{os.path.relpath(p, out)}: detections per image {n}, torchvision {np.mean(secs):.2f} s/image")
            if variant == "legacy-oldkeys":
                assert same(dets, first), "legacy/old-key file does not reproduce the zip file in torchvision"
            if variant == "zip":
                first = dets
            manifest["weights"].append({
                "id": f"k{num_classes}-{variant}",
                "path": os.path.relpath(p, out),
                "numClasses": num_classes,
                "variant": variant,
                "frozenBnEps": 0.0 if coco else 1e-5,
                "torchvisionSecondsPerImage": secs,
                "detections": dets,
            })
            if coco and variant == "zip":
                # Control: the same file under a name the weights table does not know → resdet keeps eps 1e-5.
                ctrl_dir = os.path.join(out, "k91", "control-unknown-name")
                os.makedirs(ctrl_dir, exist_ok=True)
                ctrl = os.path.join(ctrl_dir, "frcnn_r50_fpn_k91_renamed.pth")
                if os.path.lexists(ctrl):
                    os.remove(ctrl)
                os.symlink(p, ctrl)
                overwrite_eps(model, 1e-5)
                dets_eps, _ = run(model, images)
                manifest["controls"] = {
                    "unknownNamePath": os.path.relpath(ctrl, out),
                    "expectMatchOf": f"k{num_classes}-{variant}",
                    "torchvisionEps1e5Detections": dets_eps,
                }
            del model
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    print(f"wrote {out}/manifest.json")


if __name__ == "__main__":
    main()
