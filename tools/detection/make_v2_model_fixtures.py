#!/usr/bin/python3
"""Fixtures for the ``fasterrcnn_resnet50_fpn_v2`` parity tests (libs/detection, libs/onnx).

Run with the system Python (torch 1.13 + torchvision 0.14):

    /usr/bin/python3 tools/detection/make_v2_model_fixtures.py

Writes to test/fixtures/detection/:

* ``tiny_frcnn_v2.weights.safetensors`` -- the state dict (torchvision key names) of a small Faster R-CNN assembled
  exactly as ``fasterrcnn_resnet50_fpn_v2`` assembles its parts, from torchvision's own classes: ``FasterRCNN``,
  ``BackboneWithFPN(norm_layer=BatchNorm2d)`` (FeaturePyramidNetwork with BatchNorm after every conv +
  LastLevelMaxPool), ``RPNHead(conv_depth=2)``, ``FastRCNNConvFCHead(norm_layer=BatchNorm2d)`` and
  ``FastRCNNPredictor``. Only the widths are narrowed: the ResNet body is make_model_fixtures.py's TinyResNet
  (torchvision names, ``BasicBlock``, widths 8/16/32/64) with ``BatchNorm2d`` as in v2, FPN 32 channels, box head
  convs 16 wide and a 64-wide fc layer.
* ``tiny_frcnn_v2.expected.safetensors`` -- the same inputs and the same kinds of outputs as make_model_fixtures.py
  writes for the v1 fixture (eval-mode anchors, objectness, proposals, box-head outputs and detections; one
  training step's losses, a few gradients and the sampled indices), plus the FPN outputs (``eval.features.<name>``,
  NCHW, levels '1' to 'pool') and a few BatchNorm running statistics after the training step, because the
  BatchNorm layers in the FPN and the box head are new in v2; and the same training step's gradients computed in
  float64 (``grad64.<name>``, same samples and proposals) with torch's own float32 error per gradient in the JSON.
* ``tiny_frcnn_v2.json`` -- the model configuration and provenance.
* ``fasterrcnn_resnet50_fpn_v2.keys.json`` -- state-dict keys and shapes, in order, of
  ``fasterrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None)`` (the layout of its published COCO weights).
"""
import copy
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision
from torchvision.models.detection import FasterRCNN, fasterrcnn_resnet50_fpn_v2
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNConvFCHead, FastRCNNPredictor
from torchvision.models.detection.rpn import AnchorGenerator, RPNHead
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import (  # noqa: E402  (the v1 fixture's building blocks and writers)
    OUT,
    RecordingSampler,
    TinyResNet,
    dump_keys,
    make_images,
    to_input,
    write_safetensors,
)

SCRIPT = "tools/detection/make_v2_model_fixtures.py"

# resdet FasterRcnnConfig fields (the TypeScript test builds its model from these).
CONFIG = {
    "numClasses": 5,
    "minSize": 96,
    "maxSize": 160,
    "backboneDepth": 18,
    "backboneWidth": 8,
    "backboneLayers": [1, 1, 1, 1],
    "backboneNorm": "batch",
    "trainableLayers": 5,
    "fpnOutChannels": 32,
    "fpnNorm": "batch",
    "rpnConvDepth": 2,
    "boxHeadConvLayers": [16, 16, 16, 16],
    "boxHeadNorm": "batch",
    "representationSize": 64,
}


