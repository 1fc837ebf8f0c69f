#!/usr/bin/env python3
"""What 16-bit FC weights (vgs_net_options.fc_weights = VGS_FC_BF16 or VGS_FC_F16, the CLI's
--fc-weights bf16 / f16) do to a net's logits, measured: the same inputs through `vggshuffle run`
with the FC weights as float32, as bf16 and as IEEE half; per input the largest |logit
difference| relative to the largest |logit|, and whether the top-1 class and the top-5 set agree
with float32's.  Standard library only.

  tools/fc_weights_accuracy.py MODEL WEIGHTS.safetensors [--random N] [--seed S] [--modes bf16,f16] [IMAGE...]

Inputs: the IMAGEs, preprocessed as the model wants (`vggshuffle preprocess`), then N random
ones (default 16): N(0, 1) per value for torchvision's nets (their normalised range), and
114 + 57 N(0, 1) for ShuffleNet V1 (Megvii's 0..255 BGR range, as ../shared/peers/export.py).
Environment: VGS_CLI (default build/examples/vggshuffle).
"""
import array
import argparse
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

CLI = os.environ.get('VGS_CLI', 'build/examples/vggshuffle')


def run(*args):
    r = subprocess.run([CLI, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f'fc_weights_accuracy: {CLI} {args[0]} failed: {r.stderr.strip()}')
    return r.stdout


def top(v, k):
    return sorted(range(len(v)), key=lambda i: (-v[i], i))[:k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('model')
    ap.add_argument('weights')
    ap.add_argument('images', nargs='*')
    ap.add_argument('--random', type=int, default=16)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--modes', default='bf16,f16', help='the 16-bit storages to compare with f32')
    a = ap.parse_args()
    image = 3 * 224 * 224
    with tempfile.TemporaryDirectory() as tmp:
        x = array.array('f')
        if a.images:
            pre = Path(tmp) / 'images.f32'
            run('preprocess', '--model', a.model, '--weights', a.weights, '--output', str(pre), *a.images)
            x.frombytes(pre.read_bytes())
        rng = random.Random(a.seed)
        mean, sd = (114.0, 57.0) if a.model.startswith('shufflenet_v1') else (0.0, 1.0)
        x.extend(mean + sd * rng.gauss(0.0, 1.0) for _ in range(a.random * image))
        n = len(x) // image
        xin = Path(tmp) / 'x.f32'
        xin.write_bytes(x.tobytes())
        out = {}
        modes = [m for m in a.modes.split(',') if m]
        for mode in ['f32', *modes]:
            y = Path(tmp) / f'{mode}.f32'
            run('run', '--model', a.model, '--weights', a.weights, '--input', str(xin), '--shape', f'{n},3,224,224',
                '--output', str(y), '--fc-weights', mode)
            out[mode] = array.array('f', y.read_bytes())
    nc = len(out['f32']) // n
    for mode in modes:
        worst, top1, top5 = 0.0, 0, 0
        for i in range(n):
            f, b = out['f32'][i * nc:(i + 1) * nc], out[mode][i * nc:(i + 1) * nc]
            rel = max(abs(p - q) for p, q in zip(f, b)) / max(abs(p) for p in f)
            worst = max(worst, rel)
            top1 += top(f, 1) == top(b, 1)
            top5 += set(top(f, 5)) == set(top(b, 5))
        print(f'{a.model}: {n} inputs ({len(a.images)} images, {a.random} random): {mode} FC weights vs float32: '
              f'max |logit difference| = {worst:.2e} x max |logit|; top-1 agrees on {top1}/{n}, top-5 set on {top5}/{n}')


if __name__ == '__main__':
    main()
