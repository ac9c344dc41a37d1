"""Layer-level parity fixture for @resdet/nn, made with torch (run with /usr/bin/python3).

Writes test/fixtures/resnet/nn-layers.json: small inputs (NCHW in torch, stored as NHWC), torch
weights (torch layouts), and torch outputs (NHWC) for Conv2d (stride/padding/dilation/groups),
BatchNorm2d (one train step: output + updated running stats; then eval output), MaxPool2d with
padding, AdaptiveAvgPool2d with uneven bins, and Linear.
"""
import json
import os
import torch
import torchvision

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'resnet', 'nn-layers.json')


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous()


def flat(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


def tensor(t):
    return {'shape': list(t.shape), 'data': flat(t)}


cases = {}
convs = [
    dict(cin=3, cout=4, k=3, stride=1, padding=1, dilation=1, groups=1, bias=True, hw=(7, 6)),
    dict(cin=4, cout=6, k=3, stride=2, padding=1, dilation=1, groups=1, bias=False, hw=(9, 8)),
    dict(cin=4, cout=4, k=3, stride=1, padding=2, dilation=2, groups=1, bias=True, hw=(8, 8)),
    dict(cin=4, cout=6, k=3, stride=1, padding=1, dilation=1, groups=2, bias=True, hw=(5, 5)),
    dict(cin=4, cout=4, k=3, stride=2, padding=1, dilation=1, groups=4, bias=False, hw=(6, 7)),
    dict(cin=5, cout=3, k=1, stride=1, padding=0, dilation=1, groups=1, bias=True, hw=(4, 5)),
    dict(cin=5, cout=3, k=1, stride=2, padding=0, dilation=1, groups=1, bias=False, hw=(7, 7)),
    dict(cin=3, cout=4, k=7, stride=2, padding=3, dilation=1, groups=1, bias=False, hw=(11, 10)),
]
cases['conv2d'] = []
for c in convs:
    m = torch.nn.Conv2d(c['cin'], c['cout'], c['k'], stride=c['stride'], padding=c['padding'],
                        dilation=c['dilation'], groups=c['groups'], bias=c['bias'])
    x = torch.randn(2, c['cin'], *c['hw'])
    y = m(x)
    cases['conv2d'].append({
        'args': {k: v for k, v in c.items() if k != 'hw'},
        'x': tensor(nhwc(x)), 'weight': tensor(m.weight),
        'bias': tensor(m.bias) if m.bias is not None else None, 'y': tensor(nhwc(y)),
    })

bn = torch.nn.BatchNorm2d(3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
    bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    bn.running_mean.copy_(torch.tensor([0.2, -0.1, 0.05]))
    bn.running_var.copy_(torch.tensor([1.2, 0.8, 2.0]))
x = torch.randn(2, 3, 4, 5) * 2 + 0.5
bn.train()
y_train = bn(x)
x2 = torch.randn(1, 3, 3, 3)
bn.eval()
y_eval = bn(x2)
cases['batchnorm2d'] = {
    'weight': flat(bn.weight), 'bias': flat(bn.bias),
    'running_mean0': [0.2, -0.1, 0.05], 'running_var0': [1.2, 0.8, 2.0],
    'x': tensor(nhwc(x)), 'y_train': tensor(nhwc(y_train)),
    'running_mean1': flat(bn.running_mean), 'running_var1': flat(bn.running_var),
    'num_batches_tracked': int(bn.num_batches_tracked),
    'x_eval': tensor(nhwc(x2)), 'y_eval': tensor(nhwc(y_eval)),
}

fbn = torchvision.ops.FrozenBatchNorm2d(3)
fbn.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
fbn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
fbn.running_mean.copy_(torch.tensor([0.2, -0.1, 0.05]))
fbn.running_var.copy_(torch.tensor([1.2, 0.8, 2.0]))
cases['frozenbatchnorm2d'] = {'x': tensor(nhwc(x2)), 'y': tensor(nhwc(fbn(x2)))}

cases['maxpool2d'] = []
for k, s, p, hw in [(3, 2, 1, (7, 8)), (2, 2, 0, (5, 5)), (3, 1, 1, (4, 4)), (3, 2, 0, (6, 7))]:
    x = torch.randn(1, 2, *hw) - 3.0  # all-negative-ish so zero padding would be visible
    y = torch.nn.functional.max_pool2d(x, k, s, p)
    cases['maxpool2d'].append({'k': k, 's': s, 'p': p, 'x': tensor(nhwc(x)), 'y': tensor(nhwc(y))})

cases['adaptiveavgpool2d'] = []
for out, hw in [((1, 1), (5, 6)), ((3, 2), (7, 5)), ((2, 2), (4, 4)), ((4, 3), (5, 5))]:
    x = torch.randn(2, 3, *hw)
    y = torch.nn.functional.adaptive_avg_pool2d(x, out)
    cases['adaptiveavgpool2d'].append({'out': list(out), 'x': tensor(nhwc(x)), 'y': tensor(nhwc(y))})

lin = torch.nn.Linear(5, 3)
x = torch.randn(4, 5)
cases['linear'] = {'weight': tensor(lin.weight), 'bias': tensor(lin.bias), 'x': tensor(x), 'y': tensor(lin(x))}

cases['made_by'] = f'tools/resnet/make_nn_fixtures.py, torch {torch.__version__}, torchvision {torchvision.__version__}'
with open(OUT, 'w') as f:
    json.dump(cases, f, separators=(',', ':'))
print('wrote', os.path.normpath(OUT), os.path.getsize(OUT), 'bytes')
