/* vggshuffle.h — SIMD kernels for CNN inference on CPUs, and the VGG and ShuffleNet
 * networks built from them.  One include, header-only, C99 + a few GCC/Clang extensions.
 *
 * ==========================================================================================
 *  OVERVIEW
 * ==========================================================================================
 *
 *  In ONE C or C++ file of your project:
 *
 *      #define VGS_IMPLEMENTATION
 *      #include "vggshuffle.h"
 *
 *  everywhere else just `#include "vggshuffle.h"`.  Link with `-lsleef -lm -lpthread`.
 *  No `-m` flag is needed: every ISA's code lives in a target-attribute region and a runtime
 *  dispatcher picks the best tier once (scalar, AVX2+FMA, AVX-512 on x86-64; NEON on aarch64).
 *
 *  The implementation is spread over the `kernels/` (one generic body per kernel family) and
 *  `arch/` (one folder per ISA: the vector layer and the instantiation of every family)
 *  folders next to this file; this header includes them, so keep the three together.
 *
 *  Typical use (ShuffleNet V1, real Megvii weights converted by tools/torch2safetensors.py):
 *
 *      vgs_net *net;
 *      if (vgs_net_create("shufflenet_v1_g3_x0_5", "g3.safetensors", NULL, &net) != VGS_OK) {
 *          fprintf(stderr, "%s\n", vgs_last_error());
 *          return 1;
 *      }
 *      float x[3 * 224 * 224], logits[1000];          // NCHW, N = 1
 *      vgs_preprocess_rgb8(rgb, w, h, 3 * w, vgs_net_preprocess(net), x);
 *      vgs_net_forward(net, x, 1, logits, 1000);
 *      vgs_net_destroy(net);
 *
 *  Conventions used throughout:
 *    - Activations are float32 NCHW (batch, channel, row, column), rows contiguous.
 *      Convolution weights are OIHW (out, in / groups, kernel row, kernel column), as in PyTorch.
 *    - Errors are values: every fallible call returns a vgs_status; the text of the last error
 *      of the calling thread is vgs_last_error().  The library never aborts or exits.
 *    - Nothing allocates inside a forward pass.
 *
 * ==========================================================================================
 *  BUILD OPTIONS (define before including, in the implementation file)
 * ==========================================================================================
 *
 *  | macro                | default | meaning                                                  |
 *  |----------------------|---------|----------------------------------------------------------|
 *  | VGS_IMPLEMENTATION   | -       | emit the implementation in this translation unit         |
 *  | VGS_NO_X86_SIMD      | off     | x86-64: compile only the scalar tier (no AVX2/AVX-512)   |
 *  | VGS_NO_AVX512        | off     | x86-64: compile scalar and AVX2 tiers only               |
 *  | VGS_API              | extern  | storage class of every public function (e.g. `static`)   |
 *
 *  Environment variable at run time: VGS_ISA=scalar|avx2|avx512|neon forces a tier
 *  (an unsupported tier makes vgs_isa_current() fall back to the best one and records why
 *  in vgs_last_error(); vgs_isa_force() returns an error instead).
 */
#ifndef VGGSHUFFLE_H
#define VGGSHUFFLE_H

#include <stddef.h>
#include <stdint.h>

#ifndef VGS_API
#define VGS_API extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VGS_VERSION_MAJOR 0
#define VGS_VERSION_MINOR 1
#define VGS_VERSION_PATCH 0
#define VGS_VERSION_STRING "0.1.0"

/* ==========================================================================================
 *  ERRORS
 * ========================================================================================== */

typedef enum vgs_status {
    VGS_OK = 0,
    VGS_ERR_INVALID_ARGUMENT, /* a NULL pointer, a size of zero, a bad option value          */
    VGS_ERR_UNSUPPORTED,      /* valid but not implemented here (an ISA this CPU lacks, ...)  */
    VGS_ERR_IO,               /* a file could not be opened or read                          */
    VGS_ERR_FORMAT,           /* a malformed file (safetensors header, offsets, dtype, ...)  */
    VGS_ERR_SHAPE,            /* a tensor or input has the wrong shape                       */
    VGS_ERR_MISSING_TENSOR,   /* a tensor the network needs is not in the weights            */
    VGS_ERR_UNKNOWN_TENSOR,   /* the weights hold a tensor the network does not use          */
    VGS_ERR_OUT_OF_MEMORY
} vgs_status;

/* Short constant name of a status ("VGS_ERR_SHAPE"). Never NULL. */
VGS_API const char *vgs_status_name(vgs_status status);

/* Message of the last error in the calling thread (thread-local), "" if none yet.
 * Messages name the object at fault, e.g.
 * "weights.safetensors: tensor 'features.0.branch_main_1.0.weight': shape [30,12,1,1], expected [30,24,1,1]". */
VGS_API const char *vgs_last_error(void);

/* ==========================================================================================
 *  RUNTIME DISPATCH
 * ==========================================================================================
 *  x86-64: AVX2 is used only when CPUID reports AVX2 and FMA and XGETBV shows the OS saves
 *  the YMM state (XCR0 bits 1,2); AVX-512 only with AVX512F/BW/DQ/VL and the opmask and ZMM
 *  state enabled (XCR0 bits 5,6,7).  aarch64: NEON (Advanced SIMD is baseline there).
 *  The choice is made once, on first use, thread-safely; VGS_ISA in the environment or
 *  vgs_isa_force() overrides it.                                                            */

typedef enum vgs_isa {
    VGS_ISA_SCALAR = 0,
    VGS_ISA_AVX2,   /* AVX2 + FMA, 256-bit                      */
    VGS_ISA_AVX512, /* AVX-512 F/BW/DQ/VL, 512-bit              */
    VGS_ISA_NEON,   /* aarch64 Advanced SIMD, 128-bit           */
    VGS_ISA_COUNT
} vgs_isa;

/* 1 if this build has the tier compiled in AND this CPU/OS can run it, else 0. */
VGS_API int vgs_isa_supported(vgs_isa isa);
/* The best supported tier (ignores VGS_ISA and vgs_isa_force). */
VGS_API vgs_isa vgs_isa_best(void);
/* The tier kernels run on now: forced one, else VGS_ISA if valid, else the best. */
VGS_API vgs_isa vgs_isa_current(void);
/* Force a tier for the whole process.  Errors: VGS_ERR_UNSUPPORTED if !vgs_isa_supported(isa),
 * VGS_ERR_INVALID_ARGUMENT if isa is out of range.  The current tier is unchanged on error. */
VGS_API vgs_status vgs_isa_force(vgs_isa isa);
/* "scalar", "avx2", "avx512", "neon"; "?" for a value out of range. */
VGS_API const char *vgs_isa_to_string(vgs_isa isa);
/* Name of the current tier: vgs_isa_to_string(vgs_isa_current()). */
VGS_API const char *vgs_isa_name(void);
/* Parse "scalar|avx2|avx512|neon" (case-sensitive). Errors: VGS_ERR_INVALID_ARGUMENT. */
VGS_API vgs_status vgs_isa_parse(const char *name, vgs_isa *out);