def build_model():
    c = CONFIG
    w = c["backboneWidth"]
    widths = [w, 2 * w, 4 * w, 8 * w]
    body = TinyResNet(w, widths, c["backboneLayers"], norm_layer=nn.BatchNorm2d)
    backbone = BackboneWithFPN(
        body,
        return_layers={"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"},
        in_channels_list=widths,
        out_channels=c["fpnOutChannels"],
        extra_blocks=LastLevelMaxPool(),
        norm_layer=nn.BatchNorm2d,
    )
    # What fasterrcnn_resnet50_fpn_v2 passes to FasterRCNN, at narrow widths.
    anchor_generator = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    rpn_head = RPNHead(c["fpnOutChannels"], anchor_generator.num_anchors_per_location()[0], conv_depth=c["rpnConvDepth"])
    box_head = FastRCNNConvFCHead(
        (c["fpnOutChannels"], 7, 7), c["boxHeadConvLayers"], [c["representationSize"]], norm_layer=nn.BatchNorm2d
    )
    model = FasterRCNN(
        backbone,
        num_classes=None,
        min_size=c["minSize"],
        max_size=c["maxSize"],
        rpn_anchor_generator=anchor_generator,
        rpn_head=rpn_head,
        box_head=box_head,
        box_predictor=FastRCNNPredictor(c["representationSize"], c["numClasses"]),
    )
    # Non-trivial weights: random BatchNorm statistics everywhere, a spread-out RPN and a confident predictor.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.6, 1.4)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.6, 1.4)
                m.num_batches_tracked.fill_(7)
        head = model.rpn.head
        for block in head.conv:
            block[0].weight.normal_(0.0, 0.06)
            block[0].bias.normal_(0.0, 0.05)
        head.cls_logits.weight.normal_(0.0, 0.5)
        head.cls_logits.bias.normal_(0.0, 0.5)
        head.bbox_pred.weight.normal_(0.0, 0.05)
        head.bbox_pred.bias.normal_(0.0, 0.05)
        model.roi_heads.box_predictor.cls_score.weight.mul_(15.0)
        model.roi_heads.box_predictor.cls_score.bias[0] += 4.5  # fewer detections than the cap of 100
        model.roi_heads.box_predictor.bbox_pred.weight.mul_(2.0)
    return model


class ReplaySampler:
    """Returns recorded positive/negative indices (per image) as torchvision's sampler's masks."""

    def __init__(self, picks):
        self.picks = picks

    def __call__(self, matched_idxs):
        pos, neg = [], []
        for m, (p, n) in zip(matched_idxs, self.picks):
            pos.append(torch.zeros_like(m, dtype=torch.uint8).index_fill_(0, p.long(), 1))
            neg.append(torch.zeros_like(m, dtype=torch.uint8).index_fill_(0, n.long(), 1))
        return pos, neg


