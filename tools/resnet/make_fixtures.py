"""ResNet parity fixtures for @resdet/resnet, made with torchvision's own ResNet/BasicBlock/Bottleneck.

Run: /usr/bin/python3 tools/resnet/make_fixtures.py            (writes test/fixtures/resnet/)
     /usr/bin/python3 tools/resnet/make_fixtures.py --full-resnet50 DIR
        (writes DIR/resnet50.pth, a full random torchvision resnet50 state dict, DIR/input.png (224×224)
         and DIR/reference.json with torchvision's logits for that image; used by hand to check
         `classify`, too big to commit)

Why narrow nets: full-width ResNet weights are 45–100 MB. torchvision's `ResNet.__init__` hard-codes
a 64-channel stem, so `NarrowResNet` below re-runs the same constructor code with a smaller base
width (stem `base`, stages base·[1,2,4,8]) while using torchvision's own `_make_layer`, `BasicBlock`,
`Bottleneck` and `forward` — the graph is torchvision's, only the widths are smaller.
resdet builds the same with `new ResNet(block, layers, { baseChannels })`.

Weights are rounded to fp16-representable values before anything is computed, so one fp32
reference serves every file format (fp32 zip, fp16 zip, legacy, safetensors). BN running stats are
non-trivial (random mean/var), and the nets run in eval mode.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', '..', 'test', 'fixtures', 'resnet'))
MADE_BY = f'tools/resnet/make_fixtures.py, torch {torch.__version__}, torchvision {torchvision.__version__}'


class NarrowResNet(ResNet):
    """torchvision.models.ResNet with the stem width as a parameter (torchvision fixes it at 64)."""

    def __init__(self, block, layers, base, num_classes):
        nn.Module.__init__(self)
        norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = base
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, base, layers[0])
        self.layer2 = self._make_layer(block, base * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, base * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, base * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


def randomise_bn_and_round(model, gen):
    """Non-trivial BN stats/affine, then every float tensor rounded to fp16-representable values."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.num_batches_tracked.fill_(7)
        for t in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
            t.copy_(t.half().float())


def forward_all(model, x):
    """logits and layer1..layer4 outputs (IntermediateLayerGetter semantics)."""
    feats = {}
    h = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    for name in ['layer1', 'layer2', 'layer3', 'layer4']:
        h = getattr(model, name)(h)
        feats[name] = h
    logits = model(x)
    return logits, feats


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer (8-byte LE header length, JSON header, raw little-endian data)."""
    dt = {torch.float32: 'F32', torch.float16: 'F16', torch.int64: 'I64'}
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {'dtype': dt[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous()


def make_net(name, block, layers, base, num_classes, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = NarrowResNet(block, layers, base, num_classes)
    randomise_bn_and_round(model, gen)
    model.eval()
    x = torch.randn(2, 3, 56, 56, generator=gen)
    with torch.no_grad():
        logits, feats = forward_all(model, x)
    io = {'input': nhwc(x), 'logits': logits.detach().contiguous()}
    io.update({k: nhwc(v) for k, v in feats.items()})
    meta = {'made_by': MADE_BY, 'net': name, 'block': block.__name__, 'layers': json.dumps(layers),
            'base': str(base), 'num_classes': str(num_classes), 'layout': 'NHWC (input, layer1..4); logits [N, classes]'}
    write_safetensors(os.path.join(OUT, f'{name}-io.safetensors'), io, meta)
    return model


def main_fixtures():
    os.makedirs(OUT, exist_ok=True)
    r18 = make_net('r18n', BasicBlock, [2, 2, 2, 2], 8, 10, seed=18)
    sd = r18.state_dict()
    torch.save(sd, os.path.join(OUT, 'r18n.pth'))  # zip format, fp32
    torch.save({k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()},
               os.path.join(OUT, 'r18n-fp16.pth'))  # zip format, fp16
    r50 = make_net('r50n', Bottleneck, [3, 4, 6, 3], 4, 10, seed=50)
    sd = r50.state_dict()
    torch.save(sd, os.path.join(OUT, 'r50n-legacy.pth'), _use_new_zipfile_serialization=False)
    write_safetensors(os.path.join(OUT, 'r50n-fp16.safetensors'),
                      {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()},
                      {'made_by': MADE_BY})
    for f in sorted(os.listdir(OUT)):
        print(f'{os.path.getsize(os.path.join(OUT, f)):>9}  {f}')


def main_full_resnet50(out_dir):
    """A full random torchvision resnet50 (+ BN stats), an image, and torchvision's logits for it."""
    from PIL import Image
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    gen = torch.Generator().manual_seed(1)
    randomise_bn_and_round(model, gen)
    model.eval()
    torch.save(model.state_dict(), os.path.join(out_dir, 'resnet50.pth'))
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    Image.fromarray(img).save(os.path.join(out_dir, 'input.png'))
    x = torch.from_numpy(img).float().div(255).permute(2, 0, 1)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    x = ((x - mean) / std).unsqueeze(0)
    with torch.no_grad():
        logits = model(x)[0]
    with open(os.path.join(out_dir, 'reference.json'), 'w') as f:
        json.dump({'made_by': MADE_BY, 'file': 'input.png', 'logits': logits.tolist()}, f)
    print('wrote', out_dir, 'max|logit|', float(logits.abs().max()))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--full-resnet50':
        main_full_resnet50(sys.argv[2])
    else:
        main_fixtures()
