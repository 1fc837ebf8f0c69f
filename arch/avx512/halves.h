/* arch/avx512/halves.h — the AVX-512 tier's kernel table for processors that execute each
 * 512-bit operation as two 256-bit halves (AMD Zen 4: vgs_x86_avx512_halves).  There a 512-bit
 * multiply-add brings no more FLOPs a cycle than two 256-bit ones (both tiers' fma_peak:
 * 117 GFLOP/s a core), and shuffles, masked and horizontal operations cost more at 16 lanes;
 * the AVX-512 kernels pay only where they save instructions (masked tails, fewer loop trips).
 * This table is vgs__kernels__avx512 with the shapes where a kernel measured slower than the
 * AVX2 tier's handed to that kernel whole: a choice by shape, made per call, not per tier.
 *
 * Measured on a 2-core AMD EPYC (Zen 4, family 19h) KVM guest, build/bench/bench_tiers (31
 * interleaved rounds in one process, the runtime's calls: blocks of channels as it makes
 * them), AVX-512 / AVX2 time, the median per-round ratio; (=) outputs bit-identical between the
 * tiers, (~) summed in another order:
 *  - dwconv3x3 stride 1 (=): planes read flat (flat3x3.h, up to 1024 pixels) 0.71-0.97 on 18x18
 *    .. 32x32 (the nets' 28x28 0.82-0.87), but 12x12 .. 16x16 1.12-1.25 and the nets' 14x14
 *    1.10-1.29 and 7x7 1.09-1.11; the row walk (window3x3.h, planes past 1024 pixels) 56x56
 *    1.31.  So: AVX2 for planes of at most 256 pixels or more than 1024.  Again after the flat
 *    kernel's set-up was made cheaper (stop 26, `VGS_AVX512_HALVES=0 bench_tiers 21 dwconv3x3s1`):
 *    18x18 .. 32x32 0.60-0.89, the nets' 28x28 0.72-0.74; 12x12 0.93, 16x16 1.04, the nets' 14x14
 *    1.02-1.15 and 7x7 1.06-1.10; 56x56 1.37: the same rule (no net has 12x12 planes).
 *  - dwconv3x3, max- and average pooling 3x3 at stride 2 (=): rows read where they are
 *    (VGS_FLAT_S2: 23 input columns or more) 0.39-0.83, every narrower plane through the lanes
 *    path (lanes3x3.h) 1.03-1.24 (dwconv 12x12 .. 22x22, 28x14 .. 28x18, the nets' 14x14
 *    1.10-1.24; max-pooling 7x7 .. 22x22 1.06-1.14; average pooling 1.00-1.18).  So: AVX2
 *    for inputs narrower than 23 columns.
 *  - maxpool2x2 (=): 1.37 on 56x56 and 1.51 on 60x60 (rows of 28 and 30 outputs: one vector
 *    and 12 or 14 columns one by one, where AVX2 has three and 4 or 6), 0.90-0.92 on 32x32 and
 *    64x64 (whole vectors).  So: AVX2 where a row's outputs past its 16-lane vectors are 8 or
 *    more (it has one more vector there).
 *  - global average pooling (~): 1.05-1.12 on every plane up to 32x32 (the nets' 7x7 1.09),
 *    0.98 on 56x56.  So: AVX2 below 2048 pixels.
 *  - fc (~): 1.03-1.14 with 192 .. 960 inputs, 0.95-0.98 with 1024 .. 25088.  So: AVX2 below
 *    1024 inputs, for the bf16 and f16 weights too (each keeps its bit-identity to fc on its
 *    widened weights, which holds within a tier).
 *  - conv3x3s1p1 (=) on few input channels (VGG's first layer, 3 -> 64 at 224x224): 1.05-1.12
 *    in bench_tiers (three runs of `bench_tiers 41 VGG`), 1.07-1.10 in the net (its layer 0 in
 *    `vggshuffle bench --model vgg16 --layers --threads 1`, VGS_ISA=avx2 and avx512 in turn,
 *    three pairs); with 16 or 64 input channels (VGG with `--conv3x3 direct`) 0.78-0.96 in a
 *    harness.  So: AVX2 for at most 4 input channels.
 * Everything else stays AVX-512 (GEMM, Winograd, the stride-2 stem convolution, softmax:
 * level or faster, bench_kernels / bench_tiers / bench_winograd).  Which tier computes a call
 * is a matter of speed only for the (=) kernels; the (~) ones give the AVX2 tier's sums,
 * within the same tolerances.  After these rules bench_tiers' 218 rows on that machine: the
 * highest paired ratio 1.021 (a probe), none above 1.05. */

#define VGS__H512_PX_LO 256   /* dwconv3x3s1: planes of at most this many pixels to AVX2 */
#define VGS__H512_PX_HI 1024  /* ... and of more (the row walk; VGS_FLAT_PX) */
#define VGS__H512_S2_W 23     /* stride 2: inputs narrower than this to AVX2 (!VGS_FLAT_S2) */
#define VGS__H512_GAVG_PX 2048 /* global average pool: planes below this to AVX2 */
#define VGS__H512_FC_K 1024   /* fc: fewer inputs than this to AVX2 */
#define VGS__H512_CONV_CIN 4  /* conv3x3s1p1: at most this many input channels to AVX2 */
#define VGS__H512_STR2(x) #x
#define VGS__H512_STR(x) VGS__H512_STR2(x)

