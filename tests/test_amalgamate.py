#!/usr/bin/env python3
"""Tests of tools/amalgamate.py on small made-up trees (standard library only).

What vggshuffle.h relies on: a file without include guard is inlined at every place it is
included; a quoted include is resolved relative to the including file; includes in comments
and system includes are left alone; an unresolvable include, one outside the tree or a cycle
is an error that writes nothing; the output and the depfile do not depend on where the tree
is or where the tool runs from.  (tests/single_header.sh checks the real header.)

Run: python3 tests/test_amalgamate.py
"""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / 'tools' / 'amalgamate.py'


def amalgamate(top, out, *extra, cwd=None):
    return subprocess.run([sys.executable, str(TOOL), str(top), str(out), *extra], capture_output=True,
                          text=True, cwd=cwd)


def make_tree(root, files):
    for name, text in files.items():
        path = Path(root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


TREE = {
    'top.h': '/* top: #include "not/this.h" in a comment */\n'
             '#include <stdio.h>\n'
             '#include "arch/a/a.h"\n'
             '#include "arch/b/b.h" /* trailing comment kept */\n'
             '// #include "nor/this.h"\n'
             '/* a comment\n'
             '#include "still/a/comment.h"\n'
             '*/\n'
             'const char *s = "#include \\"in a string\\"";\n'
             '  #  include "nets/net.h"\n',
    'arch/a/a.h': '#define ISA a\n#include "vec.h"\n#include "../body.h"\n',
    'arch/a/vec.h': 'int vec_a;\n',
    'arch/b/b.h': '#define ISA b\n#include "vec.h"\n#include "../body.h"\n',
    'arch/b/vec.h': 'int vec_b;',  # no final newline
    'arch/body.h': '/* no include guard: once per ISA */\n#include "../kernels/k.h"\nbody(ISA);\n',
    'kernels/k.h': 'kernel(ISA);\n',
    'nets/net.h': 'net();\n',
}


class Amalgamate(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        make_tree(self.dir / 'src', TREE)

    def tearDown(self):
        self.tmp.cleanup()

    def run_ok(self, top=None, out=None, *extra, cwd=None):
        out = out or self.dir / 'out.h'
        r = amalgamate(top or self.dir / 'src' / 'top.h', out, *extra, cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        return (Path(cwd or '.') / out).read_text()

    def test_inlines_every_occurrence_relative_to_the_includer(self):
        text = self.run_ok()
        self.assertEqual(text.count('kernel(ISA);\n'), 2)  # kernels/k.h once per ISA
        self.assertEqual(text.count('body(ISA);\n'), 2)
        self.assertIn('int vec_a;\n', text)  # arch/a/vec.h for arch/a/a.h ...
        self.assertIn('int vec_b;\n/* ==== end arch/b/vec.h ==== */\n', text)  # ... and a final newline added
        self.assertIn('net();\n', text)  # any folder, spaces in the directive
        for name in ('arch/a/a.h', 'arch/b/b.h', 'arch/body.h', 'kernels/k.h', 'nets/net.h'):
            self.assertEqual(text.count(f'/* ==== begin {name} ==== */\n'),
                             text.count(f'/* ==== end {name} ==== */'), name)
        self.assertEqual(text.count('/* ==== begin kernels/k.h ==== */\n'), 2)
        self.assertIn('/* ==== end arch/b/b.h ==== */ /* trailing comment kept */\n', text)
        order = [text.index(s) for s in ('int vec_a', 'body(ISA)', 'int vec_b', 'net()')]
        self.assertEqual(order, sorted(order))

    def test_leaves_comments_strings_and_system_includes(self):
        text = self.run_ok()
        for kept in ('/* top: #include "not/this.h" in a comment */\n', '#include <stdio.h>\n',
                     '// #include "nor/this.h"\n', '#include "still/a/comment.h"\n',
                     'const char *s = "#include \\"in a string\\"";\n'):
            self.assertIn(kept, text)
        self.assertEqual(text.count('#include "'), 3)  # only those in the comments

    def test_reproducible_anywhere(self):
        first = self.run_ok(out=self.dir / 'a.h', cwd='/')
        os.rename(self.dir / 'src', self.dir / 'elsewhere')
        second = self.run_ok(Path('elsewhere') / 'top.h', 'b.h', cwd=self.dir)
        self.assertEqual(first, second)
        self.assertNotIn(str(self.dir), first)

    def test_depfile(self):
        self.run_ok(None, self.dir / 'out.h', '--depfile', str(self.dir / 'out.d'))
        dep = (self.dir / 'out.d').read_text()
        self.assertTrue(dep.startswith(f'{self.dir / "out.h"}: '), dep)
        for name in TREE:
            self.assertIn(str((self.dir / 'src' / name).resolve()), dep)

    def test_errors_write_nothing(self):
        cases = {
            'missing': ('#include "nope.h"\n', 'top.h:1: #include "nope.h": no such file'),
            'outside': ('#include "../outside.h"\n', 'is outside'),
            'cycle': ('#include "cycle.h"\n', 'include cycle: top.h -> cycle.h -> top.h'),
        }
        (self.dir / 'outside.h').write_text('x\n')
        for name, (top, words) in cases.items():
            src = self.dir / name
            make_tree(src, {'top.h': top, 'cycle.h': '#include "top.h"\n'})
            out = self.dir / f'{name}.out.h'
            r = amalgamate(src / 'top.h', out)
            self.assertEqual(r.returncode, 1, name)
            self.assertIn(words, r.stderr, name)
            self.assertFalse(out.exists(), name)
            self.assertEqual([p.name for p in self.dir.glob(f'{name}.out.h*')], [], name)


if __name__ == '__main__':
    program = unittest.main(exit=False, verbosity=2)
    sys.exit(0 if program.result.wasSuccessful() else 1)
