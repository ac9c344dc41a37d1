#!/usr/bin/env python3
"""Records torchvision's detection ops (inputs and outputs) as parity fixtures for libs/detection.

Run with the system Python that has torch 1.13 + torchvision 0.14:
    /usr/bin/python3 tools/detection/make_ops_fixtures.py
Writes test/fixtures/detection/ops/*.json. Float arrays are stored as
{"shape": [...], "f32": "<base64 little-endian float32>"} (exact, compact); integer arrays as plain lists.
Image-like tensors (features, images, gradients) are stored NHWC, as resdet uses them.
"""
import base64
import json
import math
import os
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection._utils import BalancedPositiveNegativeSampler, BoxCoder, Matcher
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.models.detection.transform import GeneralizedRCNNTransform, resize_boxes
from torchvision.ops import MultiScaleRoIAlign, boxes as box_ops, roi_align, roi_pool

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "detection", "ops")
torch.set_num_threads(1)


def f32(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "f32": base64.b64encode(t.numpy().tobytes()).decode("ascii")}


def ints(t):
    return [int(v) for v in t.reshape(-1).tolist()]


def nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t.permute(1, 2, 0)


def meta(name):
    return {
        "generator": "tools/detection/make_ops_fixtures.py",
        "fixture": name,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }


def write(name, obj):
    obj = {"meta": meta(name), **obj}
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(f"{path}: {os.path.getsize(path)} bytes")


def rand_boxes(g, n, size=100.0, min_wh=1.0):
    xy = torch.rand(n, 2, generator=g) * size
    wh = torch.rand(n, 2, generator=g) * size * 0.5 + min_wh
    return torch.cat([xy, xy + wh], 1)


def box_ops_fixture(g):
    b1 = rand_boxes(g, 9)
    b2 = rand_boxes(g, 7)
    b2[0] = b1[0]  # an identical pair (IoU 1)
    b2[1] = torch.tensor([500.0, 500.0, 510.0, 510.0])  # disjoint from everything
    small = rand_boxes(g, 12, size=20.0, min_wh=0.0) * torch.tensor([1.0, 1.0, 1.0, 1.0])
    small[3, 2] = small[3, 0] + 0.5
    small[5, 3] = small[5, 1] + 0.999
    clip_in = rand_boxes(g, 10, size=120.0) - 10.0
    write(
        "box-ops",
        {
            "boxes1": f32(b1),
            "boxes2": f32(b2),
            "area1": f32(box_ops.box_area(b1)),
            "iou": f32(box_ops.box_iou(b1, b2)),
            "clipIn": f32(clip_in),
            "clipSize": [90, 100],
            "clipOut": f32(box_ops.clip_boxes_to_image(clip_in, (90, 100))),
            "small": f32(small),
            "smallMinSize": 1.0,
            "smallKeep": ints(box_ops.remove_small_boxes(small, 1.0)),
        },
    )


def nms_fixture(g):
    n = 300
    boxes = rand_boxes(g, n, size=200.0)
    # cluster boxes so suppression actually happens
    boxes[100:200] = boxes[:100] + torch.rand(100, 4, generator=g) * 6.0
    boxes[200:] = boxes[:100] + torch.rand(100, 4, generator=g) * 12.0
    scores = torch.rand(n, generator=g)
    scores[10:40] = scores[40:70]  # exact ties: the kernel's stable sort keeps the lower index first
    idxs = torch.randint(0, 5, (n,), generator=g)
    # a large set to take torchvision's per-class ("vanilla") path of batched_nms (numel > 4000 on CPU)
    nb = 1200
    big = rand_boxes(g, nb, size=400.0)
    big_scores = torch.randperm(nb, generator=g).to(torch.float32) / nb  # distinct: the final sort there is unstable
    big_idxs = torch.randint(0, 7, (nb,), generator=g)
    write(
        "nms",
        {
            "boxes": f32(boxes),
            "scores": f32(scores),
            "idxs": ints(idxs),
            "keep05": ints(torchvision.ops.nms(boxes, scores, 0.5)),
            "keep07": ints(torchvision.ops.nms(boxes, scores, 0.7)),
            "keep03": ints(torchvision.ops.nms(boxes, scores, 0.3)),
            "batchedKeep05": ints(box_ops.batched_nms(boxes, scores, idxs, 0.5)),
            "bigBoxes": f32(big),
            "bigScores": f32(big_scores),
            "bigIdxs": ints(big_idxs),
            "bigBatchedKeep05": ints(box_ops.batched_nms(big, big_scores, big_idxs, 0.5)),
        },
    )


def box_coder_fixture(g):
    ref = rand_boxes(g, 20)
    props = ref + torch.randn(20, 4, generator=g) * 5.0
    props[:, 2:] = torch.maximum(props[:, 2:], props[:, :2] + 1.0)
    out = {"reference": f32(ref), "proposals": f32(props)}
    for name, w in (("rpn", (1.0, 1.0, 1.0, 1.0)), ("head", (10.0, 10.0, 5.0, 5.0))):
        coder = BoxCoder(w)
        out[name + "Encoded"] = f32(coder.encode_single(ref, props))
        codes = torch.randn(20, 3 * 4, generator=g) * 2.0
        codes[0, 2] = 40.0  # exercises the log(1000/16) clamp
        codes[1, 3] = 60.0
        out[name + "Codes"] = f32(codes)
        out[name + "Decoded"] = f32(coder.decode(codes, [props[:12], props[12:]]))
    write("box-coder", out)


