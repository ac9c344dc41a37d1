"""Writes the small checkpoint fixtures under test/fixtures/checkpoint/ (resdet never runs this in tests).

Run with the system Python that has torch:  /usr/bin/python3 tools/checkpoint/make_fixtures.py
Each *.pth / *.safetensors has an entry in expected.json: for every tensor its dtype, shape and values
(flattened row-major; float16/bfloat16 values as their exact float32 widening; int64 as decimal strings).
"""
import argparse
import collections
import json
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'checkpoint')


class Tiny(torch.nn.Module):
    """conv + bn + linear: a state dict with float weights, BN buffers and int64 num_batches_tracked."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4, 2)


def tiny_state_dict():
    torch.manual_seed(0)
    m = Tiny()
    with torch.no_grad():
        m.bn1.running_mean.uniform_(-1, 1)
        m.bn1.running_var.uniform_(0.5, 2)
        m.bn1.num_batches_tracked.fill_(7)
    return m.state_dict()


def non_contiguous():
    """Views sharing one storage: a transpose, an offset slice, a stride-0 expand, plus the base itself."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    return collections.OrderedDict(
        [
            ('base', base),
            ('transposed', base.t()),
            ('slice', base[1:3, 2:5]),
            ('column', base[:, 5]),
            ('expanded', base[2, :3].unsqueeze(0).expand(2, 3)),
            ('scalar_view', base[3, 4]),
        ]
    )


def dtypes():
    torch.manual_seed(1)
    x = torch.randn(2, 3)
    return collections.OrderedDict(
        [
            ('f32', x),
            ('f16', (x * 100).half()),
            ('bf16', (x * 100).bfloat16()),
            ('i64', torch.tensor([[0, -1, 2**40], [-(2**62), 5, 9]], dtype=torch.int64)),
            ('i32', torch.tensor([-7, 0, 2**31 - 1], dtype=torch.int32)),
            ('u8', torch.tensor([0, 1, 255], dtype=torch.uint8)),
            ('bool', torch.tensor([True, False, True])),
            ('empty', torch.zeros(0, 3)),
            ('param', torch.nn.Parameter(torch.tensor([1.5, -2.25]))),
        ]
    )


def old_fasterrcnn_names():
    """A few keys under torchvision's pre-0.13 names (what the published COCO weights use)."""
    torch.manual_seed(2)
    names = [
        ('backbone.fpn.inner_blocks.0.weight', (4, 8, 1, 1)),
        ('backbone.fpn.inner_blocks.0.bias', (4,)),
        ('backbone.fpn.layer_blocks.0.weight', (4, 4, 3, 3)),
        ('backbone.fpn.layer_blocks.0.bias', (4,)),
        ('rpn.head.conv.weight', (4, 4, 3, 3)),
        ('rpn.head.conv.bias', (4,)),
        ('rpn.head.cls_logits.weight', (3, 4, 1, 1)),
    ]
    return collections.OrderedDict((n, torch.randn(*s)) for n, s in names)


def fasterrcnn_old_keys():
    """torchvision 0.14 fasterrcnn_resnet50_fpn's keys renamed to the pre-0.13 names (module metadata
    version 1, as in the published COCO file), each holding a 1-element tensor with its key index.
    Before saving, the renamed dict is loaded into torchvision's own model, which upgrades it: this proves
    the old names are the ones torchvision accepts. Returns (old-name dict, today's key list)."""
    import torchvision
    from torchvision.models.detection import fasterrcnn_resnet50_fpn

    model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
    new = model.state_dict()
    meta = new._metadata
    old = collections.OrderedDict()
    for i, (k, v) in enumerate(new.items()):
        k2 = k.replace('rpn.head.conv.0.0.', 'rpn.head.conv.')
        for block in ('inner_blocks', 'layer_blocks'):
            for j in range(4):
                k2 = k2.replace(f'backbone.fpn.{block}.{j}.0.', f'backbone.fpn.{block}.{j}.')
        old[k2] = torch.full(v.shape, float(i), dtype=v.dtype) if v.dim() == 0 else v.new_full(v.shape, float(i))
    old._metadata = collections.OrderedDict(
        (k, dict(m, version=1) if k in ('rpn.head', 'backbone.fpn') else m) for k, m in meta.items()
    )
    model.load_state_dict(old)  # torchvision's _load_from_state_dict hooks upgrade the names
    small = collections.OrderedDict((k, torch.tensor([float(i)])) for i, k in enumerate(old))
    small._metadata = old._metadata
    return small, list(new.keys()), torchvision.__version__