/* ==========================================================================================
 *  WEIGHTS (safetensors)
 * ==========================================================================================
 *  Format: https://github.com/huggingface/safetensors — u64 little-endian header length N,
 *  N bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *  "__metadata__": {...}}, then the data; offsets are relative to the end of the header.
 *  Opening validates everything: header length within the file, well-formed JSON, known
 *  dtypes, shape * dtype size == end - begin, offsets inside the data and not overlapping.
 *  A malformed file is VGS_ERR_FORMAT with a message naming the tensor and the problem.     */

typedef enum vgs_dtype {
    VGS_DTYPE_F32 = 0, VGS_DTYPE_F16, VGS_DTYPE_BF16, VGS_DTYPE_F64,
    VGS_DTYPE_I64, VGS_DTYPE_I32, VGS_DTYPE_I16, VGS_DTYPE_I8, VGS_DTYPE_U8, VGS_DTYPE_BOOL
} vgs_dtype;

#define VGS_MAX_DIMS 8

typedef struct vgs_tensor_view {
    const char *name;              /* NUL-terminated, owned by the vgs_weights          */
    vgs_dtype dtype;
    int ndim;                      /* 0..VGS_MAX_DIMS                                    */
    int64_t shape[VGS_MAX_DIMS];
    const void *data;              /* little-endian, row-major, owned by the vgs_weights */
    size_t nbytes;
} vgs_tensor_view;

typedef struct vgs_weights vgs_weights;

/* Read and validate a .safetensors file.  Errors: VGS_ERR_IO (cannot open/read),
 * VGS_ERR_FORMAT (malformed), VGS_ERR_OUT_OF_MEMORY.  *out is NULL on error. */
VGS_API vgs_status vgs_weights_open(const char *path, vgs_weights **out);
/* Same from memory; the bytes are copied.  `label` names the source in messages (may be NULL). */
VGS_API vgs_status vgs_weights_from_memory(const void *bytes, size_t size, const char *label,
                                           vgs_weights **out);
VGS_API void vgs_weights_close(vgs_weights *w); /* NULL is fine */
VGS_API size_t vgs_weights_count(const vgs_weights *w);
/* Tensor by index in file order.  Errors: VGS_ERR_INVALID_ARGUMENT (index out of range). */
VGS_API vgs_status vgs_weights_at(const vgs_weights *w, size_t index, vgs_tensor_view *out);
/* Tensor by name.  Errors: VGS_ERR_MISSING_TENSOR. */
VGS_API vgs_status vgs_weights_find(const vgs_weights *w, const char *name, vgs_tensor_view *out);
/* "F32", "I64", ... */
VGS_API const char *vgs_dtype_name(vgs_dtype dtype);

/* ==========================================================================================
 *  NETWORKS
 * ==========================================================================================
 *  Model names:
 *    shufflenet_v1_gG_xW   G in {1,2,3,4,8}, W in {0_25, 0_5, 1_0, 1_5, 2_0} (any width via
 *                          vgs_shufflenet_v1_config); Megvii ShuffleNet-Series tensor names.
 *  VGG and ShuffleNet V2 come in later releases.                                            */

typedef enum vgs_shuffle_order {
    /* Zhang et al. 2017, "ShuffleNet", Fig. 1: reshape (g, C/g), transpose, flatten:
     * output channel j*g + i = input channel i*(C/g) + j. */
    VGS_SHUFFLE_PAPER = 0,
    /* Megvii ShuffleNet-Series (the released weights): reshape (C/g, g), transpose, flatten:
     * output channel i*(C/g) + j = input channel j*g + i. */
    VGS_SHUFFLE_MEGVII = 1
} vgs_shuffle_order;

typedef struct vgs_net_options {
    int num_threads;   /* 0 or 1: single thread (the only value supported in 0.1)        */
    int input_height;  /* input H, W the net is planned for; 0 = the model's (224).       */
    int input_width;   /* Workspace is sized for them at create time.                      */
} vgs_net_options;

typedef struct vgs_shufflenet_v1_config {
    int groups;                /* 1, 2, 3, 4 or 8                                       */
    float width;               /* width multiplier: 0.25 .. 2.0 (channels rounded as in Megvii) */
    vgs_shuffle_order order;   /* VGS_SHUFFLE_MEGVII for the released weights          */
    int num_classes;           /* 1000 for ImageNet                                     */
    /* Optional explicit channel counts (0 = derive from groups and width): the stem's output
     * and the output of stages 2, 3, 4.  Each stage's bottleneck is out / 4.  Constraints
     * (else VGS_ERR_INVALID_ARGUMENT): out/4 divisible by groups; stage 2's out - stem divisible
     * by groups; every stage out even. */
    int stem_channels;
    int stage_channels[3];
} vgs_shufflenet_v1_config;

/* Channel shuffle as a permutation: src[o] = the input channel that becomes output channel o,
 * for `channels` channels in `groups` groups and the given order (see vgs_shuffle_order).
 * E.g. channels 12, groups 4, paper order: src = 0,3,6,9,1,4,7,10,2,5,8,11.  No kernel ever
 * moves data for it: the kernel producing the channels writes channel src[o] to plane o.
 * Errors: VGS_ERR_INVALID_ARGUMENT if groups is 0 or does not divide channels. */
VGS_API vgs_status vgs_channel_shuffle_map(vgs_shuffle_order order, size_t channels,
                                           size_t groups, int32_t *src);

/* How an image becomes the network's input tensor (see vgs_preprocess_rgb8). */
typedef struct vgs_preprocess {
    int resize_short;   /* shorter side resized to this (bilinear, OpenCV INTER_LINEAR) */
    int crop;           /* centre crop crop x crop                                        */
    int bgr;            /* 1: channel 0 = blue (Megvii, Caffe); 0: RGB (torchvision)       */
    float scale;        /* value = (pixel * scale - mean[c]) / std[c]; pixel in 0..255    */
    float mean[3], std[3];
} vgs_preprocess;

typedef struct vgs_net vgs_net;

/* Build a network by model name from a .safetensors file.  options may be NULL.
 * Errors: VGS_ERR_INVALID_ARGUMENT (unknown model name), VGS_ERR_IO / VGS_ERR_FORMAT (file),
 * VGS_ERR_MISSING_TENSOR / VGS_ERR_UNKNOWN_TENSOR / VGS_ERR_SHAPE (weights do not fit the
 * model, named in the message), VGS_ERR_UNSUPPORTED (options), VGS_ERR_OUT_OF_MEMORY. */
VGS_API vgs_status vgs_net_create(const char *model, const char *weights_path,
                                  const vgs_net_options *options, vgs_net **out);