def float64_step(model, images, targets, rpn_picks, roi_picks, proposals):
    """The training step in float64 with the float32 step's samples and proposals; returns the gradients."""
    model.train()
    model.rpn.fg_bg_sampler = ReplaySampler(rpn_picks)
    model.roi_heads.fg_bg_sampler = ReplaySampler(roi_picks)
    orig_filter = model.rpn.filter_proposals

    def same_proposals(*args):
        _, scores = orig_filter(*args)
        return [p.double() for p in proposals], scores

    model.rpn.filter_proposals = same_proposals
    losses = model([x.double() for x in images],
                   [{"boxes": t["boxes"].double(), "labels": t["labels"].clone()} for t in targets])
    sum(losses.values()).backward()
    print("float64 losses:", {k: float(v) for k, v in losses.items()}, file=sys.stderr)
    return {k: v.grad for k, v in model.named_parameters() if v.grad is not None}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    dump_keys(fasterrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None),
              os.path.join(OUT, "fasterrcnn_resnet50_fpn_v2.keys.json"),
              "fasterrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None): the COCO_V1 weights' layout")

    torch.manual_seed(4321)
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

    def backbone_hook(_module, _inputs, features):
        captured["features"] = {k: v.detach().clone() for k, v in features.items()}

    hook = model.backbone.register_forward_hook(backbone_hook)
    orig_filter = rpn.filter_proposals

    def filter_hook(proposals, objectness, image_shapes, num_anchors_per_level):
        captured["objectness"] = objectness.detach().reshape(proposals.shape[0], -1)
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
    hook.remove()
    rpn.filter_proposals = orig_filter
    rpn.anchor_generator.forward = orig_anchor
    model.roi_heads.box_predictor.forward = orig_pred

    out["eval.anchors"] = captured["anchors"]
    out["eval.num_anchors_per_level"] = captured["num_anchors_per_level"]
    out["eval.image_sizes"] = captured["image_sizes"]
    out["eval.batch_shape"] = captured["batch_shape"]
    for name, f in captured["features"].items():
        if name != "0":  # level '0' (the largest) is left out to keep the file small; objectness covers it
            out[f"eval.features.{name}"] = f
    out["eval.objectness"] = captured["objectness"]
    for i in range(len(images)):
        out[f"eval.proposals.{i}"] = captured["proposals"][i]
        out[f"eval.proposal_scores.{i}"] = captured["proposal_scores"][i]
        out[f"eval.boxes.{i}"] = detections[i]["boxes"]
        out[f"eval.scores.{i}"] = detections[i]["scores"]
        out[f"eval.labels.{i}"] = detections[i]["labels"].to(torch.int32)
    out["eval.class_logits"] = captured["class_logits"]
    out["eval.box_regression"] = captured["box_regression"]
    # Weights are saved before the training step below changes the BatchNorm running statistics.
    weights = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())

    # ---- one training step with recorded sampling (BatchNorm on batch statistics) ----
    model_f64 = copy.deepcopy(model).double()
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
        "backbone.body.bn1.weight",
        "backbone.body.layer1.0.conv1.weight",
        "backbone.fpn.inner_blocks.0.0.weight",
        "backbone.fpn.layer_blocks.3.1.bias",
        "rpn.head.conv.1.0.bias",
        "rpn.head.cls_logits.weight",
        "rpn.head.bbox_pred.bias",
        "roi_heads.box_head.0.0.weight",
        "roi_heads.box_head.3.1.weight",
        "roi_heads.box_head.5.bias",
        "roi_heads.box_predictor.cls_score.weight",
        "roi_heads.box_predictor.bbox_pred.weight",
    ]
    params = dict(model.named_parameters())
    for n in grad_names:
        out[f"grad.{n}"] = params[n].grad
    # Gradients that flow back through BatchNorm on batch statistics over ~1000 RoIs are ill-conditioned: torch's
    # own float32 gradients differ from float64 ones by up to a few %. The same step in float64 (same samples, same
    # proposals) gives each gradient's float32 error in torch, which the test allows resdet as well.
    grads64 = float64_step(model_f64, images, targets, rpn_sampler.calls[0], roi_sampler.calls[0],
                           captured["train_proposals"])
    f32_rel_err = {}
    for n in grad_names:
        g32, g64 = params[n].grad.double(), grads64[n]
        f32_rel_err[n] = float((g32 - g64).abs().max() / g64.abs().max())
        out[f"grad64.{n}"] = g64.to(torch.float32)  # float32 storage: its rounding (6e-8 rel) is far below the errors
    # running statistics after the step (BatchNorm2d's train-mode side effect)
    bn_names = ["backbone.body.bn1", "backbone.fpn.inner_blocks.2.1", "roi_heads.box_head.3.1"]
    state = model.state_dict()
    for n in bn_names:
        out[f"train.{n}.running_mean"] = state[f"{n}.running_mean"]
        out[f"train.{n}.running_var"] = state[f"{n}.running_var"]

    meta = {"script": SCRIPT, "torch": torch.__version__, "torchvision": torchvision.__version__}
    write_safetensors(os.path.join(OUT, "tiny_frcnn_v2.weights.safetensors"), weights, meta)
    write_safetensors(os.path.join(OUT, "tiny_frcnn_v2.expected.safetensors"), out, meta)
    with open(os.path.join(OUT, "tiny_frcnn_v2.json"), "w") as f:
        json.dump({**meta, "config": CONFIG, "lossNames": loss_names, "gradNames": grad_names,
                   "batchNormNames": bn_names,
                   "torchFloat32GradRelErr": f32_rel_err,
                   "featureNames": [k for k in captured["features"] if f"eval.features.{k}" in out],
                   "builtWith": "FasterRCNN(BackboneWithFPN(TinyResNet(BatchNorm2d), norm_layer=BatchNorm2d), "
                                "rpn_head=RPNHead(conv_depth=2), box_head=FastRCNNConvFCHead(norm_layer="
                                "BatchNorm2d), box_predictor=FastRCNNPredictor), torchvision defaults otherwise"},
                  f, indent=2)
        f.write("\n")
    n_det = [len(d["scores"]) for d in detections]
    print("detections per image:", n_det, "proposals:", [len(p) for p in captured["proposals"]],
          "losses:", {k: float(v) for k, v in losses.items()}, file=sys.stderr)
    print("objectness std:", float(captured["objectness"].std()), "top scores:",
          [d["scores"][:5].tolist() for d in detections], file=sys.stderr)
    print("feature std:", {k: float(v.std()) for k, v in captured["features"].items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
