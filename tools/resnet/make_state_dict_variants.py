"""State-dict variants of the r18n fixture that torch's load_state_dict(strict=True) accepts.

Run: /usr/bin/python3 tools/resnet/make_state_dict_variants.py   (after make_fixtures.py; reads r18n.pth)

- r18n-float-only.safetensors: only the floating-point tensors (no BatchNorm `num_batches_tracked`), as
  `safetensors.torch.save_file` on a filtered dict and many exporters write it. torch 1.13's BatchNorm
  accepts the missing buffer in `_load_from_state_dict`.
- r18n-ddp-wrapped.pth: `{"model": {"module.<key>": fp16 tensor}, "epoch": 3}` — a DataParallel model's
  float-only state dict in fp16, nested under `model` as the torchvision reference scripts and
  Detectron2 save checkpoints. torch loads it after `consume_prefix_in_state_dict_if_present`.

Both are checked here: torch loads each into a fresh net strictly and gets r18n's logits exactly.
"""
import os
import sys

import torch
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
from torchvision.models.resnet import BasicBlock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import MADE_BY, OUT, NarrowResNet, write_safetensors  # noqa: E402


def fresh():
    return NarrowResNet(BasicBlock, [2, 2, 2, 2], 8, 10).eval()


def main():
    sd = torch.load(os.path.join(OUT, 'r18n.pth'))
    ref = fresh()
    ref.load_state_dict(sd, strict=True)
    x = torch.randn(1, 3, 56, 56, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        want = ref(x)

    float_only = {k: v for k, v in sd.items() if v.is_floating_point()}
    assert len(float_only) < len(sd)
    path = os.path.join(OUT, 'r18n-float-only.safetensors')
    write_safetensors(path, float_only, {'made_by': 'tools/resnet/make_state_dict_variants.py; ' + MADE_BY})
    net = fresh()
    net.load_state_dict(float_only, strict=True)
    with torch.no_grad():
        assert torch.equal(net(x), want)

    wrapped = {'model': {'module.' + k: v.half() for k, v in float_only.items()}, 'epoch': 3}
    path = os.path.join(OUT, 'r18n-ddp-wrapped.pth')
    torch.save(wrapped, path)
    inner = dict(torch.load(path)['model'])
    consume_prefix_in_state_dict_if_present(inner, 'module.')
    net = fresh()
    net.load_state_dict({k: v.float() for k, v in inner.items()}, strict=True)
    with torch.no_grad():
        assert torch.equal(net(x), want)
    for f in ['r18n-float-only.safetensors', 'r18n-ddp-wrapped.pth']:
        print(f'{os.path.getsize(os.path.join(OUT, f)):>9}  {f}')


if __name__ == '__main__':
    main()
