#!/usr/bin/env python3
"""tests/fuzz/make_corpus.py [DIR] — writes the fuzz seed corpus (default: corpus/ next to
this script): valid .safetensors files for two of the fuzz driver's ShuffleNet V1 configs and
its tiny VGG-11
(fuzz_driver.h: g1 and g3 with explicit channels; ~30 KB each, the header naming 256 tensors)
and one with hostile values (NaN weights, infinite and zero variances), a net with one wrong
shape, and small files, valid and broken, one per way a file can be wrong.  Deterministic: the same
bytes on every run, so the committed corpus can be regenerated and compared.  Python standard
library only; nothing from ../shared."""
import json
import os
import random
import struct
import sys

# groups, order name, classes, stem, stages: the same as VGS_FUZZ_CONFIGS in fuzz_driver.h
CONFIGS = {'g1': (1, 3, 1, (4, 8, 12)), 'g3': (3, 3, 3, (12, 24, 36))}


def sv1_tensors(groups, classes, stem, stages):
    """(name, shape) of every tensor vgs_shufflenet_v1_create takes, in its order."""
    out = []

    def conv_bn(conv, bn, o, i, k):
        out.append((conv + '.weight', [o, i, k, k]))
        for part in ('weight', 'bias', 'running_mean', 'running_var'):
            out.append((bn + '.' + part, [o]))

    conv_bn('first_conv.0', 'first_conv.1', stem, 3, 3)
    in_c, k = stem, 0
    for s, repeats in enumerate((4, 8, 4)):
        for r in range(repeats):
            stride = 2 if r == 0 else 1
            oc = stages[s]
            mid = oc // 4
            branch = oc - in_c if stride == 2 else oc
            g1 = 1 if (s == 0 and r == 0) else groups
            p = 'features.%d.' % k
            conv_bn(p + 'branch_main_1.0', p + 'branch_main_1.1', mid, in_c // g1, 1)
            conv_bn(p + 'branch_main_1.3', p + 'branch_main_1.4', mid, 1, 3)
            conv_bn(p + 'branch_main_2.0', p + 'branch_main_2.1', branch, mid // groups, 1)
            in_c = oc
            k += 1
    out.append(('classifier.0.weight', [classes, in_c]))
    return out


# depth, block channels, hidden width, classes: the same as VGS_FUZZ_VGG in fuzz_driver.h
VGG = (11, (2, 2, 2, 2, 2), 4, 3)


def vgg_tensors(depth, channels, hidden, classes):
    """(name, shape) of every tensor vgs_vgg_create takes (no BatchNorm), in its order."""
    convs = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}[depth]
    out, cin, idx = [], 3, 0
    for blk in range(5):
        for _ in range(convs[blk]):
            out += [('features.%d.weight' % idx, [channels[blk], cin, 3, 3]), ('features.%d.bias' % idx, [channels[blk]])]
            idx, cin = idx + 2, channels[blk]
        idx += 1  # the max-pool
    widths = [cin * 49, hidden, hidden, classes]
    for layer in range(3):
        out += [('classifier.%d.weight' % (3 * layer), [widths[layer + 1], widths[layer]]),
                ('classifier.%d.bias' % (3 * layer), [widths[layer + 1]])]
    return out


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def build(entries, metadata=True, pad=True):
    """entries: (name, dtype, shape, data bytes).  Data packed in order; header padded to 8."""
    header, off, blobs = {}, 0, []
    if metadata:
        header['__metadata__'] = {'format': 'pt'}
    for name, dtype, shape, data in entries:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [off, off + len(data)]}
        off += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    if pad:
        text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(blobs)


def f32(values):
    return struct.pack('<%df' % len(values), *values)


def sv1_entries(cfg, rng):
    entries = []
    for name, shape in sv1_tensors(*cfg):
        n = numel(shape)
        if name.endswith('running_var'):
            vals = [rng.uniform(0.5, 1.5) for _ in range(n)]
        else:
            vals = [rng.uniform(-0.5, 0.5) for _ in range(n)]
        entries.append((name, 'F32', shape, f32(vals)))
    return entries


def raw_header(text, data=b''):
    text = text.encode() if isinstance(text, str) else text
    return struct.pack('<Q', len(text)) + text + data


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    rng = random.Random(10)
    files = {}
    for tag, cfg in CONFIGS.items():
        entries = sv1_entries(cfg, rng)
        files['valid_sv1_%s' % tag] = build(entries)
    g1 = sv1_entries(CONFIGS['g1'], rng)
    # valid but hostile values: NaN depthwise weights, infinite and zero BN variances
    hostile = []
    for n, d, s, b in g1:
        if 'branch_main_1.3' in n:
            b = f32([float('nan')] * numel(s))
        elif n.endswith('running_var'):
            b = f32([(float('inf'), 0.0, 1.0)[i % 3] for i in range(numel(s))])
        hostile.append((n, d, s, b))
    files['valid_sv1_g1_hostile_values'] = build(hostile, metadata=False)
    # a broken network: the classifier one row too large (every other tensor right)
    n, d, s, b = g1[-1]
    files['broken_sv1_g1_shape'] = build(g1[:-1] + [(n, d, [s[0] + 1, s[1]], b + f32([0.0] * s[1]))])
    # broken loader inputs
    tiny = [('a', 'F32', [2, 2], f32([1, 2, 3, 4])), ('b', 'U8', [3], b'xyz'), ('e', 'F32', [0], b'')]
    files['valid_tiny'] = build(tiny)
    files['valid_empty'] = raw_header('{}')
    files['broken_short'] = b'\x10\x00\x00'
    files['broken_header_past_end'] = struct.pack('<Q', 1 << 40) + b'{}'
    files['broken_json'] = raw_header('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]', f32([1]))
    files['broken_dup_metadata'] = raw_header('{"__metadata__":{},"__metadata__":{}}')
    files['broken_dup_name'] = raw_header('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                                          '"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b'xy')
    files['broken_gap'] = raw_header('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                                     '"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}', b'xyz')
    files['broken_trailing_data'] = raw_header('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b'xy')
    files['broken_overlap'] = raw_header('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
                                         '"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', b'xyz')
    files['broken_size_mismatch'] = raw_header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', f32([1]))
    files['broken_dim_overflow'] = raw_header('{"a":{"dtype":"F64","shape":[4294967296,4294967296],'
                                              '"data_offsets":[0,0]}}')
    files['broken_dtype'] = raw_header('{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', b'x')
    files['broken_utf8'] = raw_header(b'{"\xc3\x28":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b'x')
    files['broken_nul_name'] = raw_header('{"a\\u0000b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b'x')
    files['broken_deep_metadata'] = raw_header('{"__metadata__":' + '[' * 100 + ']' * 100 + '}')
    vrng = random.Random(11)  # its own stream: the files above stay as they were
    files['valid_vgg11_tiny'] = build([(n, 'F32', sh, f32([vrng.uniform(-0.5, 0.5) for _ in range(numel(sh))]))
                                       for n, sh in vgg_tensors(*VGG)])
    for name, data in sorted(files.items()):
        with open(os.path.join(out, name + '.safetensors'), 'wb') as f:
            f.write(data)
    print('make_corpus.py: %d files in %s (%d bytes)' % (len(files), out, sum(len(d) for d in files.values())))


if __name__ == '__main__':
    main()
