#!/usr/bin/python3
"""Golden logits of torchvision's VGG models for tests/check_vgg_golden.c.

Needs real PyTorch and torchvision (Debian python3-torch, python3-torchvision; run with
/usr/bin/python3); the test suite only reads the committed output, tests/data/vgg_golden.txt.

Every model's parameters and the input are drawn from splitmix64 exactly as the C tests draw
them (tests/checks.h: vgs_rng_seed, vgs_rng_float), so the C side rebuilds the same weights
bit for bit without any file of weights:
  - one stream per model, seed = depth * 2 + (1 for _bn); tensors in state_dict order, each
    taking numel draws in row-major order; num_batches_tracked takes none (it is 0);
  - conv and linear weights U(-a, a), a = (float)sqrt(6 / fan_in) (He: the activations keep
    their scale through the ReLUs); the last linear layer a = (float)sqrt(3 / fan_in);
  - biases U(-0.1, 0.1); BatchNorm weight U(0.5, 1.5), bias U(-0.1, 0.1), running_mean
    U(-0.1, 0.1), running_var U(0.5, 1.5) (non-trivial statistics);
  - the input: seed 1000 + H, U(-1, 1), 1 x 3 x H x W.
Sizes: 224 x 224 and 32 x 32 (the adaptive pool spreads a 1 x 1 map).  The script checks
that the logits have a healthy spread (std > 0.2): a comparison of near-zero logits would
mean nothing.

Output: one line per (model, size): `MODEL H W v0 v1 ... v999` (float32 logits, %.9g).
Usage: /usr/bin/python3 tools/gen_vgg_golden.py [OUT]   (default tests/data/vgg_golden.txt)
"""

import math
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

G = np.uint64(0x9E3779B97F4A7C15)
M64 = (1 << 64) - 1


class Rng:
    """splitmix64, vectorised: the stream of tests/checks.h's vgs_rng."""

    def __init__(self, seed):
        self.s = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & M64

    def floats(self, n, lo, hi):
        i = np.arange(1, n + 1, dtype=np.uint64)
        with np.errstate(over='ignore'):
            z = np.uint64(self.s) + i * G
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
        self.s = (self.s + n * 0x9E3779B97F4A7C15) & M64
        u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
        lo, hi = float(np.float32(lo)), float(np.float32(hi))
        return (lo + (hi - lo) * u).astype(np.float32)


def fill(model, seed):
    rng = Rng(seed)
    sd = model.state_dict()
    keys = list(sd.keys())
    last_linear = [k for k in keys if k.startswith('classifier.') and k.endswith('.weight')][-1]
    with torch.no_grad():
        for k in keys:
            t = sd[k]
            if k.endswith('num_batches_tracked'):
                t.zero_()
                continue
            n = t.numel()
            if k.endswith('.weight') and t.dim() in (2, 4):
                fan_in = n // t.shape[0]
                a = float(np.float32(math.sqrt((3.0 if k == last_linear else 6.0) / fan_in)))
                v = rng.floats(n, -a, a)
            elif k.endswith('running_var') or (k.endswith('.weight') and t.dim() == 1):
                v = rng.floats(n, 0.5, 1.5)
            else:  # biases, BN bias, running_mean
                v = rng.floats(n, -0.1, 0.1)
            t.copy_(torch.from_numpy(v.reshape(t.shape)))
    model.eval()


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / 'tests' / 'data' / 'vgg_golden.txt')
    torch.set_num_threads(2)
    lines = []
    for bn in (False, True):
        for depth in (11, 13, 16, 19):
            name = f'vgg{depth}' + ('_bn' if bn else '')
            model = getattr(torchvision.models, name)(weights=None)
            fill(model, depth * 2 + int(bn))
            for size in (224, 32):
                x = Rng(1000 + size).floats(3 * size * size, -1.0, 1.0).reshape(1, 3, size, size)
                with torch.no_grad():
                    y = model(torch.from_numpy(x))[0].numpy()
                if not y.std() > 0.2:
                    raise SystemExit(f'{name} {size}: logits std {y.std():.3g}: too flat to compare')
                lines.append(f'{name} {size} {size} ' + ' '.join(f'{float(v):.9g}' for v in y))
                print(f'{name} {size}x{size}: logits std {y.std():.3f}, top-1 {int(y.argmax())}', file=sys.stderr)
    out.write_text('\n'.join(lines) + '\n')
    print(f'wrote {out}', file=sys.stderr)


if __name__ == '__main__':
    main()