def values(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16, torch.float32):
        return [float(v) for v in t.float().tolist()]
    if t.dtype == torch.int64:
        return [str(int(v)) for v in t.tolist()]
    if t.dtype == torch.bool:
        return [int(v) for v in t.tolist()]
    return [int(v) for v in t.tolist()]


DTYPE_NAMES = {
    torch.float32: 'float32',
    torch.float16: 'float16',
    torch.bfloat16: 'bfloat16',
    torch.int64: 'int64',
    torch.int32: 'int32',
    torch.uint8: 'uint8',
    torch.bool: 'bool',
}
ST_DTYPES = {
    torch.float32: 'F32',
    torch.float16: 'F16',
    torch.bfloat16: 'BF16',
    torch.int64: 'I64',
    torch.int32: 'I32',
    torch.uint8: 'U8',
    torch.bool: 'BOOL',
}


def describe(sd):
    return {k: {'dtype': DTYPE_NAMES[v.dtype], 'shape': list(v.shape), 'values': values(v)} for k, v in sd.items()}


def raw_bytes(t):
    """Little-endian bytes of a tensor, written by hand (bfloat16 via its int16 bit pattern)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, sd, metadata):
    """The safetensors format by hand: u64 LE header length, JSON header (space-padded to 8), data."""
    header = {'__metadata__': metadata}
    blobs, offset = [], 0
    for k, v in sd.items():
        b = raw_bytes(v)
        header[k] = {'dtype': ST_DTYPES[v.dtype], 'shape': list(v.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    argparse.ArgumentParser(description=__doc__).parse_args()
    os.makedirs(OUT, exist_ok=True)
    tiny = tiny_state_dict()
    half = collections.OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in tiny.items())
    nc, dt, old = non_contiguous(), dtypes(), old_fasterrcnn_names()
    nested = {'model': tiny, 'epoch': 3, 'args': argparse.Namespace(lr=0.02, arch='tiny'), 'note': 'nested'}
    files = {
        'tiny-zip.pth': (tiny, tiny, True),
        'tiny-legacy.pth': (tiny, tiny, False),
        'tiny-fp16-zip.pth': (half, half, True),
        'tiny-fp16-legacy.pth': (half, half, False),
        'dtypes-zip.pth': (dt, dt, True),
        'dtypes-legacy.pth': (dt, dt, False),
        'noncontig-zip.pth': (nc, nc, True),
        'noncontig-legacy.pth': (nc, nc, False),
        'nested-zip.pth': (nested, tiny, True),
        'nested-legacy.pth': (nested, tiny, False),
        'old-fasterrcnn-names-legacy.pth': (old, old, False),
    }
    expected = {
        '_generator': 'tools/checkpoint/make_fixtures.py',
        '_torch': torch.__version__,
        '_python': sys.version.split()[0],
        'files': {},
    }
    for name, (obj, sd, zip_format) in files.items():
        torch.save(obj, os.path.join(OUT, name), _use_new_zipfile_serialization=zip_format)
        expected['files'][name] = describe(sd)
    st = collections.OrderedDict((k, v) for k, v in dt.items() if k != 'param')
    st['param'] = dt['param'].detach()
    write_safetensors(os.path.join(OUT, 'dtypes.safetensors'), st, {'format': 'pt', 'made_by': 'make_fixtures.py'})
    expected['files']['dtypes.safetensors'] = describe(st)
    expected['safetensors_metadata'] = {'format': 'pt', 'made_by': 'make_fixtures.py'}
    old_sd, new_keys, tv = fasterrcnn_old_keys()
    torch.save(old_sd, os.path.join(OUT, 'fasterrcnn-old-keys-legacy.pth'), _use_new_zipfile_serialization=False)
    expected['fasterrcnn_old_keys'] = {
        '_note': 'fasterrcnn_resnet50_fpn keys (torchvision %s) under pre-0.13 names, 1-element tensors = key index' % tv,
        'old_keys': list(old_sd.keys()),
        'new_keys': new_keys,
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
