#!/usr/bin/python3
"""Golden logits of ShuffleNet V1 (groups 1, 2, 3, 4, 8 at 1.0x) from PyTorch, for tests/check_refnet.c.

Needs real PyTorch (Debian's python3-torch, run with /usr/bin/python3); the test suite itself
only uses the committed output, tests/data/v1_golden.h: per model, the logits of one
3 x 64 x 64 and one 3 x 224 x 224 input.

The network below is its own PyTorch model, written from the paper (Zhang et al., "ShuffleNet:
An Extremely Efficient Convolutional Neural Network for Mobile Devices", CVPR 2018: Fig. 2 (b),
(c) and Table 1), not from the library or its C tests:
  conv1 3x3 / 2 (24 channels) + BN + ReLU; max-pool 3x3 / 2;
  stages 2, 3, 4 of 1 + 3, 1 + 7, 1 + 3 units (the first of stride 2); Table 1's output
  channels (g1 144, g2 200, g3 240, g4 272, g8 384 for stage 2, doubled per stage);
  bottleneck = out / 4; "we do not apply group convolution on the first pointwise layer [of
  stage 2]";
  unit: 1x1 GConv + BN + ReLU, channel shuffle, 3x3 DWConv (stride s) + BN (no ReLU), 1x1
  GConv + BN; stride 1: ReLU(x + unit(x)); stride 2: ReLU(concat(avgpool 3x3 / 2 (x),
  unit(x))), the unit then making out - in channels;
  global average pool; fully connected (1000, no bias).
Two details are the project's (../shared/models/README.md, the released Megvii weights whose
tensor names these are; PyTorch's defaults otherwise: BN eps 1e-5, padding 1, the average pool
counting its padding):
  - the shuffle sits after the depthwise BN, not before the depthwise conv: both are
    per-channel, so the two placements are the same function with the depthwise weights and
    BN permuted; the weights' layout is the after-depthwise one;
  - two shuffle orders: the paper's (reshape (g, C/g), transpose, flatten) and Megvii's
    (reshape (C/g, g), transpose, flatten, the released weights'; also the models by name).
The paper's ReLU after the stride-2 concat equals Megvii's ReLU on the branch alone (the
pooled half is >= 0), and is written as the paper has it.

The weights, BN statistics and the input are drawn from splitmix64 exactly as the C test draws
them (tests/checks.h vgs_rng_*; tests/check_refnet.c rn_model_build, in its tensor order, with
its config name as the seed), so the C test rebuilds the same numbers bit for bit:
  conv weight U(-a, a), a = sqrt(3 / fan_in); BN gamma U(0.5, 1.5), beta U(-0.1, 0.1),
  running_mean U(-0.1, 0.1), running_var U(0.5, 1.5), num_batches_tracked one draw (>> 44, + 1);
  classifier weight too; input U(0, 1) from seed + 1 (image 0: the first 3 H W draws).
No gain on the classifier is needed (unlike V2's): the residual sums let the features grow
through the 16 units: the logits' standard deviation is 1.7 .. 3.4 at 64 x 64, 3.7 .. 9.1 at
224 x 224 (asserted >= 0.5 here).
The top 6 logits are asserted apart by >= 2e-4 x max|logit| (twice the C test's tolerance:
no two of them can swap within it, so the top-5 check cannot be flaky).  PyTorch runs in
eval mode, fp32, on the CPU, one thread.

Usage: /usr/bin/python3 tools/gen_v1_golden.py [OUTPUT]   (default tests/data/v1_golden.h)
"""

import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from gen_v2_golden import M64, Rng, fp32  # splitmix64 as tests/checks.h, fp32 rounding as C

# (config name in check_refnet.c, groups, shuffle order, stage 2 channels of Table 1)
MODELS = [('golden_g1_x1_0', 1, 'megvii', 144), ('golden_g2_x1_0', 2, 'megvii', 200), ('golden_g3_x1_0', 3, 'megvii', 240),
          ('golden_g4_x1_0', 4, 'megvii', 272), ('golden_g8_x1_0', 8, 'megvii', 384), ('golden_g3_x1_0_paper', 3, 'paper', 240)]
SIZES = [64, 224]
STEM = 24
CLASSES = 1000
REPEATS = [4, 8, 4]
MIN_GAP = 2e-4  # x max|logit|: twice RN_REL_TOL of the C test