/* ShuffleNet V1 (Zhang et al., CVPR 2018; Megvii ShuffleNet-Series layout and names):
 * stem conv3x3/s2 + BN + ReLU, max-pool 3x3/s2, stages of 4/8/4 units, global average
 * pool, linear (no bias).  Input N x 3 x 224 x 224 (any H, W that are >= 32 work).
 * BatchNorm (eps 1e-5) is folded into the preceding convolution here.
 * Errors: as vgs_net_create. */
VGS_API vgs_status vgs_shufflenet_v1_create(const vgs_shufflenet_v1_config *config,
                                            const vgs_weights *weights,
                                            const vgs_net_options *options, vgs_net **out);

VGS_API void vgs_net_destroy(vgs_net *net); /* NULL is fine */
VGS_API int vgs_net_num_classes(const vgs_net *net);
/* Input shape of one image (C, H, W) the net was planned for. */
VGS_API void vgs_net_input_shape(const vgs_net *net, int *c, int *h, int *w);
/* Preprocessing the weights were trained with. */
VGS_API const vgs_preprocess *vgs_net_preprocess(const vgs_net *net);

/* Forward pass.  x: float32 NCHW, n x C x H x W as vgs_net_input_shape (3 x 224 x 224 unless
 * vgs_net_options said otherwise); images are run one after another through the workspace;
 * logits: n x num_classes floats (pre-softmax), logits_len is its length in floats.
 * Uses the net's own workspace (allocated at create), so calls on one net must not overlap.
 * Errors: VGS_ERR_INVALID_ARGUMENT (NULL, n == 0), VGS_ERR_SHAPE (logits_len too small). */
VGS_API vgs_status vgs_net_forward(vgs_net *net, const float *x, size_t n, float *logits,
                                   size_t logits_len);

/* Size in bytes of the per-image activation workspace the net allocated at create. */
VGS_API size_t vgs_net_workspace_size(const vgs_net *net);

/* ==========================================================================================
 *  PRE- AND POST-PROCESSING
 * ========================================================================================== */

/* Image (8-bit RGB, rows `stride` bytes apart) -> float32 CHW tensor 3 x crop x crop:
 * resize the shorter side to pp->resize_short with bilinear interpolation (OpenCV
 * INTER_LINEAR: half-pixel centres, no antialiasing), centre crop, optional RGB->BGR,
 * value = (pixel * scale - mean) / std.  Errors: VGS_ERR_INVALID_ARGUMENT. */
VGS_API vgs_status vgs_preprocess_rgb8(const uint8_t *rgb, int width, int height, size_t stride,
                                       const vgs_preprocess *pp, float *out);

/* Softmax over n floats (in and out may alias): y = exp(x - max) / sum, computed with the
 * current tier's kernel (SLEEF expf, 1.0 ULP). */
VGS_API void vgs_softmax(const float *x, size_t n, float *y);

/* Indices of the k largest of x[0..n) in decreasing order (ties: lower index first). */
VGS_API void vgs_topk(const float *x, size_t n, size_t k, int *indices);

/* ==========================================================================================
 *  KERNELS (advanced)
 * ==========================================================================================
 *  The networks are built from these.  Each family has one generic body (kernels/NAME.h)
 *  instantiated per ISA (arch/ISA/), named like XNNPACK's microkernels:
 *  vgs_f32_gemm_6x16__avx2, vgs_f32_conv3x3s2p1__neon, ...  Parameters are pointers, sizes
 *  (in elements) and strides (in floats); all tensors are float32 NCHW planes with contiguous
 *  rows.  `out_min`/`out_max` clamp the result (ReLU: 0, +INFINITY; none: -INFINITY, +INFINITY).
 *  No kernel allocates, fails or reads outside the ranges given.                             */

typedef struct vgs_kernels {
    vgs_isa isa;
    size_t vector_width;         /* floats per vector register (scalar: 1)      */
    const char *gemm_name;       /* e.g. "vgs_f32_gemm_6x16__avx2"              */

    /* Grouped 1x1 convolution, one group, as GEMM (microkernel mr x nr over output channels
     * x pixels):  c[i*c_stride + j] = clamp(bias[i] + sum_p a[i*a_stride + p] * b[p*b_stride + j]
     *                                        + r[i*r_stride + j])
     * for i < m (output channels), j < n (pixels, H*W), p < k (input channels of the group).
     * a: OI weights of the group; b: input planes (b_stride = channel stride, so any channel
     * subset with a constant stride is read in place); bias and r may be NULL.  The residual r
     * is added before the clamp (ShuffleNet's ReLU(x + branch)). */
    void (*gemm)(size_t m, size_t n, size_t k, const float *a, size_t a_stride,
                 const float *b, size_t b_stride, const float *bias, const float *r,
                 size_t r_stride, float *c, size_t c_stride, float out_min, float out_max);

    /* Direct 3x3 convolution, zero padding 1, stride 1 (s1) or 2 (s2), of `cin` input planes
     * (h x w, plane i at x + i*x_cstride) into ONE output plane y (oh x ow, contiguous rows):
     *   y[oy][ox] = clamp(bias + sum_{i,ky,kx} k[i*9 + ky*3 + kx] * x_i[S*oy+ky-1][S*ox+kx-1])
     * s1: oh = h, ow = w.  s2: oh = (h+1)/2, ow = (w+1)/2.  A depthwise 3x3 convolution is
     * this kernel with cin = 1, called per channel — with the output plane chosen freely,
     * which is how a channel shuffle is folded into the depthwise store. */
    void (*conv3x3s1p1)(size_t cin, size_t h, size_t w, const float *x, size_t x_cstride,
                        const float *k, float bias, float *y, float out_min, float out_max);
    void (*conv3x3s2p1)(size_t cin, size_t h, size_t w, const float *x, size_t x_cstride,
                        const float *k, float bias, float *y, float out_min, float out_max);

    /* 3x3 pooling, stride 2, padding 1, over c planes (h x w) into c planes
     * ((h+1)/2 x (w+1)/2).  max: padding is ignored (-inf).  avg: padding counts as zero and
     * the sum is always divided by 9 (PyTorch AvgPool2d count_include_pad=True, as trained by
     * Megvii). */
    void (*maxpool3x3s2p1)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                           float *y, size_t y_cstride);
    void (*avgpool3x3s2p1)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                           float *y, size_t y_cstride);

    /* Global average pool: y[i] = mean of the hw floats at x + i*x_cstride, i < c. */
    void (*global_avgpool)(size_t c, size_t hw, const float *x, size_t x_cstride, float *y);

    /* Fully connected (GEMV): y[o] = bias[o] + sum_p w[o*k + p] * x[p], o < n; bias may be NULL.
     * w is PyTorch's Linear weight (out x in). */
    void (*fc)(size_t n, size_t k, const float *w, const float *bias, const float *x, float *y);

    /* Softmax over n floats, y = exp(x - max) / sum (SLEEF expf u10); y may alias x. */
    void (*softmax)(size_t n, const float *x, float *y);
} vgs_kernels;

/* Kernel table of a tier.  NULL if the tier is not compiled in (it may still be unsupported
 * by this CPU: check vgs_isa_supported before calling into it). */
