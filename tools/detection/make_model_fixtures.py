#!/usr/bin/python3
"""Fixtures for the Faster R-CNN parity tests in libs/detection.

Run with the system Python (torch 1.13 + torchvision 0.14):

    /usr/bin/python3 tools/detection/make_model_fixtures.py

Writes to test/fixtures/detection/:

* ``tiny_frcnn.weights.safetensors`` -- the state dict (torchvision key names) of a small Faster R-CNN assembled
  from torchvision's own classes: ``FasterRCNN`` (its GeneralizedRCNNTransform, AnchorGenerator, RPNHead,
  RegionProposalNetwork, MultiScaleRoIAlign, RoIHeads), ``BackboneWithFPN`` (FeaturePyramidNetwork +
  LastLevelMaxPool), ``TwoMLPHead`` and ``FastRCNNPredictor``. Only the ResNet body is narrowed: it is a
  torchvision-named ResNet (``conv1``, ``bn1``, ``layer1.0.conv1`` ...) built from torchvision's ``BasicBlock`` and
  ``FrozenBatchNorm2d`` with widths 8/16/32/64 and one block per stage, so the file stays small.
* ``tiny_frcnn.expected.safetensors`` -- inputs and torchvision's outputs: the two uint8 images (HWC), their targets,
  eval-mode intermediates (anchors, RPN objectness/deltas, proposals, box-head logits and deltas, detections in
  original pixels), and one training step (the four losses, a few parameter gradients, and the indices the two
  BalancedPositiveNegativeSamplers drew, so the TypeScript side can replay them).
* ``tiny_frcnn.json`` -- the model configuration and provenance.
* ``fasterrcnn_resnet50_fpn.keys.json`` / ``fasterrcnn_resnet50_fpn.batchnorm.keys.json`` /
  ``fasterrcnn_resnet18_fpn.keys.json`` -- state-dict keys and shapes, in order, of torchvision's
  ``fasterrcnn_resnet50_fpn`` as built for its COCO weights (FrozenBatchNorm2d), as built with ``weights=None``
  (BatchNorm2d body), and of ``FasterRCNN`` on ``resnet_fpn_backbone('resnet18')``.

Weights are random (seeded) but scaled so that the RPN's objectness is spread out (no near-ties) and some
detections survive the 0.05 score threshold.
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.detection import FasterRCNN, fasterrcnn_resnet50_fpn
from torchvision.models import resnet50
from torchvision.models.detection.backbone_utils import BackboneWithFPN, _resnet_fpn_extractor, resnet_fpn_backbone
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.resnet import BasicBlock, conv1x1
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "detection")
SCRIPT = "tools/detection/make_model_fixtures.py"

CONFIG = {
    "numClasses": 5,
    "minSize": 96,
    "maxSize": 160,
    "stemWidth": 8,
    "widths": [8, 16, 32, 64],
    "blocks": [1, 1, 1, 1],
    "fpnOutChannels": 32,
    "representationSize": 64,
}


class TinyResNet(nn.Module):
    """torchvision.models.ResNet's names and forward order, narrow widths (BasicBlock; FrozenBatchNorm2d unless
    another norm layer is given)."""

    def __init__(self, stem, widths, blocks, norm_layer=FrozenBatchNorm2d):
        super().__init__()
        self.inplanes = stem
        self.norm = norm_layer
        self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], blocks[0], 1)
        self.layer2 = self._make_layer(widths[1], blocks[1], 2)
        self.layer3 = self._make_layer(widths[2], blocks[2], 2)
        self.layer4 = self._make_layer(widths[3], blocks[3], 2)

    def _make_layer(self, planes, n, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), self.norm(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample, norm_layer=self.norm)]
        self.inplanes = planes
        for _ in range(1, n):
            layers.append(BasicBlock(planes, planes, norm_layer=self.norm))
        return nn.Sequential(*layers)


def build_model(norm_layer=FrozenBatchNorm2d):
    c = CONFIG
    body = TinyResNet(c["stemWidth"], c["widths"], c["blocks"], norm_layer)
    backbone = BackboneWithFPN(
        body,
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=c["widths"],
        out_channels=c["fpnOutChannels"],
        extra_blocks=LastLevelMaxPool(),
    )
    box_head = TwoMLPHead(c["fpnOutChannels"] * 7 * 7, c["representationSize"])
    box_predictor = FastRCNNPredictor(c["representationSize"], c["numClasses"])
    model = FasterRCNN(
        backbone,
        num_classes=None,
        min_size=c["minSize"],
        max_size=c["maxSize"],
        box_head=box_head,
        box_predictor=box_predictor,
    )
    # Non-trivial weights: random frozen-BN statistics, a spread-out RPN and a confident predictor.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (FrozenBatchNorm2d, nn.BatchNorm2d)):
                m.weight.uniform_(0.6, 1.4)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.6, 1.4)
        head = model.rpn.head
        head.conv[0][0].weight.normal_(0.0, 0.08)
        head.conv[0][0].bias.normal_(0.0, 0.05)
        head.cls_logits.weight.normal_(0.0, 0.5)
        head.cls_logits.bias.normal_(0.0, 0.5)
        head.bbox_pred.weight.normal_(0.0, 0.05)
        head.bbox_pred.bias.normal_(0.0, 0.05)
        model.roi_heads.box_predictor.cls_score.weight.mul_(6.0)
        model.roi_heads.box_predictor.bbox_pred.weight.mul_(2.0)
    return model


def make_images(g):
    """Two differently sized RGB uint8 images (HWC) with a few flat rectangles over noise, and their targets."""
    sizes = [(80, 120), (110, 70)]
    images, targets = [], []
    for i, (h, w) in enumerate(sizes):
        img = torch.randint(0, 256, (h, w, 3), generator=g, dtype=torch.int64).to(torch.uint8)
        boxes, labels = [], []
        for k in range(3 if i == 0 else 2):
            bw = int(torch.randint(12, w // 2, (1,), generator=g))
            bh = int(torch.randint(12, h // 2, (1,), generator=g))
            x1 = int(torch.randint(0, w - bw, (1,), generator=g))
            y1 = int(torch.randint(0, h - bh, (1,), generator=g))
            colour = torch.randint(0, 256, (3,), generator=g, dtype=torch.int64).to(torch.uint8)
            img[y1 : y1 + bh, x1 : x1 + bw] = colour
            boxes.append([x1 + 0.25, y1 + 0.5, x1 + bw - 0.5, y1 + bh - 0.25])
            labels.append(1 + (k + i) % (CONFIG["numClasses"] - 1))
        images.append(img)
        targets.append(
            {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels, dtype=torch.int64)}
        )
    return images, targets


def to_input(img_u8):
    return img_u8.permute(2, 0, 1).to(torch.float32) / 255.0


class RecordingSampler:
    """Wraps a BalancedPositiveNegativeSampler and records the positive/negative indices it drew per image."""

    def __init__(self, inner):
        self.inner = inner
        self.calls = []

    def __call__(self, matched_idxs):
        pos, neg = self.inner(matched_idxs)
        self.calls.append(
            [(torch.where(p)[0].to(torch.int32), torch.where(n)[0].to(torch.int32)) for p, n in zip(pos, neg)]
        )
        return pos, neg


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    dtypes = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64", torch.uint8: "U8"}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def dump_keys(model, path, name):
    keys = [{"key": k, "shape": list(v.shape)} for k, v in model.state_dict().items()]
    with open(path, "w") as f:
        json.dump({"model": name, "script": SCRIPT, "torch": torch.__version__,
                   "torchvision": torchvision.__version__, "keys": keys}, f, indent=0)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # What fasterrcnn_resnet50_fpn builds when weights are given (FrozenBatchNorm2d, 3 trainable layers) -- the
    # layout of torchvision's COCO checkpoints -- built here without downloading anything.
    frozen = FasterRCNN(_resnet_fpn_extractor(resnet50(weights=None, norm_layer=FrozenBatchNorm2d), 3), num_classes=91)
    dump_keys(frozen, os.path.join(OUT, "fasterrcnn_resnet50_fpn.keys.json"),
              "fasterrcnn_resnet50_fpn(weights=COCO_V1) layout: FrozenBatchNorm2d body (no num_batches_tracked)")
    # fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None) itself switches the body to nn.BatchNorm2d.
    dump_keys(fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None),
              os.path.join(OUT, "fasterrcnn_resnet50_fpn.batchnorm.keys.json"),
              "fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None): BatchNorm2d body")
    r18 = FasterRCNN(resnet_fpn_backbone(backbone_name="resnet18", weights=None), num_classes=91)
    dump_keys(r18, os.path.join(OUT, "fasterrcnn_resnet18_fpn.keys.json"),
              "FasterRCNN(resnet_fpn_backbone('resnet18', weights=None), num_classes=91): FrozenBatchNorm2d body")

    torch.manual_seed(1234)
    model = build_model()
    g = torch.Generator().manual_seed(99)
    images_u8, targets = make_images(g)
    images = [to_input(x) for x in images_u8]
    out = OrderedDict()
    for i, (img, t) in enumerate(zip(images_u8, targets)):
        out[f"image.{i}"] = img
        out[f"target.{i}.boxes"] = t["boxes"]
        out[f"target.{i}.labels"] = t["labels"].to(torch.int32)

    # ---- inference (eval mode) with intermediates captured by hooks ----
    model.eval()
    captured = {}
    rpn = model.rpn
    orig_filter = rpn.filter_proposals

    def filter_hook(proposals, objectness, image_shapes, num_anchors_per_level):
        captured["objectness"] = objectness.detach().reshape(proposals.shape[0], -1)
        captured["decoded"] = proposals.detach()
        captured["num_anchors_per_level"] = torch.tensor(num_anchors_per_level, dtype=torch.int32)
        boxes, scores = orig_filter(proposals, objectness, image_shapes, num_anchors_per_level)
        captured["proposals"] = boxes
        captured["proposal_scores"] = scores
        return boxes, scores

    rpn.filter_proposals = filter_hook
    orig_anchor = rpn.anchor_generator.forward

    def anchor_hook(image_list, feature_maps):
        anchors = orig_anchor(image_list, feature_maps)
        captured["anchors"] = anchors[0]
        captured["image_sizes"] = torch.tensor(image_list.image_sizes, dtype=torch.int32)
        captured["batch_shape"] = torch.tensor(list(image_list.tensors.shape), dtype=torch.int32)
        return anchors

    rpn.anchor_generator.forward = anchor_hook
    orig_pred = model.roi_heads.box_predictor.forward

    def predictor_hook(x):
        scores, deltas = orig_pred(x)
        captured["class_logits"] = scores.detach()
        captured["box_regression"] = deltas.detach()
        return scores, deltas

    model.roi_heads.box_predictor.forward = predictor_hook
    with torch.no_grad():
        detections = model(images)
    rpn.filter_proposals = orig_filter
    rpn.anchor_generator.forward = orig_anchor
    model.roi_heads.box_predictor.forward = orig_pred

    out["eval.anchors"] = captured["anchors"]
    out["eval.num_anchors_per_level"] = captured["num_anchors_per_level"]
    out["eval.image_sizes"] = captured["image_sizes"]
    out["eval.batch_shape"] = captured["batch_shape"]
    out["eval.objectness"] = captured["objectness"]
    for i in range(len(images)):
        out[f"eval.proposals.{i}"] = captured["proposals"][i]
        out[f"eval.proposal_scores.{i}"] = captured["proposal_scores"][i]
        out[f"eval.boxes.{i}"] = detections[i]["boxes"]
        out[f"eval.scores.{i}"] = detections[i]["scores"]
        out[f"eval.labels.{i}"] = detections[i]["labels"].to(torch.int32)
    out["eval.class_logits"] = captured["class_logits"]
    out["eval.box_regression"] = captured["box_regression"]

    # ---- one training step with recorded sampling ----
    model.train()
    rpn_sampler = RecordingSampler(model.rpn.fg_bg_sampler)
    roi_sampler = RecordingSampler(model.roi_heads.fg_bg_sampler)
    model.rpn.fg_bg_sampler = rpn_sampler
    model.roi_heads.fg_bg_sampler = roi_sampler
    orig_filter = rpn.filter_proposals

    def train_filter_hook(proposals, objectness, image_shapes, num_anchors_per_level):
        boxes, scores = orig_filter(proposals, objectness, image_shapes, num_anchors_per_level)
        captured["train_proposals"] = [b.detach().clone() for b in boxes]
        return boxes, scores

    rpn.filter_proposals = train_filter_hook
    model.zero_grad()
    losses = model([x.clone() for x in images], [{k: v.clone() for k, v in t.items()} for t in targets])
    total = sum(losses.values())
    total.backward()
    rpn.filter_proposals = orig_filter
    model.rpn.fg_bg_sampler = rpn_sampler.inner
    model.roi_heads.fg_bg_sampler = roi_sampler.inner

    loss_names = ["loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg"]
    out["train.losses"] = torch.stack([losses[k].detach() for k in loss_names])
    for i in range(len(images)):
        out[f"train.proposals.{i}"] = captured["train_proposals"][i]
        out[f"train.rpn_pos.{i}"], out[f"train.rpn_neg.{i}"] = rpn_sampler.calls[0][i]
        out[f"train.roi_pos.{i}"], out[f"train.roi_neg.{i}"] = roi_sampler.calls[0][i]
    grad_names = [
        "backbone.body.conv1.weight",
        "backbone.body.layer1.0.conv1.weight",
        "backbone.fpn.inner_blocks.0.0.weight",
        "backbone.fpn.layer_blocks.3.0.bias",
        "rpn.head.conv.0.0.weight",
        "rpn.head.cls_logits.weight",
        "rpn.head.bbox_pred.bias",
        "roi_heads.box_head.fc7.weight",
        "roi_heads.box_predictor.cls_score.weight",
        "roi_heads.box_predictor.bbox_pred.weight",
    ]
    params = dict(model.named_parameters())
    for n in grad_names:
        out[f"grad.{n}"] = params[n].grad

    meta = {"script": SCRIPT, "torch": torch.__version__, "torchvision": torchvision.__version__}
    write_safetensors(os.path.join(OUT, "tiny_frcnn.weights.safetensors"), model.state_dict(), meta)
    write_safetensors(os.path.join(OUT, "tiny_frcnn.expected.safetensors"), out, meta)
    with open(os.path.join(OUT, "tiny_frcnn.json"), "w") as f:
        json.dump({**meta, "config": CONFIG, "lossNames": loss_names, "gradNames": grad_names,
                   "builtWith": "FasterRCNN(BackboneWithFPN(TinyResNet), box_head=TwoMLPHead, "
                                "box_predictor=FastRCNNPredictor), torchvision defaults otherwise"}, f, indent=2)
        f.write("\n")
    n_det = [len(d["scores"]) for d in detections]
    print("detections per image:", n_det, "proposals:", [len(p) for p in captured["proposals"]],
          "losses:", {k: float(v) for k, v in losses.items()}, file=sys.stderr)
    print("objectness std:", float(captured["objectness"].std()), "top scores:",
          [d["scores"][:5].tolist() for d in detections], file=sys.stderr)


if __name__ == "__main__":
    main()