def matcher_fixture(g):
    gt = rand_boxes(g, 5)
    preds = torch.cat([rand_boxes(g, 60), gt[:2], gt[:1]])  # exact copies: ties for the low-quality rule
    iou = box_ops.box_iou(gt, preds)
    out = {"gt": f32(gt), "preds": f32(preds), "iou": f32(iou)}
    out["rpn"] = ints(Matcher(0.7, 0.3, allow_low_quality_matches=True)(iou))
    out["head"] = ints(Matcher(0.5, 0.5, allow_low_quality_matches=False)(iou))
    out["rpnNoLowQuality"] = ints(Matcher(0.7, 0.3, allow_low_quality_matches=False)(iou))
    write("matcher", out)


def anchors_fixture(g):
    sizes = ((32,), (64,), (128,), (256,), (512,))
    ratios = ((0.5, 1.0, 2.0),) * len(sizes)
    gen = AnchorGenerator(sizes, ratios)
    cases = []
    # padded batch 64x96 with FPN strides 4..64, and an odd size where strides come from integer division
    for batch_hw, feats in (((64, 96), [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]),
                            ((50, 70), [(13, 18), (7, 9), (4, 5), (2, 3), (1, 2)])):
        images = torch.zeros(2, 3, *batch_hw)
        il = ImageList(images, [batch_hw, batch_hw])
        fmaps = [torch.zeros(2, 1, h, w) for h, w in feats]
        anchors = gen(il, fmaps)
        assert torch.equal(anchors[0], anchors[1])
        cases.append({"imageSize": list(batch_hw), "featureSizes": [list(f) for f in feats], "anchors": f32(anchors[0])})
    cell = [f32(c) for c in gen.cell_anchors]
    single = AnchorGenerator(((10,),), ((0.5, 1.0, 2.0),))
    il = ImageList(torch.zeros(1, 3, 15, 15), [(15, 15)])
    nine = single(il, [torch.zeros(1, 1, 3, 3)])[0]
    write("anchors", {"sizes": [list(s) for s in sizes], "aspectRatios": [list(r) for r in ratios],
                      "cellAnchors": cell, "cases": cases, "tiny": f32(nine)})


def roi_boxes(g, n, h, w, batch):
    b = rand_boxes(g, n, size=float(max(h, w)) * 1.2) - 3.0  # some cross the borders
    ids = torch.randint(0, batch, (n, 1), generator=g).to(torch.float32)
    return torch.cat([ids, b], 1)


def roi_align_fixture(g):
    feat = torch.randn(2, 3, 10, 12, generator=g)
    rois = roi_boxes(g, 9, 20, 24, 2)
    rois[0] = torch.tensor([0.0, -5.0, -4.0, 30.0, 26.0])  # far outside on both sides
    rois[1] = torch.tensor([1.0, 3.0, 3.0, 3.4, 3.2])  # tiny (width/height < 1 → clamped to 1)
    rois[2] = torch.tensor([1.0, 22.0, 18.0, 40.0, 36.0])  # bottom-right, partly outside
    cases = []
    for output, sr, scale, aligned in ((3, 2, 0.5, False), (2, 0, 0.5, False), ((2, 3), 0, 0.25, False), (3, 2, 0.5, True)):
        x = feat.clone().requires_grad_(True)
        out = roi_align(x, rois, output_size=output, spatial_scale=scale, sampling_ratio=sr, aligned=aligned)
        wgt = torch.randn(out.shape, generator=g)
        (out * wgt).sum().backward()
        oh, ow = (output, output) if isinstance(output, int) else output
        cases.append({"outputSize": [oh, ow], "samplingRatio": sr, "spatialScale": scale, "aligned": aligned,
                      "output": f32(nhwc(out)), "upstream": f32(nhwc(wgt)), "gradInput": f32(nhwc(x.grad))})
    write("roi-align", {"features": f32(nhwc(feat)), "rois": f32(rois), "cases": cases})


def roi_pool_fixture(g):
    feat = torch.randn(2, 3, 10, 12, generator=g)
    rois = roi_boxes(g, 8, 20, 24, 2)
    rois[0] = torch.tensor([0.0, -5.0, -4.0, 30.0, 26.0])
    rois[1] = torch.tensor([1.0, 3.0, 3.0, 3.4, 3.2])
    rois[2] = torch.tensor([1.0, 30.0, 30.0, 40.0, 36.0])  # fully outside: empty bins → 0
    x = feat.clone().requires_grad_(True)
    out = roi_pool(x, rois, output_size=(3, 2), spatial_scale=0.5)
    wgt = torch.randn(out.shape, generator=g)
    (out * wgt).sum().backward()
    write("roi-pool", {"features": f32(nhwc(feat)), "rois": f32(rois), "outputSize": [3, 2], "spatialScale": 0.5,
                       "output": f32(nhwc(out)), "upstream": f32(nhwc(wgt)), "gradInput": f32(nhwc(x.grad))})