VGS_API const vgs_kernels *vgs_kernels_for(vgs_isa isa);
/* Kernel table of vgs_isa_current(). Never NULL. */
VGS_API const vgs_kernels *vgs_kernels_current(void);

#ifdef __cplusplus
}
#endif
#endif /* VGGSHUFFLE_H */

/* ##########################################################################################
 *
 *  IMPLEMENTATION
 *
 * ########################################################################################## */
#if defined(VGS_IMPLEMENTATION) && !defined(VGS__IMPLEMENTED)
#define VGS__IMPLEMENTED

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define VGS__X86 1
#include <immintrin.h>
#elif defined(__aarch64__)
#define VGS__ARM64 1
#include <arm_neon.h>
#endif

/* ==========================================================================================
 *  Errors and safetensors weights
 * ========================================================================================== */
#if __has_include("weights_impl.inc")
#include "weights_impl.inc"
#else
static _Thread_local char vgs__error[512];
static vgs_status vgs__fail(vgs_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vgs__error, sizeof vgs__error, fmt, ap);
    va_end(ap);
    return st;
}
const char *vgs_last_error(void) { return vgs__error; }
#endif

/* ==========================================================================================
 *  Kernel tiers: each arch/ISA/ISA.h instantiates every family of kernels/ for its ISA
 * ========================================================================================== */
#include "arch/scalar/scalar.h"
#if VGS__X86 && !defined(VGS_NO_X86_SIMD)
#include "arch/avx2/avx2.h"
#if !defined(VGS_NO_AVX512)
#include "arch/avx512/avx512.h"
#define VGS__HAVE_AVX512 1
#endif
#define VGS__HAVE_AVX2 1
#endif
#if VGS__ARM64
#include "arch/neon/neon.h"
#define VGS__HAVE_NEON 1
#endif

/* ==========================================================================================
 *  Runtime dispatch
 * ========================================================================================== */
#if VGS__HAVE_AVX2
#include <cpuid.h>
/* XCR0 through XGETBV (encoded by hand: _xgetbv would need -mxsave). */
static uint64_t vgs__xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int vgs__x86_supports(vgs_isa isa)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = vgs__xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return 0; /* XMM and YMM state saved by the OS */
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1;
    if (isa == VGS_ISA_AVX2) return avx2 && fma;
    const int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    const int zmm_state = (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM0-15 upper, ZMM16-31 */
    return isa == VGS_ISA_AVX512 && avx2 && fma && f && dq && bw && vl && zmm_state;
}
#endif

int vgs_isa_supported(vgs_isa isa)
{
    switch (isa) {
    case VGS_ISA_SCALAR: return 1;
#if VGS__HAVE_AVX2
    case VGS_ISA_AVX2: return vgs__x86_supports(VGS_ISA_AVX2);
#endif
#if VGS__HAVE_AVX512
    case VGS_ISA_AVX512: return vgs__x86_supports(VGS_ISA_AVX512);
#endif
#if VGS__HAVE_NEON
    case VGS_ISA_NEON: return 1;
#endif
    default: return 0;
    }
}

const vgs_kernels *vgs_kernels_for(vgs_isa isa)
{
    switch (isa) {
    case VGS_ISA_SCALAR: return &vgs__kernels__scalar;
#if VGS__HAVE_AVX2
    case VGS_ISA_AVX2: return &vgs__kernels__avx2;
#endif
#if VGS__HAVE_AVX512
    case VGS_ISA_AVX512: return &vgs__kernels__avx512;
#endif
#if VGS__HAVE_NEON
    case VGS_ISA_NEON: return &vgs__kernels__neon;
#endif
    default: return NULL;
    }
}

vgs_isa vgs_isa_best(void)
{
    static const vgs_isa order[] = {VGS_ISA_AVX512, VGS_ISA_AVX2, VGS_ISA_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (vgs_isa_supported(order[i])) return order[i];
    }
    return VGS_ISA_SCALAR;
}

static const char *const vgs__isa_names[VGS_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};

const char *vgs_isa_to_string(vgs_isa isa)
{
    return (unsigned)isa < VGS_ISA_COUNT ? vgs__isa_names[isa] : "?";
}

vgs_status vgs_isa_parse(const char *name, vgs_isa *out)
{
    for (int i = 0; name && i < VGS_ISA_COUNT; i++) {
        if (strcmp(name, vgs__isa_names[i]) == 0) {
            if (out) *out = (vgs_isa)i;
            return VGS_OK;
        }
    }
    return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "unknown ISA '%s' (expected scalar, avx2, avx512 or neon)",
                     name ? name : "(null)");
}

/* The current tier, -1 until first use.  Written with atomic stores: threads that race on
 * the first use compute the same value, so the race is benign. */
static int vgs__isa_now = -1;

vgs_isa vgs_isa_current(void)
{
    int isa = __atomic_load_n(&vgs__isa_now, __ATOMIC_ACQUIRE);
    if (isa >= 0) return (vgs_isa)isa;
    vgs_isa chosen = vgs_isa_best();
    const char *env = getenv("VGS_ISA");
    if (env && *env) {
        vgs_isa want;
        if (vgs_isa_parse(env, &want) != VGS_OK) {
            vgs__fail(VGS_ERR_INVALID_ARGUMENT, "VGS_ISA='%s' is not an ISA name; using %s", env,
                      vgs_isa_to_string(chosen));
        } else if (!vgs_isa_supported(want)) {
            vgs__fail(VGS_ERR_UNSUPPORTED, "VGS_ISA=%s is not supported on this CPU/build; using %s",
                      env, vgs_isa_to_string(chosen));
        } else {
            chosen = want;
        }
    }
    __atomic_store_n(&vgs__isa_now, (int)chosen, __ATOMIC_RELEASE);
    return chosen;
}

vgs_status vgs_isa_force(vgs_isa isa)
{
    if ((unsigned)isa >= VGS_ISA_COUNT) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_isa_force: no ISA number %d", (int)isa);
    }
    if (!vgs_isa_supported(isa)) {
        return vgs__fail(VGS_ERR_UNSUPPORTED, "vgs_isa_force: %s is not supported by this %s",
                         vgs_isa_to_string(isa),
                         vgs_kernels_for(isa) ? "CPU (or OS)" : "build");
    }
    __atomic_store_n(&vgs__isa_now, (int)isa, __ATOMIC_RELEASE);
    return VGS_OK;
}

const char *vgs_isa_name(void) { return vgs_isa_to_string(vgs_isa_current()); }

const vgs_kernels *vgs_kernels_current(void) { return vgs_kernels_for(vgs_isa_current()); }

void vgs_softmax(const float *x, size_t n, float *y) { vgs_kernels_current()->softmax(n, x, y); }

void vgs_topk(const float *x, size_t n, size_t k, int *indices)
{
    /* k is small (5): selection by repeated scans keeps it obvious; ties keep the lower index. */
    if (k > n) k = n;
    for (size_t j = 0; j < k; j++) {
        int best = -1;
        for (size_t i = 0; i < n; i++) {
            int taken = 0;
            for (size_t t = 0; t < j; t++) taken |= indices[t] == (int)i;
            if (!taken && (best < 0 || x[i] > x[best])) best = (int)i;
        }
        indices[j] = best;
    }
}