def channel_shuffle(x, groups, order):
    n, c, h, w = x.shape
    rows = groups if order == 'paper' else c // groups
    return x.reshape(n, rows, c // rows, h, w).transpose(1, 2).reshape(n, c, h, w)


class Unit(nn.Module):
    def __init__(self, cin, cout, groups, stride, first, order):
        super().__init__()
        mid = cout // 4
        out = cout - cin if stride == 2 else cout
        self.stride, self.groups, self.order = stride, groups, order
        self.branch_main_1 = nn.Sequential(
            nn.Conv2d(cin, mid, 1, groups=1 if first else groups, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False), nn.BatchNorm2d(mid))
        self.branch_main_2 = nn.Sequential(nn.Conv2d(mid, out, 1, groups=groups, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = channel_shuffle(self.branch_main_1(x), self.groups, self.order)
        y = self.branch_main_2(y)
        if self.stride == 1:
            return F.relu(x + y)
        return F.relu(torch.cat([F.avg_pool2d(x, 3, stride=2, padding=1), y], 1))


class ShuffleNetV1(nn.Module):
    def __init__(self, groups, c2, order, num_classes=CLASSES):
        super().__init__()
        self.first_conv = nn.Sequential(nn.Conv2d(3, STEM, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(STEM),
                                        nn.ReLU())
        units, cin = [], STEM
        for s, n in enumerate(REPEATS):
            cout = c2 << s
            for u in range(n):
                units.append(Unit(cin, cout, groups, 2 if u == 0 else 1, s == 0 and u == 0, order))
                cin = cout
        self.features = nn.Sequential(*units)
        self.classifier = nn.Sequential(nn.Linear(cin, num_classes, bias=False))

    def forward(self, x):
        x = F.max_pool2d(self.first_conv(x), 3, stride=2, padding=1)
        x = self.features(x)
        return self.classifier(x.mean((2, 3)))


def seed_of(name):
    """tests/check_refnet.c rn_seed: FNV-1a over the config name."""
    h = 0xCBF29CE484222325
    for ch in name.encode():
        h = ((h ^ ch) * 0x100000001B3) & M64
    return h


def draw_state(net, rng):
    """Every tensor of net's state_dict drawn in rn_model_build's order (= the module's)."""
    sd = {}
    for key, t in net.state_dict().items():
        part = key.rsplit('.', 1)[1]
        if part == 'weight' and t.dim() in (2, 4):  # conv, classifier: fan_in = numel / out
            a = fp32(math.sqrt(3.0 / (t.numel() // t.shape[0])))
            sd[key] = rng.fill(t.numel(), -a, a).reshape(t.shape)
        elif part == 'num_batches_tracked':
            sd[key] = torch.tensor((rng.u64() >> 44) + 1, dtype=torch.int64)
        else:
            lo, hi = {'weight': (0.5, 1.5), 'bias': (-0.1, 0.1), 'running_mean': (-0.1, 0.1),
                      'running_var': (0.5, 1.5)}[part]
            sd[key] = rng.fill(t.numel(), fp32(lo), fp32(hi))
    return sd


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / 'tests' / 'data' / 'v1_golden.h')
    torch.set_num_threads(1)
    lines = ['/* tests/data/v1_golden.h — generated by tools/gen_v1_golden.py (torch %s): logits (fp32, eval)' % torch.__version__,
             ' * of a PyTorch ShuffleNet V1 written from the paper, weights and input drawn as tests/check_refnet.c',
             ' * rn_model_build does for its "golden_*" configs; per model one 3 x 64 x 64 and one 3 x 224 x 224',
             ' * input.  Do not edit. */',
             '#define V1_GOLDEN_CLASSES %d' % CLASSES]
    for name, groups, order, c2 in MODELS:
        seed = seed_of(name)
        net = ShuffleNetV1(groups, c2, order)
        net.load_state_dict(draw_state(net, Rng(seed)), strict=True)
        net.eval()
        for size in SIZES:
            x = Rng((seed + 1) & M64).fill(3 * size * size, 0.0, 1.0).reshape(1, 3, size, size)
            with torch.no_grad():
                logits = net(x)[0]
            spread, amax = float(logits.std()), float(logits.abs().max())
            top = logits.topk(6).values.tolist()
            gap = min(top[i] - top[i + 1] for i in range(5))
            print(f'{name} {size}x{size}: logits std {spread:.3f}, range [{float(logits.min()):.3f}, '
                  f'{float(logits.max()):.3f}], top-5 {logits.topk(5).indices.tolist()}, '
                  f'smallest top-6 gap {gap / amax:.2e} x max')
            assert spread >= 0.5, f'{name}: logits spread {spread} too small for a meaningful comparison'
            assert gap >= MIN_GAP * amax, f'{name}: top-6 logits nearly tied'
            vals = ', '.join('%.9g' % v for v in logits.tolist())
            lines.append('static const float v1_%s_%d[%d] = {%s};' % (name, size, CLASSES, vals))
    out.write_text('\n'.join(lines) + '\n')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
