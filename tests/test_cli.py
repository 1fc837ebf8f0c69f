#!/usr/bin/env python3
"""Tests of the command-line tool (examples/vggshuffle_cli.c), standard library only.

Help and version on every command, `--opt=value` as well as `--opt value`, the hint for a
PyTorch checkpoint given as weights, and hostile numbers: every one is a clear error (exit
status 2 for usage, 1 otherwise), never a crash, a silent wrap-around or a run of hours.
The checks that open the network need the converted g3 weights (skipped with the reason if
../shared is absent).

Environment (meson sets it): VGS_CLI the program, VGS_VERSION the project's version,
VGS_WEIGHTS the g3 0.5x .safetensors, VGS_SHARED_DIR ../shared ('' if absent).
Run: VGS_CLI=build/examples/vggshuffle VGS_VERSION=0.1.0 ... python3 tests/test_cli.py
"""

import os
import resource
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = os.environ.get('VGS_CLI', str(REPO / 'build' / 'examples' / 'vggshuffle'))
VERSION = os.environ.get('VGS_VERSION', '')
WEIGHTS = os.environ.get('VGS_WEIGHTS', '')
SHARED = os.environ.get('VGS_SHARED_DIR', '')
MODEL = 'shufflenet_v1_g3_x0_5'
COMMANDS = ['classify', 'run', 'preprocess', 'bench', 'info']
HINT = 'this is a PyTorch checkpoint, not safetensors; convert it with tools/torch2safetensors.py IN OUT'


def have_weights():
    return bool(WEIGHTS) and Path(WEIGHTS).is_file()


def need_weights(test):
    reason = 'no ../shared data beside the source tree' if not SHARED else f'no converted weights {WEIGHTS}'
    return unittest.skipUnless(have_weights(), reason)(test)


def limit_memory():
    """Child: at most 8 GiB of address space, so that a huge allocation fails whatever the
    machine's overcommit policy (instead of succeeding and being filled for hours)."""
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


def cli(*args, limit=False, timeout=120, env=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit_memory if limit else None,
                          env=None if env is None else {**os.environ, **env})