static void vgs_f32_conv3x3s1p1__avx512h(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                         size_t x_cstride, const float *k, const float *bias, float *y,
                                         size_t y_cstride, float out_min, float out_max, size_t oy0, size_t oy1)
{
    (cin <= VGS__H512_CONV_CIN ? vgs_f32_conv3x3s1p1__avx2 : vgs_f32_conv3x3s1p1__avx512)(
        cin, cout, h, w, x, x_cstride, k, bias, y, y_cstride, out_min, out_max, oy0, oy1);
}

static void vgs_f32_dwconv3x3s1p1__avx512h(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                           const float *k, const float *bias, float *y, size_t y_cstride,
                                           const int32_t *y_index, float out_min, float out_max)
{
    const size_t px = h * w;
    (px <= VGS__H512_PX_LO || px > VGS__H512_PX_HI ? vgs_f32_dwconv3x3s1p1__avx2 : vgs_f32_dwconv3x3s1p1__avx512)(
        c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
}

static void vgs_f32_dwconv3x3s2p1__avx512h(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                           const float *k, const float *bias, float *y, size_t y_cstride,
                                           const int32_t *y_index, float out_min, float out_max)
{
    (w < VGS__H512_S2_W ? vgs_f32_dwconv3x3s2p1__avx2 : vgs_f32_dwconv3x3s2p1__avx512)(
        c, h, w, x, x_cstride, k, bias, y, y_cstride, y_index, out_min, out_max);
}

static void vgs_f32_maxpool3x3s2p1__avx512h(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                            float *y, size_t y_cstride)
{
    (w < VGS__H512_S2_W ? vgs_f32_maxpool3x3s2p1__avx2 : vgs_f32_maxpool3x3s2p1__avx512)(c, h, w, x, x_cstride, y,
                                                                                         y_cstride);
}

static void vgs_f32_avgpool3x3s2p1__avx512h(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                                            float *y, size_t y_cstride)
{
    (w < VGS__H512_S2_W ? vgs_f32_avgpool3x3s2p1__avx2 : vgs_f32_avgpool3x3s2p1__avx512)(c, h, w, x, x_cstride, y,
                                                                                         y_cstride);
}

static void vgs_f32_maxpool2x2s2__avx512h(size_t c, size_t h, size_t w, const float *x, size_t x_cstride, float *y,
                                          size_t y_cstride)
{
    (w / 2 % 16 >= 8 ? vgs_f32_maxpool2x2s2__avx2 : vgs_f32_maxpool2x2s2__avx512)(c, h, w, x, x_cstride, y,
                                                                                  y_cstride);
}

static void vgs_f32_gavgpool__avx512h(size_t c, size_t hw, const float *x, size_t x_cstride, float *y)
{
    (hw < VGS__H512_GAVG_PX ? vgs_f32_gavgpool__avx2 : vgs_f32_gavgpool__avx512)(c, hw, x, x_cstride, y);
}

static void vgs_f32_fc__avx512h(size_t n, size_t k, const float *w, const float *bias, size_t batch, const float *x,
                                size_t x_stride, float *y, size_t y_stride, float out_min, float out_max)
{
    (k < VGS__H512_FC_K ? vgs_f32_fc__avx2 : vgs_f32_fc__avx512)(n, k, w, bias, batch, x, x_stride, y, y_stride,
                                                                 out_min, out_max);
}

static void vgs_f32_fc_bf16w__avx512h(size_t n, size_t k, const uint16_t *w, const float *bias, size_t batch,
                                      const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
                                      float out_max)
{
    (k < VGS__H512_FC_K ? vgs_f32_fc_bf16w__avx2 : vgs_f32_fc_bf16w__avx512)(n, k, w, bias, batch, x, x_stride, y,
                                                                             y_stride, out_min, out_max);
}

static void vgs_f32_fc_f16w__avx512h(size_t n, size_t k, const uint16_t *w, const float *bias, size_t batch,
                                     const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
                                     float out_max)
{
    (k < VGS__H512_FC_K ? vgs_f32_fc_f16w__avx2 : vgs_f32_fc_f16w__avx512)(n, k, w, bias, batch, x, x_stride, y,
                                                                           y_stride, out_min, out_max);
}

static const vgs_kernels vgs__kernels__avx512h = {
    VGS_ISA_AVX512,
    16,
    VGS__H512_STR(VGS__AVX512_GEMM),
    VGS__AVX512_GEMM,
    vgs_f32_conv3x3s1p1__avx512h,
    vgs_f32_conv3x3s2p1__avx512,
    vgs_f32_dwconv3x3s1p1__avx512h,
    vgs_f32_dwconv3x3s2p1__avx512h,
    vgs_f32_maxpool3x3s2p1__avx512h,
    vgs_f32_avgpool3x3s2p1__avx512h,
    vgs_f32_gavgpool__avx512h,
    vgs_f32_fc__avx512h,
    vgs_f32_softmax__avx512,
    vgs_f32_fma_peak__avx512,
    vgs_f32_winograd3x3_f23__avx512,
    vgs_f32_winograd3x3_f43__avx512,
    vgs_f32_winograd3x3_f63__avx512,
    vgs_f32_maxpool2x2s2__avx512h,
    vgs_f32_adaptive_avgpool__avx512,
    vgs_f32_fc_bf16w__avx512h,
    vgs_f32_fc_f16w__avx512h,
    vgs_f32_gemm_pack_b__avx512,
    vgs_f32_gemm_packed__avx512,
};

#undef VGS__H512_PX_LO
#undef VGS__H512_PX_HI
#undef VGS__H512_S2_W
#undef VGS__H512_GAVG_PX
#undef VGS__H512_FC_K
#undef VGS__H512_CONV_CIN
#undef VGS__H512_STR2
#undef VGS__H512_STR
#undef VGS__AVX512_GEMM
