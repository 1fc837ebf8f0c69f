#!/usr/bin/env python3
"""tools/gen_winograd.py — writes kernels/winograd3x3_gen.h: the Winograd F(m,3) transform
matrices (m = 2, 4, 6) and their 1D transforms as straight-line vector code.  Python standard
library only (exact rational arithmetic with fractions.Fraction).

    python3 tools/gen_winograd.py > kernels/winograd3x3_gen.h

Construction (Toom-Cook; Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
Networks"; the points of Barabasz et al. 2020, "Error analysis and improving the accuracy of
Winograd convolution for deep neural networks"): alpha = m + 2 points, alpha - 1 finite ones
p_j and infinity.  With M(x) = prod_l (x - p_l), M_j(x) = M(x) / (x - p_j), N_j = M_j(p_j):
  A^T (m x alpha):     A^T[i][j] = p_j^i,          infinity column: e_{m-1}
  G   (alpha x 3):     G[j][k]   = p_j^k / N_j,    infinity row:    e_2
  B^T (alpha x alpha): B^T[j][n] = [x^n] M_j(x),   infinity row:    [x^n] M(x)
so that for every d (alpha) and g (3):  A^T ((G g) . (B^T d)) = the correlation
y_i = sum_k g_k d_{i+k}, i < m.  Each row of B^T (and the matching row of G, by the inverse
factor) is scaled by +-1 so that its first non-zero entry is positive.  Every entry of A^T
and B^T is a dyadic rational (exact in fp32: the points are 0, +-1, +-2, +-1/2); G's are not
and are applied only at weight-transform time, in double.
"""
import sys
from fractions import Fraction as F

POINTS = {
    2: [F(0), F(1), F(-1)],
    4: [F(0), F(1), F(-1), F(2), F(-2)],
    6: [F(0), F(1), F(-1), F(2), F(-2), F(1, 2), F(-1, 2)],
}
R = 3