def multiscale_fixture(g):
    image_sizes = [(60, 64), (64, 50)]  # padded batch 64x64
    names = ["0", "1", "2", "3"]
    feats = OrderedDict((n, torch.randn(2, 2, 64 // 2 ** (i + 2), 64 // 2 ** (i + 2), generator=g))
                        for i, n in enumerate(names))
    feats["pool"] = torch.randn(2, 2, 1, 1, generator=g)  # not in featmap_names: ignored
    boxes = []
    for _ in range(2):
        xy = torch.rand(8, 2, generator=g) * 40
        side = torch.tensor([2.0, 8.0, 30.0, 60.0, 110.0, 224.0, 300.0, 500.0])[torch.randperm(8, generator=g)]
        boxes.append(torch.cat([xy, xy + side[:, None] * (0.7 + 0.6 * torch.rand(8, 2, generator=g))], 1))
    pooler = MultiScaleRoIAlign(names, output_size=7, sampling_ratio=2)
    out = pooler(feats, boxes, image_sizes)
    levels = pooler.map_levels(boxes)
    write("multi-scale-roi-align", {
        "imageSizes": [list(s) for s in image_sizes],
        "features": [f32(nhwc(feats[n])) for n in names],
        "boxes": [f32(b) for b in boxes],
        "scales": pooler.scales,
        "levels": ints(levels),
        "output": f32(nhwc(out)),
    })


def transform_fixture(g):
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    tr = GeneralizedRCNNTransform(min_size=40, max_size=64, image_mean=mean, image_std=std).eval()
    imgs = [torch.rand(3, 37, 50, generator=g), torch.rand(3, 45, 23, generator=g)]
    targets = [{"boxes": rand_boxes(g, 3, size=20.0)}, {"boxes": rand_boxes(g, 2, size=20.0)}]
    il, _ = tr(imgs, None)
    tr.train()
    _, t_out = tr(imgs, [dict(t) for t in targets])
    tr.eval()
    # a fractional scale factor with an exact reproduction hazard: 800/min(h,w) style
    tr2 = GeneralizedRCNNTransform(min_size=800, max_size=1333, image_mean=mean, image_std=std).eval()
    sizes_800 = []
    for h, w in ((480, 640), (427, 640), (375, 500), (333, 500), (640, 359), (500, 1500), (1, 1), (799, 801)):
        img = torch.zeros(3, h, w)
        out, _ = tr2([img], None)
        sizes_800.append({"input": [h, w], "output": list(out.image_sizes[0]), "batch": list(out.tensors.shape[-2:])})
    dets = [rand_boxes(g, 4, size=40.0)]
    post = tr.postprocess([{"boxes": dets[0].clone()}], [il.image_sizes[0]], [(37, 50)])
    write("transform", {
        "minSize": 40, "maxSize": 64, "mean": mean, "std": std,
        "images": [f32(nhwc(i)) for i in imgs],
        "output": f32(nhwc(il.tensors)),
        "imageSizes": [list(s) for s in il.image_sizes],
        "targetBoxesIn": [f32(t["boxes"]) for t in targets],
        "targetBoxesOut": [f32(t["boxes"]) for t in t_out],
        "sizes800": sizes_800,
        "postprocessIn": f32(dets[0]),
        "postprocessOut": f32(post[0]["boxes"]),
    })


def postprocess_fixture(g):
    num_classes, n = 5, 60
    heads = RoIHeads(None, None, None, 0.5, 0.5, 512, 0.25, (10.0, 10.0, 5.0, 5.0), 0.05, 0.5, 100)
    proposals = [rand_boxes(g, n, size=80.0), rand_boxes(g, 40, size=80.0)]
    proposals[0][30:] = proposals[0][:30] + torch.rand(30, 4, generator=g) * 4.0
    logits = torch.randn(n + 40, num_classes, generator=g) * 2.0
    regression = torch.randn(n + 40, num_classes * 4, generator=g) * 0.5
    image_shapes = [(90, 100), (70, 60)]
    boxes, scores, labels = heads.postprocess_detections(logits, regression, proposals, image_shapes)
    write("postprocess", {
        "numClasses": num_classes, "imageShapes": [list(s) for s in image_shapes],
        "proposals": [f32(p) for p in proposals], "logits": f32(logits), "regression": f32(regression),
        "boxes": [f32(b) for b in boxes], "scores": [f32(s) for s in scores], "labels": [ints(l) for l in labels],
    })


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, fn in enumerate((box_ops_fixture, nms_fixture, box_coder_fixture, matcher_fixture, anchors_fixture,
                            roi_align_fixture, roi_pool_fixture, multiscale_fixture, transform_fixture,
                            postprocess_fixture)):
        g = torch.Generator().manual_seed(1000 + i)
        fn(g)


if __name__ == "__main__":
    main()