/* ==========================================================================================
 *  Channel shuffle as a permutation
 * ========================================================================================== */
vgs_status vgs_channel_shuffle_map(vgs_shuffle_order order, size_t channels, size_t groups,
                                   int32_t *src)
{
    if (!src || groups == 0 || channels % groups != 0) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "channel shuffle: %zu groups do not divide %zu channels", groups, channels);
    }
    const size_t per = channels / groups;
    for (size_t o = 0; o < channels; o++) {
        /* paper: output j*g + i <- input i*(C/g) + j;  Megvii: output i*(C/g) + j <- input j*g + i */
        src[o] = order == VGS_SHUFFLE_PAPER ? (int32_t)((o % groups) * per + o / groups)
                                            : (int32_t)((o % per) * groups + o / per);
    }
    return VGS_OK;
}

/* ==========================================================================================
 *  Networks: weights taken from a vgs_weights with shape checks, BatchNorm folded
 * ========================================================================================== */

typedef struct vgs__sv1_unit {
    int stride;
    int in_c, out_c, mid_c, branch_c; /* branch_c = out_c - in_c for stride 2 (concat)   */
    int g1, g2;                       /* groups of the first and second 1x1 convolution  */
    float *w1, *b1;                   /* mid_c x in_c/g1, folded BN                      */
    float *wdw, *bdw;                 /* mid_c x 9                                       */
    float *w2, *b2;                   /* branch_c x mid_c/g2                             */
    int32_t *dw_dst;                  /* depthwise output channel c -> plane (shuffle)    */
} vgs__sv1_unit;

struct vgs_net {
    int num_classes, in_c, in_h, in_w;
    vgs_preprocess pp;
    /* ShuffleNet V1 */
    int stem_c;
    float *stem_w, *stem_b;           /* stem_c x 3 x 3 x 3, folded BN */
    int n_units;
    vgs__sv1_unit units[32];
    int head_c;
    float *fc_w;                      /* num_classes x head_c */
    /* workspace: two ping-pong activation buffers, the two bottleneck buffers, the pooled vector */
    float *ws, *act[2], *mid1, *mid2, *pooled;
    size_t ws_bytes;
    /* every allocation, freed by vgs_net_destroy */
    void **allocs;
    size_t n_allocs, cap_allocs;
};

static float *vgs__net_alloc(vgs_net *net, size_t nfloats)
{
    if (net->n_allocs == net->cap_allocs) {
        size_t cap = net->cap_allocs ? 2 * net->cap_allocs : 64;
        void **a = (void **)realloc(net->allocs, cap * sizeof *a);
        if (!a) return NULL;
        net->allocs = a;
        net->cap_allocs = cap;
    }
    void *p = NULL;
    if (posix_memalign(&p, 64, (nfloats ? nfloats : 1) * sizeof(float)) != 0) return NULL;
    net->allocs[net->n_allocs++] = p;
    return (float *)p;
}

void vgs_net_destroy(vgs_net *net)
{
    if (!net) return;
    for (size_t i = 0; i < net->n_allocs; i++) free(net->allocs[i]);
    free(net->allocs);
    free(net);
}

/* Loading context: the weights, the names taken so far (to report unknown tensors). */
typedef struct vgs__loader {
    const vgs_weights *w;
    vgs_net *net;
    char (*taken)[96];
    size_t n_taken, cap_taken;
} vgs__loader;

static void vgs__dims_str(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t o = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && o < len; i++) {
        o += (size_t)snprintf(buf + o, len - o, i ? ",%lld" : "%lld", (long long)shape[i]);
    }
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* Copy the F32 tensor `name` of exactly `shape` into a new net allocation. */
static vgs_status vgs__take(vgs__loader *ld, const char *name, int ndim, const int64_t *shape,
                            float **out)
{
    vgs_tensor_view t;
    char want[128], got[128];
    vgs__dims_str(want, sizeof want, ndim, shape);
    if (vgs_weights_find(ld->w, name, &t) != VGS_OK) {
        return vgs__fail(VGS_ERR_MISSING_TENSOR, "weights: missing tensor '%s' (expected F32 %s)", name, want);
    }
    if (t.dtype != VGS_DTYPE_F32) {
        return vgs__fail(VGS_ERR_FORMAT, "weights: tensor '%s' is %s, expected F32", name, vgs_dtype_name(t.dtype));
    }
    int same = t.ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t.shape[i] == shape[i];
    if (!same) {
        vgs__dims_str(got, sizeof got, t.ndim, t.shape);
        return vgs__fail(VGS_ERR_SHAPE, "weights: tensor '%s' has shape %s, expected %s", name, got, want);
    }
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    float *p = vgs__net_alloc(ld->net, n);
    if (!p) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory loading '%s'", name);
    memcpy(p, t.data, n * sizeof(float));
    if (ld->n_taken == ld->cap_taken) {
        size_t cap = ld->cap_taken ? 2 * ld->cap_taken : 128;
        char(*a)[96] = (char(*)[96])realloc(ld->taken, cap * sizeof *a);
        if (!a) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        ld->taken = a;
        ld->cap_taken = cap;
    }
    snprintf(ld->taken[ld->n_taken++], 96, "%s", name);
    *out = p;
    return VGS_OK;
}

/* Convolution `conv`.weight (o x i x k x k, no bias) followed by BatchNorm `bn`.{weight, bias,
 * running_mean, running_var}, eps 1e-5, folded:  w' = w * s,  b' = beta - mean * s,
 * s = gamma / sqrt(var + eps)  (per output channel; computed in double). */
static vgs_status vgs__conv_bn(vgs__loader *ld, const char *conv, const char *bn, int64_t o,
                               int64_t i, int64_t k, float **w, float **b)
{
    char name[96];
    const int64_t wshape[4] = {o, i, k, k};
    float *gamma, *beta, *mean, *var;
    vgs_status st;
    snprintf(name, sizeof name, "%s.weight", conv);
    if ((st = vgs__take(ld, name, 4, wshape, w)) != VGS_OK) return st;
    const char *parts[4] = {"weight", "bias", "running_mean", "running_var"};
    float **dst[4] = {&gamma, &beta, &mean, &var};
    for (int j = 0; j < 4; j++) {
        snprintf(name, sizeof name, "%s.%s", bn, parts[j]);
        if ((st = vgs__take(ld, name, 1, &o, dst[j])) != VGS_OK) return st;
    }
    const size_t per = (size_t)(i * k * k);
    for (int64_t c = 0; c < o; c++) {
        const double s = gamma[c] / sqrt((double)var[c] + 1e-5);
        for (size_t j = 0; j < per; j++) (*w)[c * per + j] = (float)((*w)[c * per + j] * s);
        beta[c] = (float)(beta[c] - mean[c] * s);
    }
    *b = beta;
    return VGS_OK;
}