def poly_mul(a, b):
    out = [F(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def poly_from_roots(roots):
    p = [F(1)]
    for r in roots:
        p = poly_mul(p, [-r, F(1)])  # (x - r), ascending coefficients
    return p


def matrices(m):
    pts = POINTS[m]
    alpha = m + R - 1
    assert len(pts) == alpha - 1
    at = [[pts[j] ** i for j in range(alpha - 1)] + [F(1) if i == m - 1 else F(0)] for i in range(m)]
    g, bt = [], []
    for j, p in enumerate(pts):
        mj = poly_from_roots([q for l, q in enumerate(pts) if l != j])
        nj = sum(c * p ** n for n, c in enumerate(mj))
        row = mj + [F(0)] * (alpha - len(mj))
        s = 1 if next(c for c in row if c != 0) > 0 else -1
        bt.append([s * c for c in row])
        g.append([s * p ** k / nj for k in range(R)])
    mall = poly_from_roots(pts)
    s = 1 if next(c for c in mall if c != 0) > 0 else -1
    bt.append([s * c for c in mall])
    g.append([F(s) if k == R - 1 else F(0) for k in range(R)])
    return at, g, bt


def check(m, at, g, bt):
    """Exact identity on the basis: A^T((G e_k) . (B^T e_n)) = correlation of e_n with e_k."""
    alpha = m + R - 1
    for k in range(R):
        for n in range(alpha):
            y = [sum(at[i][j] * g[j][k] * bt[j][n] for j in range(alpha)) for i in range(m)]
            want = [F(1) if n == i + k else F(0) for i in range(m)]
            assert y == want, (m, k, n, y, want)


def is_dyadic(f):
    d = f.denominator
    return d & (d - 1) == 0


def c_float(f):
    assert is_dyadic(f)
    v = float(f)
    assert F(v) == f
    s = repr(v)
    return s + "f"


def c_double(f):
    # 17 significant digits: the double nearest to f round-trips.
    return "%.17g" % (f.numerator / f.denominator) if not is_dyadic(f) else repr(float(f))


def emit_table(name, mat):
    rows = len(mat)
    cols = len(mat[0])
    out = ["static const double %s[%d] = {" % (name, rows * cols)]
    for r in mat:
        out.append("    " + ", ".join(c_double(c) for c in r) + ",")
    out.append("};")
    return out


def sum_expr(terms):
    """Left-to-right sum of (coefficient, operand) terms as vector code."""
    expr = None
    for c, dn in terms:
        if c == 0:
            continue
        if expr is None:
            if c == 1:
                expr = dn
            elif c == -1:
                expr = "vgs_v_sub(vgs_v_zero(), %s)" % dn
            else:
                expr = "vgs_v_mul(vgs_v_set1(%s), %s)" % (c_float(c), dn)
        elif c == 1:
            expr = "vgs_v_add(%s, %s)" % (expr, dn)
        elif c == -1:
            expr = "vgs_v_sub(%s, %s)" % (expr, dn)
        else:
            expr = "vgs_v_fma(vgs_v_set1(%s), %s, %s)" % (c_float(c), dn, expr)
    return expr if expr is not None else "vgs_v_zero()"


def emit_bt(name, bt):
    """o = B^T d.  Rows of the points p and -p differ only in the sign of the odd (or even)
    entries: both come from E (even entries of the row of p) and O (odd ones) as E + O and
    E - O (or O - E)."""
    a = len(bt)
    out = ["static inline __attribute__((always_inline)) void VGS_FN(%s)(const vgs_v *d, size_t ds, vgs_v *o, size_t os)" % name, "{"]
    done = set()
    for j in range(a):
        if j in done:
            continue
        row = bt[j]
        twin = None
        for k in range(j + 1, a):
            if k in done:
                continue
            if all(bt[k][n] == (row[n] if n % 2 else -row[n]) for n in range(a)):
                twin, sign = k, "O - E"
            elif all(bt[k][n] == (-row[n] if n % 2 else row[n]) for n in range(a)):
                twin, sign = k, "E - O"
            if twin is not None:
                break
        if twin is None or any(c == 0 for c in [sum(1 for n in range(0, a, 2) if row[n]), sum(1 for n in range(1, a, 2) if row[n])]):
            out.append("    o[%d * os] = %s;" % (j, sum_expr([(row[n], "d[%d * ds]" % n) for n in range(a)])))
            done.add(j)
            continue
        done.update((j, twin))
        out.append("    {")
        out.append("        const vgs_v e = %s;" % sum_expr([(row[n], "d[%d * ds]" % n) for n in range(0, a, 2)]))
        out.append("        const vgs_v q = %s;" % sum_expr([(row[n], "d[%d * ds]" % n) for n in range(1, a, 2)]))
        out.append("        o[%d * os] = vgs_v_add(e, q);" % j)
        out.append("        o[%d * os] = %s;" % (twin, "vgs_v_sub(q, e)" if sign == "O - E" else "vgs_v_sub(e, q)"))
        out.append("    }")
    out.append("}")
    return out


def emit_at(name, at):
    """o = A^T d.  Columns of the points p and -p: p^i d_p + (-p)^i d_-p = p^i (d_p + d_-p)
    for even i, p^i (d_p - d_-p) for odd i: the sum and difference of each pair are formed
    once."""
    m, a = len(at), len(at[0])
    out = ["static inline __attribute__((always_inline)) void VGS_FN(%s)(const vgs_v *d, size_t ds, vgs_v *o, size_t os)" % name, "{"]
    pair_of = {}
    for j in range(a):
        for k in range(j + 1, a):
            if j in pair_of or k in pair_of:
                continue
            if at[1][j] != 0 and all(at[i][k] == (at[i][j] if i % 2 == 0 else -at[i][j]) for i in range(m)):
                pair_of[j], pair_of[k] = k, j
    for j in sorted(pair_of):
        k = pair_of[j]
        if j < k:
            out.append("    const vgs_v s%d = vgs_v_add(d[%d * ds], d[%d * ds]), t%d = vgs_v_sub(d[%d * ds], d[%d * ds]);" % (j, j, k, j, j, k))
    for i in range(m):
        terms = []
        for j in range(a):
            if j in pair_of:
                if j < pair_of[j]:
                    terms.append((at[i][j], ("s%d" if i % 2 == 0 else "t%d") % j))
            else:
                terms.append((at[i][j], "d[%d * ds]" % j))
        out.append("    o[%d * os] = %s;" % (i, sum_expr(terms)))
    out.append("}")
    return out


def main():
    lines = [
        "/* kernels/winograd3x3_gen.h — GENERATED by tools/gen_winograd.py; do not edit.",
        " * The Winograd F(m,3) matrices (row-major, double) and the 1D transforms of the",
        " * kernels as straight-line vector code: only the non-zero entries, +-1 as add/sub; the",
        " * rows of B^T for p and -p share their even and odd partial sums, the columns of A^T",
        " * for p and -p their sum and difference (every term still passes through at most",
        " * 2 * (non-zeros of its row) roundings per pass, as tests/check_winograd.c's error bound",
        " * assumes).  Points: F(2,3) 0, +-1, inf; F(4,3) 0, +-1, +-2, inf;",
        " * F(6,3) 0, +-1, +-2, +-1/2, inf.  The tables are defined once; the transforms once",
        " * per ISA (VGS_FN). */",
        "",
        "#ifndef VGS__WINOGRAD3X3_TABLES",
        "#define VGS__WINOGRAD3X3_TABLES",
    ]
    mats = {}
    for m in (2, 4, 6):
        at, g, bt = matrices(m)
        check(m, at, g, bt)
        assert all(is_dyadic(c) for r in at + bt for c in r)
        mats[m] = (at, g, bt)
        lines.append("/* F(%d,3), alpha = %d */" % (m, m + 2))
        lines += emit_table("vgs__wino_at_f%d3" % m, at)
        lines += emit_table("vgs__wino_g_f%d3" % m, g)
        lines += emit_table("vgs__wino_bt_f%d3" % m, bt)
    lines.append("#endif")
    lines.append("")
    for m in (2, 4, 6):
        at, g, bt = mats[m]
        lines.append("/* F(%d,3): o = B^T d (alpha -> alpha), o = A^T d (alpha -> m) */" % m)
        lines += emit_bt("vgs__wino_bt_f%d3" % m, bt)
        lines += emit_at("vgs__wino_at_f%d3" % m, at)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