class Info(unittest.TestCase):
    def test_avx512_halves_override(self):
        """VGS_AVX512_HALVES picks the AVX-512 table (vggshuffle.h, vgs_x86_avx512_halves);
        a value other than 0 or 1 leaves the detection's."""
        detected = cli('info')
        self.assertEqual(detected.returncode, 0, detected.stderr)
        if 'avx512  supported' not in detected.stdout:
            self.skipTest('AVX-512 does not run here')
        halves, whole = 'operations run in two halves here', 'operations run whole here'
        self.assertTrue((halves in detected.stdout) != (whole in detected.stdout), detected.stdout)
        for value, want in (('1', halves), ('0', whole)):
            r = cli('info', env={'VGS_AVX512_HALVES': value})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(want, r.stdout, value)
        r = cli('info', env={'VGS_AVX512_HALVES': 'yes'})
        self.assertEqual((r.returncode, r.stdout), (0, detected.stdout))
        self.assertIn("warning: VGS_AVX512_HALVES='yes' is not 0 or 1: ignored", r.stderr)

    def test_ignored_thread_count_is_said(self):
        """A VGS_NUM_THREADS the library ignores (not 1..256) is a warning on stderr, not an
        error; a good one, none."""
        for value in ('abc', '0', '257', '2x'):
            r = cli('info', env={'VGS_NUM_THREADS': value})
            self.assertEqual(r.returncode, 0, (value, r.stderr))
            self.assertIn(f"warning: VGS_NUM_THREADS='{value}' is not a count from 1 to 256: ignored", r.stderr)
        r = cli('info', env={'VGS_NUM_THREADS': '2'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('warning', r.stderr)


class Help(unittest.TestCase):
    def test_top_level(self):
        for args in (['--help'], ['-h'], ['help']):
            r = cli(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertTrue(r.stdout.startswith('usage:'), (args, r.stdout))
            for c in COMMANDS:
                self.assertIn(f'vggshuffle {c}', r.stdout, args)

    def test_every_command(self):
        for c in COMMANDS:
            for args in ([c, '--help'], [c, '-h'], ['help', c],
                         [c, '--model', 'm', '--help'] if c != 'info' else [c, '-h']):
                r = cli(*args)
                self.assertEqual(r.returncode, 0, (args, r.stderr))
                self.assertTrue(r.stdout.startswith(f'usage: vggshuffle {c}'), (args, r.stdout))
                self.assertEqual(r.stderr, '', args)

    def test_version(self):
        self.assertTrue(VERSION, 'VGS_VERSION not set')
        for args in (['--version'], ['classify', '--version'], ['info', '--version']):
            r = cli(*args)
            self.assertEqual((r.returncode, r.stdout), (0, f'vggshuffle {VERSION}\n'), args)

    def test_usage_errors(self):
        cases = [
            ([], 'no command given'),
            (['frobnicate'], "unknown command 'frobnicate'"),
            (['info', '--bogus'], 'unknown option --bogus'),
            (['run', '--top', '3', '--model', 'm', '--weights', 'w'], 'unknown option --top'),  # not run's
            (['classify', '--top=3', '--model', 'm', '--weights'], '--weights needs a value'),
            (['classify', '--modelx=m', '--weights=w', 'img'], 'unknown option --modelx'),
            (['classify', '-x', '--model=m', '--weights=w', 'img'], 'unknown option -x'),
            (['classify', '--help=yes'], 'unknown option --help'),
            (['bench', '--model', 'm'], '--model and --weights are required'),
            (['bench', '--model=m', '--weights=w', 'extra'], "unexpected argument 'extra'"),
            (['bench', '--model=m', '--weights=w', '--conv3x3', 'f53'],
             'vggshuffle bench: --conv3x3 f53: one of auto, direct, f23, f43, f63'),
            (['classify', '--model=m', '--weights=w', '--fc-weights=f64', 'img'],
             'vggshuffle classify: --fc-weights f64: f32, bf16 or f16'),
        ]
        for args, words in cases:
            r = cli(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn(words, r.stderr, args)


class OptionForms(unittest.TestCase):
    def test_equals_form_reaches_the_loader(self):
        """Both forms pass the value: the loader names the file it was given."""
        with tempfile.TemporaryDirectory() as tmp:
            missing = str(Path(tmp) / 'no such weights.safetensors')
            for args in (['--model=' + MODEL, '--weights=' + missing], ['--model', MODEL, '--weights', missing]):
                r = cli('bench', *args)
                self.assertEqual(r.returncode, 1, (args, r.stderr))
                self.assertIn(f'{missing}: cannot open', r.stderr, args)

    def test_double_dash_ends_options(self):
        r = cli('classify', '--model', MODEL, '--weights', '/nonexistent/w.safetensors', '--', '--top')
        self.assertEqual(r.returncode, 1, r.stderr)  # '--top' is an image name: we got to the loader
        self.assertIn('/nonexistent/w.safetensors', r.stderr)

    @need_weights
    def test_equals_and_space_forms_agree(self):
        with tempfile.TemporaryDirectory() as tmp:
            x, y1, y2 = (str(Path(tmp) / n) for n in ('x.f32', 'y1.f32', 'y2.f32'))
            Path(x).write_bytes(bytes(2 * 3 * 224 * 224 * 4))
            r1 = cli('run', '--model', MODEL, '--weights', WEIGHTS, '--input', x, '--shape', '2,3,224,224',
                     '--output', y1)
            r2 = cli('run', f'--model={MODEL}', f'--weights={WEIGHTS}', f'--input={x}', '--shape=2,3,224,224',
                     f'--output={y2}')
            self.assertEqual((r1.returncode, r2.returncode), (0, 0), (r1.stderr, r2.stderr))
            self.assertEqual(Path(y1).stat().st_size, 2 * 1000 * 4)
            self.assertEqual(Path(y1).read_bytes(), Path(y2).read_bytes())

    @need_weights
    def test_classify_top_equals(self):
        r = cli('classify', f'--model={MODEL}', f'--weights={WEIGHTS}', '--top=2',
                str(Path(SHARED) / 'images' / 'chelsea.png'))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 3, r.stdout)  # the image line and 2 classes
        self.assertIn(' 285 ', lines[1])

    @need_weights
    def test_weights_from_stdin(self):
        """A pipe as the weights (vgs_weights_open reads it to its end): the same top class
        as from the file; an empty pipe is the loader's clear error."""
        args = ['classify', '--model', MODEL, '--weights', '/dev/stdin', '--top', '1',
                str(Path(SHARED) / 'images' / 'chelsea.png')]
        r = subprocess.run([CLI, *args], input=Path(WEIGHTS).read_bytes(), capture_output=True,
                           timeout=120)  # through a pipe (stdin=a file object would be seekable)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b' 285 ', r.stdout.splitlines()[1])
        r = subprocess.run([CLI, *args], input=b'', capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b'/dev/stdin: file is 0 bytes', r.stderr)


class CheckpointHint(unittest.TestCase):
    def check(self, path):
        for c, image in (('classify', ['x.png']), ('bench', [])):
            r = cli(c, '--model', MODEL, '--weights', str(path), *image)
            self.assertEqual(r.returncode, 1, (c, path, r.stderr))
            self.assertIn(f'{path}: {HINT}', r.stderr, (c, path))

    def test_torch_files(self):
        """Files written by real PyTorch, both torch.save formats (tests/data)."""
        for name in ('golden_zip.pt', 'golden_legacy.pt'):
            self.check(REPO / 'tests' / 'data' / name)

    @unittest.skipUnless(SHARED and list(Path(SHARED or '.').glob('models/*.pth.tar')), 'no ../shared checkpoints')
    def test_megvii_checkpoint(self):
        self.check(next(iter(sorted(Path(SHARED).glob('models/*.pth.tar')))))


class Numbers(unittest.TestCase):
    def usage_error(self, args, words):
        r = cli(*args)
        self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
        self.assertIn(words, r.stderr, args)

    def test_counts(self):
        for opt, cmd in (('top', 'classify'), ('runs', 'bench'), ('batch', 'bench')):
            for v in ('0', '-1', '+5', ' 5', '5x', '1e3', '', '1000001', '4294967297', '99999999999999999999999'):
                for form in ([f'--{opt}', v], [f'--{opt}={v}']):
                    image = ['img'] if cmd == 'classify' else []
                    self.usage_error([cmd, '--model=m', '--weights=w', *form, *image],
                                     f"--{opt}: '{v}' is not an integer from 1 to 1000000")

    def test_shapes(self):
        base = ['run', '--model=m', '--weights=w', '--input=x', '--output=y', '--shape']
        for shape in ('4294967297,3,224,224',   # N wraps to 1 as an int
                      '1,3,4294967520,224',     # H wraps to 224
                      '2147483648,3,224,224', '1,3,224,-224', '1,3,224', '1,3,224,224,1', '1,3,224,224,',
                      '1,,224,224', '1, 3,224,224', '1,3,224,224x', '0,3,224,224', ''):
            self.usage_error(base + [shape], f"--shape '{shape}' is not four integers N,C,H,W")

    @need_weights
    def test_top_bounded_by_classes(self):
        image = str(Path(SHARED) / 'images' / 'chelsea.png')
        for top in ('1001', '1000000'):
            self.usage_error(['classify', '--model', MODEL, '--weights', WEIGHTS, '--top', top, image],
                             f'--top {top}: the model has 1000 classes')
        r = cli('classify', '--model', MODEL, '--weights', WEIGHTS, '--top', '1000', image)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 1001)

    @need_weights
    def test_huge_batch_is_an_error(self):
        """600 GB of input: an out-of-memory error, not a crash (address space limited to 8 GiB)."""
        r = cli('bench', '--model', MODEL, '--weights', WEIGHTS, '--batch', '1000000', '--runs', '1', limit=True)
        self.assertEqual(r.returncode, 1, (r.returncode, r.stderr))
        self.assertIn('out of memory', r.stderr)

    @need_weights
    def test_huge_run_is_an_error(self):
        """N = 2^31 - 1: the input's size is checked before anything is allocated."""
        with tempfile.TemporaryDirectory() as tmp:
            x = Path(tmp) / 'x.f32'
            x.write_bytes(bytes(3 * 224 * 224 * 4))
            r = cli('run', '--model', MODEL, '--weights', WEIGHTS, '--input', str(x), '--output', str(x) + '.out',
                    '--shape', '2147483647,3,224,224', limit=True)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn('expected exactly 323256418415616 float32 values', r.stderr)
            self.assertFalse(Path(str(x) + '.out').exists())


class Files(unittest.TestCase):
    @need_weights
    def test_named_labels_must_be_usable(self):
        """--labels (or $VGS_LABELS) names a file the user wants: if it cannot be used that is an
        error; only the default file falls back to class ids with a warning."""
        if not SHARED:
            self.skipTest('no ../shared photos')
        photo = str(Path(SHARED) / 'images' / 'chelsea.png')
        with tempfile.TemporaryDirectory() as tmp:
            short = Path(tmp) / 'three.txt'
            short.write_text('a\nb\nc\n')
            for labels, words in [(str(Path(tmp) / 'none.txt'), 'No such file or directory'),
                                  (tmp, 'Is a directory'), (str(short), 'has 3 lines, the model 1000 classes')]:
                r = cli('classify', '--model', MODEL, '--weights', WEIGHTS, '--labels', labels, photo)
                self.assertEqual(r.returncode, 1, (labels, r.stderr))
                self.assertIn(f'vggshuffle classify: labels {labels}', r.stderr)
                self.assertIn(words, r.stderr)
                self.assertEqual(r.stdout, '', labels)
            env = dict(os.environ, VGS_LABELS=str(short))
            r = subprocess.run([CLI, 'classify', '--model', MODEL, '--weights', WEIGHTS, photo], capture_output=True,
                               text=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn('has 3 lines', r.stderr)

    @need_weights
    def test_run_input_is_a_directory(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = cli('run', '--model', MODEL, '--weights', WEIGHTS, '--input', tmp, '--output', tmp + '/y.f32',
                    '--shape', '1,3,224,224')
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(f'vggshuffle run: {tmp}: Is a directory', r.stderr)
            self.assertFalse(Path(tmp, 'y.f32').exists())


class Threads(unittest.TestCase):
    def test_thread_counts_checked(self):
        for v in ('0', '-1', '257', 'x'):
            r = cli('bench', '--model=m', '--weights=w', f'--threads={v}')
            self.assertEqual(r.returncode, 2, (v, r.stderr))
            self.assertIn(f"--threads: '{v}' is not an integer from 1 to 256", r.stderr)
        r = cli('bench', '--model=m', '--weights=w', '--layers=1')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn('--layers takes no value', r.stderr)

    @need_weights
    def test_run_is_the_same_on_any_thread_count(self):
        """The runtime's contract through the CLI: the logits' bytes do not depend on --threads."""
        with tempfile.TemporaryDirectory() as tmp:
            x = Path(tmp) / 'x.f32'
            x.write_bytes(bytes((i * 2654435761) % 251 for i in range(3 * 3 * 224 * 224 * 4)))
            out = []
            for t in ('1', '2', '3'):
                y = Path(tmp) / f'y{t}.f32'
                r = cli('run', '--model', MODEL, '--weights', WEIGHTS, '--input', str(x), '--output', str(y),
                        '--shape', '3,3,224,224', '--threads', t)
                self.assertEqual(r.returncode, 0, r.stderr)
                out.append(y.read_bytes())
            self.assertEqual(len(out[0]), 3 * 1000 * 4)
            self.assertEqual(out[0], out[1])
            self.assertEqual(out[0], out[2])

    @need_weights
    def test_bench_layers_json(self):
        import json
        r = cli('bench', '--model', MODEL, '--weights', WEIGHTS, '--runs', '2', '--batch', '2', '--threads', '2',
                '--layers', '--json')
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        layers, summary = rows[:-1], rows[-1]
        self.assertEqual(len(layers), 54)  # stem + max-pool (fused on 2 threads), 3 x 4 + 13 x 3 unit layers, global pool, linear
        self.assertEqual([layers[0]['name'], layers[-1]['name']], ['first_conv.0+maxpool', 'classifier.0'])
        self.assertEqual(layers[-1]['shape'], [2, 1000, 1, 1])
        for row in layers:
            self.assertGreater(row['flops'], 0, row)
            self.assertGreaterEqual(row['ms'], 0, row)
            self.assertTrue(row['kernel'].startswith('vgs_f32_'), row)
        self.assertEqual((summary['threads'], summary['batch'], summary['runs']), (2, 2, 2))
        r = cli('bench', '--model', MODEL, '--weights', WEIGHTS, '--runs', '1', '--layers')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('per layer (median of 1 passes', r.stdout)
        self.assertIn('features.15.branch_main_2.0', r.stdout)

    @need_weights
    def test_bench_plot(self):
        """--plot writes a well-formed SVG roofline: one point per layer with the layer named in its
        tooltip, the two roofs; the table and the plot can come from the same run."""
        import xml.etree.ElementTree as ET
        ns = '{http://www.w3.org/2000/svg}'
        with tempfile.TemporaryDirectory() as tmp:
            svg = Path(tmp) / 'roof.svg'
            r = cli('bench', '--model', MODEL, '--weights', WEIGHTS, '--runs', '2', '--threads', '1', f'--plot={svg}')
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f'roofline written to {svg}', r.stdout)
            root = ET.parse(svg).getroot()
            self.assertEqual(root.tag, ns + 'svg')
            points = [g for g in root.iter(ns + 'g') if g.get('class') == 'layer']
            self.assertEqual(len(points), 55)  # 1 thread: the stem and its max-pool apart
            titles = [g.find(ns + 'title').text for g in points]
            self.assertTrue(titles[0].startswith('#0 first_conv.0 (conv3x3)'), titles[0])
            self.assertTrue(titles[-1].startswith('#54 classifier.0 (linear)'), titles[-1])
            for g in points:
                c = g.find(ns + 'circle')
                self.assertTrue(80 <= float(c.get('cx')) <= 760 and 60 <= float(c.get('cy')) <= 570, ET.tostring(c))
            self.assertEqual(len(list(root.iter(ns + 'polyline'))), 1)  # the roofs
            text = ' '.join(t.text or '' for t in root.iter(ns + 'text'))
            self.assertIn('FMA peak', text)
            self.assertIn('read bandwidth', text)
            r = cli('bench', '--model', MODEL, '--weights', WEIGHTS, '--runs', '1', '--layers', '--plot', str(svg))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('per layer (median of 1 passes', r.stdout)
            ET.parse(svg)

    def test_bench_plot_bad_path(self):
        """A path that cannot be written is a clear error before any work, and leaves no file."""
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / 'no such dir' / 'roof.svg'
            r = cli('bench', '--model', MODEL, '--weights', WEIGHTS or 'w.safetensors', '--plot', str(bad))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(f'--plot {bad}: cannot write: No such file or directory', r.stderr)
            self.assertFalse(bad.exists())
            out = Path(tmp) / 'roof.svg'  # a net that cannot be made: no picture left behind
            r = cli('bench', '--model', MODEL, '--weights', str(Path(tmp) / 'missing.safetensors'), '--plot', str(out))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertFalse(out.exists())
        r = cli('classify', '--model', MODEL, '--weights', 'w', '--plot', 'x.svg', 'img.png')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn('unknown option --plot', r.stderr)

    @need_weights
    def test_fc_weights(self):
        """--fc-weights bf16 and f16 change the logits a little (the classifier's weights rounded), f16
        less than bf16 (3 more mantissa bits), f32 is the default, anything else is an error."""
        import array
        with tempfile.TemporaryDirectory() as tmp:
            x = Path(tmp) / 'x.f32'
            x.write_bytes(array.array('f', [((i * 7919) % 255) / 255.0 - 0.5 for i in range(3 * 224 * 224)]).tobytes())
            ys = {}
            for mode in ('default', 'f32', 'bf16', 'f16'):
                y = Path(tmp) / f'{mode}.f32'
                extra = [] if mode == 'default' else ['--fc-weights', mode]
                r = cli('run', '--model', MODEL, '--weights', WEIGHTS, '--input', str(x), '--shape', '1,3,224,224',
                        '--output', str(y), *extra)
                self.assertEqual(r.returncode, 0, r.stderr)
                ys[mode] = array.array('f', y.read_bytes())
            self.assertEqual(ys['default'], ys['f32'])
            self.assertNotEqual(ys['f32'], ys['bf16'])
            big = max(abs(v) for v in ys['f32'])
            worst = max(abs(a - b) for a, b in zip(ys['f32'], ys['bf16']))
            self.assertLess(worst, 0.02 * big)  # bf16 keeps ~3 digits of each weight
            self.assertNotEqual(ys['f32'], ys['f16'])
            worst16 = max(abs(a - b) for a, b in zip(ys['f32'], ys['f16']))
            self.assertLess(worst16, worst)  # 2^-11 relative per weight instead of 2^-8
        r = cli('bench', '--model', MODEL, '--weights', WEIGHTS, '--fc-weights', 'fp8')
        self.assertEqual(r.returncode, 2, r.stderr)  # a usage error, before any file is read
        self.assertIn('vggshuffle bench: --fc-weights fp8: f32, bf16 or f16', r.stderr)


def main():
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