/* Every tensor of the file must have been taken (num_batches_tracked excepted: unused). */
static vgs_status vgs__check_unknown(vgs__loader *ld)
{
    const size_t n = vgs_weights_count(ld->w);
    for (size_t i = 0; i < n; i++) {
        vgs_tensor_view t;
        vgs_weights_at(ld->w, i, &t);
        const size_t len = strlen(t.name), sfx = strlen(".num_batches_tracked");
        if (len >= sfx && strcmp(t.name + len - sfx, ".num_batches_tracked") == 0) continue;
        int known = 0;
        for (size_t j = 0; !known && j < ld->n_taken; j++) known = strcmp(ld->taken[j], t.name) == 0;
        if (!known) {
            return vgs__fail(VGS_ERR_UNKNOWN_TENSOR, "weights: unknown tensor '%s' (not part of this model)", t.name);
        }
    }
    return VGS_OK;
}

static vgs_status vgs__check_options(const vgs_net_options *o, int *h, int *w)
{
    *h = *w = 224;
    if (!o) return VGS_OK;
    if (o->num_threads > 1) {
        return vgs__fail(VGS_ERR_UNSUPPORTED, "num_threads = %d: this release runs on 1 thread", o->num_threads);
    }
    if (o->num_threads < 0 || o->input_height < 0 || o->input_width < 0) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "negative value in vgs_net_options");
    }
    if (o->input_height) *h = o->input_height;
    if (o->input_width) *w = o->input_width;
    if (*h < 32 || *w < 32 || *h > 4096 || *w > 4096) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "input size %dx%d outside 32..4096", *h, *w);
    }
    return VGS_OK;
}

/* ==========================================================================================
 *  ShuffleNet V1
 * ========================================================================================== */

/* Stage output channels at width 1.0 (Zhang et al. 2018, Table 1), groups 1, 2, 3, 4, 8. */
static int vgs__sv1_base(int groups)
{
    switch (groups) {
    case 1: return 144;
    case 2: return 200;
    case 3: return 240;
    case 4: return 272;
    case 8: return 384;
    default: return 0;
    }
}

/* Channel counts of the Megvii ShuffleNet-Series models, derived otherwise: stage 2 output =
 * base * width rounded to a multiple of 4 * groups (so the bottleneck out/4 splits into the
 * groups); the stem = 24 * width rounded to a multiple of 4, but Megvii's values where they
 * published a model (g3: 12, 24, 24, 48 and g8: 16, 24, 24, 48 for 0.5x .. 2.0x), raised to
 * the next value for which stage 2's branch (out - stem) splits into the groups. */
static vgs_status vgs__sv1_channels(const vgs_shufflenet_v1_config *cfg, int *stem, int out[3])
{
    const int g = cfg->groups, base = vgs__sv1_base(g);
    if (!base) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V1: groups must be 1, 2, 3, 4 or 8, not %d", g);
    if (cfg->stage_channels[0]) {
        for (int i = 0; i < 3; i++) out[i] = cfg->stage_channels[i];
        *stem = cfg->stem_channels ? cfg->stem_channels : 24;
    } else {
        if (!(cfg->width >= 0.25f && cfg->width <= 4.0f)) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V1: width %g outside 0.25 .. 4", cfg->width);
        }
        const int q = 4 * g;
        const int c2 = (int)((base * cfg->width + q / 2) / q) * q;
        out[0] = c2 < q ? q : c2;
        out[1] = 2 * out[0];
        out[2] = 4 * out[0];
        static const float widths[4] = {0.5f, 1.0f, 1.5f, 2.0f};
        static const int megvii[2][4] = {{12, 24, 24, 48}, {16, 24, 24, 48}};
        int s = (int)(24 * cfg->width / 4 + 0.5f) * 4;
        for (int i = 0; i < 4; i++) {
            if (cfg->width == widths[i] && (g == 3 || g == 8)) s = megvii[g == 8][i];
        }
        if (s < 4) s = 4;
        while ((out[0] - s) % g) s++;
        *stem = cfg->stem_channels ? cfg->stem_channels : s;
    }
    for (int i = 0; i < 3; i++) {
        if (out[i] <= 0 || out[i] % 4 || (out[i] / 4) % g) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                             "ShuffleNet V1: stage %d has %d channels; out/4 must split into %d groups", i + 2, out[i], g);
        }
    }
    if (*stem <= 0 || *stem >= out[0] || (out[0] - *stem) % g) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "ShuffleNet V1: stem %d channels: stage 2's branch (%d - %d) must split into %d groups",
                         *stem, out[0], *stem, g);
    }
    return VGS_OK;
}

static vgs_status vgs__sv1_load(vgs__loader *ld, const vgs_shufflenet_v1_config *cfg, vgs_net *net)
{
    static const int repeats[3] = {4, 8, 4};
    int out[3];
    vgs_status st = vgs__sv1_channels(cfg, &net->stem_c, out);
    if (st != VGS_OK) return st;
    if ((st = vgs__conv_bn(ld, "first_conv.0", "first_conv.1", net->stem_c, 3, 3, &net->stem_w, &net->stem_b)) != VGS_OK) return st;
    int in_c = net->stem_c, k = 0;
    for (int s = 0; s < 3; s++) {
        for (int r = 0; r < repeats[s]; r++, k++) {
            vgs__sv1_unit *u = &net->units[k];
            char conv[80], bn[80];
            u->stride = r == 0 ? 2 : 1;
            u->in_c = in_c;
            u->out_c = out[s];
            u->mid_c = out[s] / 4;
            u->branch_c = u->stride == 2 ? out[s] - in_c : out[s];
            u->g1 = (s == 0 && r == 0) ? 1 : cfg->groups; /* Megvii: first unit's 1x1 is dense */
            u->g2 = cfg->groups;
            if (u->stride == 1 && in_c != out[s]) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "internal: residual shape");
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.0", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_1.1", k);
            if ((st = vgs__conv_bn(ld, conv, bn, u->mid_c, in_c / u->g1, 1, &u->w1, &u->b1)) != VGS_OK) return st;
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.3", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_1.4", k);
            if ((st = vgs__conv_bn(ld, conv, bn, u->mid_c, 1, 3, &u->wdw, &u->bdw)) != VGS_OK) return st;
            snprintf(conv, sizeof conv, "features.%d.branch_main_2.0", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_2.1", k);
            if ((st = vgs__conv_bn(ld, conv, bn, u->branch_c, u->mid_c / u->g2, 1, &u->w2, &u->b2)) != VGS_OK) return st;
            /* The shuffle (groups g, after the depthwise conv, also in the first unit) is folded
             * into the depthwise store: dw channel src[o] is written to plane o. */
            int32_t *src = (int32_t *)vgs__net_alloc(net, (size_t)u->mid_c);
            u->dw_dst = (int32_t *)vgs__net_alloc(net, (size_t)u->mid_c);
            if (!src || !u->dw_dst) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
            if ((st = vgs_channel_shuffle_map(cfg->order, (size_t)u->mid_c, (size_t)cfg->groups, src)) != VGS_OK) return st;
            for (int o = 0; o < u->mid_c; o++) u->dw_dst[src[o]] = o;
            in_c = out[s];
        }
    }
    net->n_units = k;
    net->head_c = in_c;
    const int64_t fc_shape[2] = {cfg->num_classes, in_c};
    if ((st = vgs__take(ld, "classifier.0.weight", 2, fc_shape, &net->fc_w)) != VGS_OK) return st;
    return vgs__check_unknown(ld);
}

