#!/usr/bin/python3
"""Generate the PyTorch-made golden files for tests/test_converter.py.

Needs real PyTorch (e.g. Debian's python3-torch, run with /usr/bin/python3);
the test suite itself only uses the committed outputs:

  tests/data/golden_zip.pt     torch.save, zip format (archive folder 'golden_zip')
  tests/data/golden_legacy.pt  torch.save(..., _use_new_zipfile_serialization=False)
  tests/data/golden.json       expected safetensors names, dtypes, shapes, values
                               and the exact little-endian bytes (hex) of every
                               tensor once converted (after stripping 'module.')

Usage: /usr/bin/python3 tools/gen_torch_golden.py [OUTPUT_DIR]
"""

import collections
import json
import sys
from pathlib import Path

import torch

SAFETENSORS_DTYPES = {
    torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16',
    torch.bfloat16: 'BF16', torch.int64: 'I64', torch.int32: 'I32',
    torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL',
}


def make_state_dict():
    """A tiny state dict covering the dtypes and layouts the converter handles."""
    torch.manual_seed(1234)
    base = torch.arange(20, dtype=torch.float64).reshape(4, 5) / 8
    shared = torch.arange(10, dtype=torch.int32) - 4
    tensors = [
        ('conv.weight', torch.randn(2, 3, 2, 2)),
        ('conv.bias', torch.nn.Parameter(torch.tensor([0.5, -1.25]))),
        ('fc.weight_t', torch.arange(12, dtype=torch.float32).reshape(3, 4).t()),
        ('window', base[1:3, 2:5]),                  # storage offset 7, stride (5, 1)
        ('columns', base[:, ::2]),                   # stride (5, 2)
        ('expanded', torch.tensor([1.5, 2.5, 3.5]).expand(2, 3)),   # stride (0, 1)
        ('bn.num_batches_tracked', torch.tensor(7, dtype=torch.int64)),
        ('half', torch.tensor([[0.5, -2.0, 65504.0], [1e-3, 3.0, -0.0]], dtype=torch.float16)),
        ('bfloat', torch.tensor([1.0, -3.5, 1e10], dtype=torch.bfloat16)),
        ('mask', torch.tensor([True, False, True, True])),
        ('shared.all', shared),
        ('shared.tail', shared[6:]),                 # same storage as shared.all
        ('int16', torch.tensor([-32768, 0, 32767], dtype=torch.int16)),
        ('int8', torch.tensor([[-128, 5], [7, 127]], dtype=torch.int8)),
        ('uint8', torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ('empty', torch.zeros(0, 3)),
    ]
    return collections.OrderedDict(('module.' + name, t) for name, t in tensors)


def expected_entry(tensor):
    flat = tensor.detach().contiguous().reshape(-1)
    values = flat.float().tolist() if tensor.dtype in (torch.float16, torch.bfloat16) else flat.tolist()
    return {
        'dtype': SAFETENSORS_DTYPES[tensor.dtype],
        'shape': list(tensor.shape),
        'values': values,
        'hex': flat.view(torch.uint8).numpy().tobytes().hex() if flat.numel() else '',
    }


def format_golden(golden):
    """JSON with one line per tensor, for readable diffs."""
    lines = [f'  {json.dumps(name)}: {json.dumps(entry)}' for name, entry in golden['tensors'].items()]
    head = {k: v for k, v in golden.items() if k != 'tensors'}
    return (json.dumps(head)[:-1] + ', "tensors": {\n' + ',\n'.join(lines) + '\n}}\n')


def main():
    default_dir = Path(__file__).resolve().parents[1] / 'tests' / 'data'
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    state_dict = make_state_dict()
    checkpoint = {'state_dict': state_dict, 'epoch': 3, 'arch': 'tiny'}
    torch.save(checkpoint, out_dir / 'golden_zip.pt')
    torch.save(checkpoint, out_dir / 'golden_legacy.pt', _use_new_zipfile_serialization=False)
    golden = {
        'generator': f'tools/gen_torch_golden.py, torch {torch.__version__}',
        'files': ['golden_zip.pt', 'golden_legacy.pt'],
        'tensors': {name[len('module.'):]: expected_entry(t) for name, t in state_dict.items()},
    }
    (out_dir / 'golden.json').write_text(format_golden(golden))
    for name in golden['files'] + ['golden.json']:
        print(out_dir / name, (out_dir / name).stat().st_size, 'bytes')


if __name__ == '__main__':
    main()
