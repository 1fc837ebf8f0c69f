/* tests/ref.h — fp64 reference implementations of the vgs_kernels contracts (vggshuffle.h,
 * "KERNELS (advanced)").  Straight loops from the definitions, computed in double from the
 * same fp32 inputs the kernels get.  Each reference also returns, per output element, the
 * accumulated magnitude (sum of |terms|) that the tolerances in check_kernels.c are built on.
 *
 * Outputs are dense (row-major, no gaps) whatever the strides of the kernel's output. */
#ifndef VGS_TESTS_REF_H
#define VGS_TESTS_REF_H

#include <math.h>
#include <stddef.h>

static double ref_clamp(double v, double lo, double hi)
{
    /* clamp(v) = min(max(v, out_min), out_max); out_min = -inf / out_max = +inf: no-op. */
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return v;
}

/* c[i][j] = clamp(bias[i] + sum_p a[i*a_stride + p] * b[p*b_stride + j] + r[i*r_stride + j])
 * out, mag: m*n dense.  mag = sum_p |a*b| + |bias| + |r|. */
static void ref_gemm(size_t m, size_t n, size_t k, const float *a, size_t a_stride,
                     const float *b, size_t b_stride, const float *bias, const float *r,
                     size_t r_stride, double out_min, double out_max, double *out, double *mag)
{
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0.0, g = 0.0;
            if (bias) {
                s += (double)bias[i];
                g += fabs((double)bias[i]);
            }
            for (size_t p = 0; p < k; p++) {
                double t = (double)a[i * a_stride + p] * (double)b[p * b_stride + j];
                s += t;
                g += fabs(t);
            }
            if (r) {
                s += (double)r[i * r_stride + j];
                g += fabs((double)r[i * r_stride + j]);
            }
            out[i * n + j] = ref_clamp(s, out_min, out_max);
            mag[i * n + j] = g;
        }
    }
}

/* Direct 3x3 convolution, zero padding 1, stride S of cin planes into one plane:
 * y[oy][ox] = clamp(bias + sum_{i,ky,kx} k[i*9+ky*3+kx] * x_i[S*oy+ky-1][S*ox+kx-1]).
 * S = 1: oh = h, ow = w.  S = 2: oh = (h+1)/2, ow = (w+1)/2.  out, mag: oh*ow dense. */
static void ref_conv3x3(size_t S, size_t cin, size_t h, size_t w, const float *x,
                        size_t x_cstride, const float *k, float bias, double out_min,
                        double out_max, double *out, double *mag)
{
    size_t oh = S == 1 ? h : (h + 1) / 2;
    size_t ow = S == 1 ? w : (w + 1) / 2;
    for (size_t oy = 0; oy < oh; oy++) {
        for (size_t ox = 0; ox < ow; ox++) {
            double s = (double)bias, g = fabs((double)bias);
            for (size_t i = 0; i < cin; i++) {
                for (size_t ky = 0; ky < 3; ky++) {
                    for (size_t kx = 0; kx < 3; kx++) {
                        long iy = (long)(S * oy + ky) - 1, ix = (long)(S * ox + kx) - 1;
                        if (iy < 0 || ix < 0 || iy >= (long)h || ix >= (long)w) continue; /* 0 */
                        double t = (double)k[i * 9 + ky * 3 + kx] *
                                   (double)x[i * x_cstride + (size_t)iy * w + (size_t)ix];
                        s += t;
                        g += fabs(t);
                    }
                }
            }
            out[oy * ow + ox] = ref_clamp(s, out_min, out_max);
            mag[oy * ow + ox] = g;
        }
    }
}

/* 3x3 / stride 2 / pad 1 pooling of c planes into c planes of (h+1)/2 x (w+1)/2.
 * is_max: max over the in-image taps (padding ignored, i.e. -inf), NaN if one is NaN;
 * else:   sum over the in-image taps (padding = 0) divided by 9, always.
 * out, mag: c*oh*ow dense; mag (avg only, may be NULL) = sum of |taps| / 9. */
static void ref_pool3x3s2p1(int is_max, size_t c, size_t h, size_t w, const float *x,
                            size_t x_cstride, double *out, double *mag)
{
    size_t oh = (h + 1) / 2, ow = (w + 1) / 2;
    for (size_t ch = 0; ch < c; ch++) {
        for (size_t oy = 0; oy < oh; oy++) {
            for (size_t ox = 0; ox < ow; ox++) {
                double s = is_max ? -INFINITY : 0.0, g = 0.0;
                for (size_t ky = 0; ky < 3; ky++) {
                    for (size_t kx = 0; kx < 3; kx++) {
                        long iy = (long)(2 * oy + ky) - 1, ix = (long)(2 * ox + kx) - 1;
                        if (iy < 0 || ix < 0 || iy >= (long)h || ix >= (long)w) continue;
                        double v = (double)x[ch * x_cstride + (size_t)iy * w + (size_t)ix];
                        if (is_max) {
                            if (v > s || v != v) s = v; /* a NaN stays (vggshuffle.h: NaN rules) */
                        } else {
                            s += v;
                            g += fabs(v);
                        }
                    }
                }
                size_t o = (ch * oh + oy) * ow + ox;
                out[o] = is_max ? s : s / 9.0;
                if (mag) mag[o] = g / 9.0;
            }
        }
    }
}

/* y[i] = mean of the hw floats at x + i*x_cstride.  mag[i] = mean of |x|. */
static void ref_global_avgpool(size_t c, size_t hw, const float *x, size_t x_cstride,
                               double *out, double *mag)
{
    for (size_t i = 0; i < c; i++) {
        double s = 0.0, g = 0.0;
        for (size_t p = 0; p < hw; p++) {
            s += (double)x[i * x_cstride + p];
            g += fabs((double)x[i * x_cstride + p]);
        }
        out[i] = s / (double)hw;
        mag[i] = g / (double)hw;
    }
}

/* y[o] = bias[o] + sum_p w[o*k + p] * x[p].  mag[o] = |bias[o]| + sum |w x|. */
static void ref_fc(size_t n, size_t k, const float *w, const float *bias, const float *x,
                   double *out, double *mag)
{
    for (size_t o = 0; o < n; o++) {
        double s = bias ? (double)bias[o] : 0.0, g = fabs(s);
        for (size_t p = 0; p < k; p++) {
            double t = (double)w[o * k + p] * (double)x[p];
            s += t;
            g += fabs(t);
        }
        out[o] = s;
        mag[o] = g;
    }
}

/* y = exp(x - max) / sum.  d[i] = x[i] - max (exact in double; <= 0). */
static void ref_softmax(size_t n, const float *x, double *out, double *d)
{
    double mx = -INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++)
        if ((double)x[i] > mx) mx = (double)x[i];
    for (size_t i = 0; i < n; i++) {
        d[i] = (double)x[i] - mx;
        out[i] = exp(d[i]);
        s += out[i];
    }
    for (size_t i = 0; i < n; i++) out[i] /= s;
}

#endif /* VGS_TESTS_REF_H */