/* Plan the workspace for in_h x in_w: the largest tensor each of the four buffers holds. */
static vgs_status vgs__sv1_plan(vgs_net *net)
{
    size_t h = (size_t)(net->in_h + 1) / 2, w = (size_t)(net->in_w + 1) / 2;
    size_t act = (size_t)net->stem_c * h * w, m1 = 0, m2 = 0;
    h = (h + 1) / 2, w = (w + 1) / 2;
    for (int k = 0; k < net->n_units; k++) {
        const vgs__sv1_unit *u = &net->units[k];
        const size_t oh = u->stride == 2 ? (h + 1) / 2 : h, ow = u->stride == 2 ? (w + 1) / 2 : w;
        if ((size_t)u->in_c * h * w > act) act = (size_t)u->in_c * h * w;
        if ((size_t)u->out_c * oh * ow > act) act = (size_t)u->out_c * oh * ow;
        if ((size_t)u->mid_c * h * w > m1) m1 = (size_t)u->mid_c * h * w;
        if ((size_t)u->mid_c * oh * ow > m2) m2 = (size_t)u->mid_c * oh * ow;
        h = oh, w = ow;
    }
    /* round each buffer to 16 floats so all start 64-byte aligned */
    act = (act + 15) & ~(size_t)15, m1 = (m1 + 15) & ~(size_t)15, m2 = (m2 + 15) & ~(size_t)15;
    const size_t pooled = ((size_t)net->head_c + 15) & ~(size_t)15;
    const size_t total = 2 * act + m1 + m2 + pooled;
    net->ws = vgs__net_alloc(net, total);
    if (!net->ws) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte workspace", total * 4);
    net->act[0] = net->ws;
    net->act[1] = net->act[0] + act;
    net->mid1 = net->act[1] + act;
    net->mid2 = net->mid1 + m1;
    net->pooled = net->mid2 + m2;
    net->ws_bytes = total * sizeof(float);
    return VGS_OK;
}

vgs_status vgs_shufflenet_v1_create(const vgs_shufflenet_v1_config *cfg, const vgs_weights *weights,
                                    const vgs_net_options *options, vgs_net **out)
{
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_shufflenet_v1_create: out is NULL");
    *out = NULL;
    if (!cfg || !weights) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_shufflenet_v1_create: NULL config or weights");
    if (cfg->num_classes <= 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "num_classes must be > 0");
    if (cfg->order != VGS_SHUFFLE_PAPER && cfg->order != VGS_SHUFFLE_MEGVII) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "unknown shuffle order %d", (int)cfg->order);
    }
    int h, w;
    vgs_status st = vgs__check_options(options, &h, &w);
    if (st != VGS_OK) return st;
    vgs_net *net = (vgs_net *)calloc(1, sizeof *net);
    if (!net) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    net->num_classes = cfg->num_classes;
    net->in_c = 3, net->in_h = h, net->in_w = w;
    /* Megvii's preprocessing: OpenCV bilinear resize to 256, centre crop 224, BGR, 0..255. */
    const vgs_preprocess pp = {256, 224, 1, 1.0f, {0, 0, 0}, {1, 1, 1}};
    net->pp = pp;
    vgs__loader ld = {weights, net, NULL, 0, 0};
    st = vgs__sv1_load(&ld, cfg, net);
    free(ld.taken);
    if (st == VGS_OK) st = vgs__sv1_plan(net);
    if (st != VGS_OK) {
        vgs_net_destroy(net);
        return st;
    }
    *out = net;
    return VGS_OK;
}

/* One image through ShuffleNet V1: x is 3 x in_h x in_w, logits num_classes. */
static void vgs__sv1_forward(const vgs_net *net, const vgs_kernels *k, const float *x, float *logits)
{
    const float inf = INFINITY;
    size_t h = (size_t)net->in_h, w = (size_t)net->in_w;
    float *a = net->act[0], *b = net->act[1];
    /* stem: conv 3x3/s2 + BN + ReLU into b, then max-pool 3x3/s2 into a */
    const size_t sh = (h + 1) / 2, sw = (w + 1) / 2;
    for (int o = 0; o < net->stem_c; o++) {
        k->conv3x3s2p1(3, h, w, x, h * w, net->stem_w + o * 27, net->stem_b[o], b + (size_t)o * sh * sw, 0.0f, inf);
    }
    h = (sh + 1) / 2, w = (sw + 1) / 2;
    k->maxpool3x3s2p1((size_t)net->stem_c, sh, sw, b, sh * sw, a, h * w);
    for (int i = 0; i < net->n_units; i++) {
        const vgs__sv1_unit *u = &net->units[i];
        const size_t hw = h * w;
        const size_t oh = u->stride == 2 ? (h + 1) / 2 : h, ow = u->stride == 2 ? (w + 1) / 2 : w;
        const size_t ohw = oh * ow;
        /* 1x1 group conv + BN + ReLU: a -> mid1 */
        const size_t m1 = (size_t)(u->mid_c / u->g1), k1 = (size_t)(u->in_c / u->g1);
        for (size_t g = 0; g < (size_t)u->g1; g++) {
            k->gemm(m1, hw, k1, u->w1 + g * m1 * k1, k1, a + g * k1 * hw, hw, u->b1 + g * m1, NULL, 0,
                    net->mid1 + g * m1 * hw, hw, 0.0f, inf);
        }
        /* depthwise 3x3 + BN, stored shuffled: mid1 -> mid2 */
        for (int c = 0; c < u->mid_c; c++) {
            float *dst = net->mid2 + (size_t)u->dw_dst[c] * ohw;
            const float *src = net->mid1 + (size_t)c * hw;
            if (u->stride == 2) k->conv3x3s2p1(1, h, w, src, hw, u->wdw + c * 9, u->bdw[c], dst, -inf, inf);
            else k->conv3x3s1p1(1, h, w, src, hw, u->wdw + c * 9, u->bdw[c], dst, -inf, inf);
        }
        /* 1x1 group conv + BN, then ReLU(x + branch) (stride 1) or, stride 2, ReLU(branch) into
         * channels in_c.. of the output while the 3x3/s2 average pool of x fills 0..in_c-1. */
        const size_t m2 = (size_t)(u->branch_c / u->g2), k2 = (size_t)(u->mid_c / u->g2);
        const size_t off = u->stride == 2 ? (size_t)u->in_c : 0;
        for (size_t g = 0; g < (size_t)u->g2; g++) {
            const float *res = u->stride == 1 ? a + g * m2 * hw : NULL;
            k->gemm(m2, ohw, k2, u->w2 + g * m2 * k2, k2, net->mid2 + g * k2 * ohw, ohw, u->b2 + g * m2, res, hw,
                    b + (off + g * m2) * ohw, ohw, 0.0f, inf);
        }
        if (u->stride == 2) k->avgpool3x3s2p1((size_t)u->in_c, h, w, a, hw, b, ohw);
        float *t = a;
        a = b, b = t;
        h = oh, w = ow;
    }
    k->global_avgpool((size_t)net->head_c, h * w, a, h * w, net->pooled);
    k->fc((size_t)net->num_classes, (size_t)net->head_c, net->fc_w, NULL, net->pooled, logits);
}

vgs_status vgs_net_forward(vgs_net *net, const float *x, size_t n, float *logits, size_t logits_len)
{
    if (!net || !x || !logits || n == 0) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_forward: NULL pointer or batch of 0");
    }
    if (logits_len / (size_t)net->num_classes < n) {
        return vgs__fail(VGS_ERR_SHAPE, "vgs_net_forward: logits holds %zu floats, %zu x %d needed",
                         logits_len, n, net->num_classes);
    }
    const vgs_kernels *k = vgs_kernels_current();
    const size_t image = (size_t)net->in_c * (size_t)net->in_h * (size_t)net->in_w;
    for (size_t i = 0; i < n; i++) {
        vgs__sv1_forward(net, k, x + i * image, logits + i * (size_t)net->num_classes);
    }
    return VGS_OK;
}

int vgs_net_num_classes(const vgs_net *net) { return net ? net->num_classes : 0; }
size_t vgs_net_workspace_size(const vgs_net *net) { return net ? net->ws_bytes : 0; }
const vgs_preprocess *vgs_net_preprocess(const vgs_net *net) { return net ? &net->pp : NULL; }

void vgs_net_input_shape(const vgs_net *net, int *c, int *h, int *w)
{
    if (c) *c = net ? net->in_c : 0;
    if (h) *h = net ? net->in_h : 0;
    if (w) *w = net ? net->in_w : 0;
}

/* "shufflenet_v1_g3_x0_5" -> groups 3, width 0.5, Megvii order (the published weights). */
static int vgs__parse_sv1_name(const char *model, vgs_shufflenet_v1_config *cfg)
{
    int g, wi, wf, used = 0;
    if (sscanf(model, "shufflenet_v1_g%d_x%d_%d%n", &g, &wi, &wf, &used) != 3 || model[used]) return 0;
    memset(cfg, 0, sizeof *cfg);
    cfg->groups = g;
    cfg->width = (float)wi + (wf < 10 ? wf / 10.0f : wf / 100.0f);
    cfg->order = VGS_SHUFFLE_MEGVII;
    cfg->num_classes = 1000;
    return 1;
}

vgs_status vgs_net_create(const char *model, const char *weights_path, const vgs_net_options *options,
                          vgs_net **out)
{
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_create: out is NULL");
    *out = NULL;
    if (!model || !weights_path) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_create: NULL model or path");
    vgs_shufflenet_v1_config cfg;
    if (!vgs__parse_sv1_name(model, &cfg)) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "unknown model '%s' (known: shufflenet_v1_g{1,2,3,4,8}_x{0_5,1_0,1_5,2_0})", model);
    }
    vgs_weights *w;
    vgs_status st = vgs_weights_open(weights_path, &w);
    if (st != VGS_OK) return st;
    st = vgs_shufflenet_v1_create(&cfg, w, options, out);
    vgs_weights_close(w);
    return st;
}

/* ==========================================================================================
 *  Preprocessing
 * ========================================================================================== */

/* Source coordinate and weight of destination index d for OpenCV's INTER_LINEAR:
 * half-pixel centres, clamped at the borders. */
static void vgs__linear_coord(int d, double scale, int n, int *i0, int *i1, float *f)
{
    double s = (d + 0.5) * scale - 0.5;
    int i = (int)floor(s);
    double t = s - i;
    if (i < 0) i = 0, t = 0;
    if (i >= n - 1) i = n - 1, t = 0;
    *i0 = i;
    *i1 = i + 1 < n ? i + 1 : n - 1;
    *f = (float)t;
}

/* Python's round() (half to even), used by torchvision's CenterCrop for the offsets. */
static int vgs__round_half_even(double v)
{
    double r = floor(v + 0.5);
    if (r - v == 0.5 && fmod(r, 2.0) != 0.0) r -= 1.0;
    return (int)r;
}

vgs_status vgs_preprocess_rgb8(const uint8_t *rgb, int width, int height, size_t stride,
                               const vgs_preprocess *pp, float *out)
{
    if (!rgb || !pp || !out || width <= 0 || height <= 0 || stride < (size_t)width * 3) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: bad image or NULL pointer");
    }
    if (pp->crop <= 0 || pp->resize_short < pp->crop) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: crop %d must be in 1..resize_short (%d)",
                         pp->crop, pp->resize_short);
    }
    /* Megvii's OpencvResize: the short side becomes S, the long one int(S / short * long + 0.5). */
    int rw, rh;
    if (height < width) rh = pp->resize_short, rw = (int)((double)pp->resize_short / height * width + 0.5);
    else rw = pp->resize_short, rh = (int)((double)pp->resize_short / width * height + 0.5);
    const int top = vgs__round_half_even((rh - pp->crop) / 2.0);
    const int left = vgs__round_half_even((rw - pp->crop) / 2.0);
    const size_t plane = (size_t)pp->crop * (size_t)pp->crop;
    for (int y = 0; y < pp->crop; y++) {
        int y0, y1, x0, x1;
        float fy, fx;
        vgs__linear_coord(y + top, (double)height / rh, height, &y0, &y1, &fy);
        for (int x = 0; x < pp->crop; x++) {
            vgs__linear_coord(x + left, (double)width / rw, width, &x0, &x1, &fx);
            for (int c = 0; c < 3; c++) {
                const uint8_t *r0 = rgb + (size_t)y0 * stride, *r1 = rgb + (size_t)y1 * stride;
                const float top_v = r0[x0 * 3 + c] + fx * (r0[x1 * 3 + c] - r0[x0 * 3 + c]);
                const float bot_v = r1[x0 * 3 + c] + fx * (r1[x1 * 3 + c] - r1[x0 * 3 + c]);
                /* OpenCV resizes 8-bit images to 8-bit: round to the nearest integer */
                const float v = floorf(top_v + fy * (bot_v - top_v) + 0.5f);
                const int oc = pp->bgr ? 2 - c : c;
                out[(size_t)oc * plane + (size_t)y * pp->crop + x] = (v * pp->scale - pp->mean[oc]) / pp->std[oc];
            }
        }
    }
    return VGS_OK;
}

#endif /* VGS_IMPLEMENTATION */
