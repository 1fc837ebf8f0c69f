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
 *      static float x[3 * 224 * 224], logits[1000];   // NCHW, N = 1
 *      vgs_net *net;
 *      if (vgs_net_create("shufflenet_v1_g3_x0_5", "g3.safetensors", NULL, &net) != VGS_OK) {
 *          fprintf(stderr, "%s\n", vgs_last_error());
 *          return 1;
 *      }
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

/* Message of the last error in the calling thread (thread-local), "" if none yet.  Only a
 * failing call sets it (a successful one leaves the previous message), so read it right
 * after a call returned an error.
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
/* Tensor by name (out may be NULL: a presence test).  Errors: VGS_ERR_MISSING_TENSOR. */
VGS_API vgs_status vgs_weights_find(const vgs_weights *w, const char *name, vgs_tensor_view *out);
/* "F32", "I64", ... */
VGS_API const char *vgs_dtype_name(vgs_dtype dtype);

/* ==========================================================================================
 *  NETWORKS
 * ==========================================================================================
 *  Model names:
 *    shufflenet_v1_gG_xW   G in {1,2,3,4,8}; W the width multiplier with "_" for the point:
 *                          0_5, 1_0, 1_5, 2_0 (Megvii's published sizes), or any other in
 *                          0_25 .. 4_0 (vgs_shufflenet_v1_config for explicit channel counts).
 *                          Megvii shuffle order and ShuffleNet-Series tensor names.
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
    float width;               /* width multiplier 0.25 .. 4 (channels rounded as in Megvii;
                                  0 means 1.0 when stage_channels are given)               */
    vgs_shuffle_order order;   /* VGS_SHUFFLE_MEGVII for the released weights          */
    int num_classes;           /* 1000 for ImageNet                                     */
    /* Optional explicit channel counts (0 = derive from groups and width): the stem's output
     * and the output of stages 2, 3, 4.  Each stage's bottleneck is out / 4.  Constraints
     * (else VGS_ERR_INVALID_ARGUMENT): out/4 divisible by groups; each stage wider than the
     * one before (stem, stage 2, 3, 4) by a multiple of groups (the stride-2 unit's branch). */
    int stem_channels;
    int stage_channels[3];
} vgs_shufflenet_v1_config;

/* Channel shuffle as a permutation: src[o] = the input channel that becomes output channel o,
 * for `channels` channels in `groups` groups and the given order (see vgs_shuffle_order).
 * E.g. channels 12, groups 4, paper order: src = 0,3,6,9,1,4,7,10,2,5,8,11.  No kernel ever
 * moves data for it: the kernel producing the channels writes channel src[o] to plane o.
 * Errors: VGS_ERR_INVALID_ARGUMENT (src NULL, unknown order, groups 0 or not dividing
 * channels). */
VGS_API vgs_status vgs_channel_shuffle_map(vgs_shuffle_order order, size_t channels,
                                           size_t groups, int32_t *src);

/* How an image becomes the network's input tensor (see vgs_preprocess_rgb8). */
typedef struct vgs_preprocess {
    int resize_short;   /* shorter side resized to this (bilinear, OpenCV INTER_LINEAR) */
    int crop_height;    /* centre crop, pixels: the network's input H and W               */
    int crop_width;
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
 * BatchNorm (eps 1e-5) is folded into the preceding convolution here, and everything the
 * net needs is copied: the weights may be closed right after.
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
 * No finiteness checks are made: NaN or infinite inputs or weights give unspecified (but
 * memory-safe) logits.
 * Errors: VGS_ERR_INVALID_ARGUMENT (NULL, n == 0), VGS_ERR_SHAPE (logits_len too small). */
VGS_API vgs_status vgs_net_forward(vgs_net *net, const float *x, size_t n, float *logits,
                                   size_t logits_len);

/* Size in bytes of the per-image activation workspace the net allocated at create. */
VGS_API size_t vgs_net_workspace_size(const vgs_net *net);

/* ==========================================================================================
 *  PRE- AND POST-PROCESSING
 * ========================================================================================== */

/* Image (8-bit RGB, rows `stride` bytes apart) -> float32 CHW tensor 3 x crop_height x
 * crop_width (out must hold that many floats): resize the shorter side to pp->resize_short
 * with bilinear interpolation (OpenCV INTER_LINEAR: half-pixel centres, no antialiasing;
 * Megvii's OpencvResize), centre crop (torchvision CenterCrop offsets), optional RGB->BGR,
 * value = (pixel * scale - mean) / std.  vgs_net_preprocess(net) gives the net's settings,
 * whose crop is the net's input size.  Errors: VGS_ERR_INVALID_ARGUMENT (NULL, sizes, a crop
 * larger than the resized image). */
VGS_API vgs_status vgs_preprocess_rgb8(const uint8_t *rgb, int width, int height, size_t stride,
                                       const vgs_preprocess *pp, float *out);

/* Softmax over n floats (x and y may alias): y = exp(x - max) / sum, computed with the
 * current tier's kernel (SLEEF expf, 1.0 ULP).  A NaN in x makes every y NaN.
 * Errors: VGS_ERR_INVALID_ARGUMENT (x or y NULL, n == 0). */
VGS_API vgs_status vgs_softmax(const float *x, size_t n, float *y);

/* Indices of the k largest of x[0..n) in decreasing order (ties: lower index first; NaNs
 * rank below every number); indices[j] = -1 for j >= n.
 * Errors: VGS_ERR_INVALID_ARGUMENT (x or indices NULL). */
VGS_API vgs_status vgs_topk(const float *x, size_t n, size_t k, int *indices);

/* ==========================================================================================
 *  KERNELS (advanced)
 * ==========================================================================================
 *  The networks are built from these.  Each family has one generic body (kernels/NAME.h)
 *  instantiated per ISA (arch/ISA/), named like XNNPACK's microkernels:
 *  vgs_f32_gemm_6x16__avx2, vgs_f32_conv3x3s2p1__neon, ...  Parameters are pointers, sizes
 *  (in elements) and strides (in floats); all tensors are float32 NCHW planes with contiguous
 *  rows.  `out_min`/`out_max` clamp the result (ReLU: 0, +INFINITY; none: -INFINITY, +INFINITY).
 *  No kernel allocates, fails or reads outside the ranges given.                             */

/* The Winograd convolution kernels' type (vgs_kernels.winograd3x3_*). */
typedef void (*vgs_winograd3x3_fn)(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                   size_t x_cstride, const float *u, const float *bias, float *y,
                                   size_t y_cstride, float out_min, float out_max, int pool,
                                   size_t tile_row_begin, size_t tile_row_end, size_t oc_begin,
                                   size_t oc_end, float *scratch);

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

    /* Dense 3x3 convolution, zero padding 1, stride 1 (s1) or 2 (s2), NCHW:  cin input planes
     * (h x w, plane i at x + i*x_cstride) into cout output planes (oh x ow, plane o at
     * y + o*y_cstride), weights k OIHW (cout x cin x 3 x 3), bias (cout, may be NULL):
     *   y_o[oy][ox] = clamp(bias[o] + sum_{i,ky,kx} k[((o*cin + i)*3 + ky)*3 + kx] * x_i[S*oy+ky-1][S*ox+kx-1])
     * s1: oh = h, ow = w.  s2: oh = (h+1)/2, ow = (w+1)/2.  Made for few input channels (the
     * RGB stem: cin = 3); with more than 4, partial sums go through y between slices of 4. */
    void (*conv3x3s1p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
                        const float *k, const float *bias, float *y, size_t y_cstride, float out_min,
                        float out_max);
    void (*conv3x3s2p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
                        const float *k, const float *bias, float *y, size_t y_cstride, float out_min,
                        float out_max);

    /* Depthwise 3x3 convolution, zero padding 1, stride 1 (s1) or 2 (s2), of c planes
     * (h x w, plane i at x + i*x_cstride; oh x ow as above) with per-channel weights k (c x 9,
     * PyTorch's c x 1 x 3 x 3) and bias (c, may be NULL):
     *   y_{j}[oy][ox] = clamp(bias[i] + sum_{ky,kx} k[i*9 + ky*3 + kx] * x_i[S*oy+ky-1][S*ox+kx-1])
     * where channel i is stored to plane j = y_index[i] (at y + j*y_cstride), or j = i if
     * y_index is NULL.  y_index is how a channel shuffle after the depthwise convolution
     * (ShuffleNet V1) is folded into its store: no pass ever moves the channels. */
    void (*dwconv3x3s1p1)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                          const float *k, const float *bias, float *y, size_t y_cstride,
                          const int32_t *y_index, float out_min, float out_max);
    void (*dwconv3x3s2p1)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride,
                          const float *k, const float *bias, float *y, size_t y_cstride,
                          const int32_t *y_index, float out_min, float out_max);

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

    /* Dense 3x3 convolution, stride 1, zero padding 1, by Winograd F(m x m, 3 x 3): m = 2
     * (f23), 4 (f43), 6 (f63).  Same result as conv3x3s1p1 up to rounding (the measured
     * error per variant is in tests/check_winograd.c), from the input planes as they are (the
     * border is handled inside, no padded copy) and weights u made by
     * vgs_winograd3x3_transform_weights(m, ...) below.  The output is cut in tiles of m x m
     * pixels, ceil(h/m) tile rows of ceil(w/m) tiles (the last ones cropped); one call
     * computes tile rows [tile_row_begin, tile_row_end) of output channels
     * [oc_begin, oc_end) (ends past the last are clipped; an empty range does nothing):
     *   pool == 0: y_o[oy][ox] = clamp(bias[o] + conv), oy < h, ox < w, for the rows
     *              m*tile_row_begin <= oy < m*tile_row_end;
     *   pool != 0: the 2x2/s2 max-pool of that (floor mode: h/2 x w/2 planes, odd h or w
     *              drops the last row or column), rows (m/2)*tile_row_begin <= oy <
     *              (m/2)*tile_row_end; a window with a NaN gives NaN;
     * planes at y + o*y_cstride; bias may be NULL; NaN passes the clamp.  Every output element
     * is bit-identical however the work is split into calls (tasks for any thread count).
     * scratch: vgs_winograd3x3_scratch_floats(m, cin) floats, the caller's (one per thread),
     * no alignment needed; nothing else is allocated or written.  A NaN or Inf input may turn
     * into NaN every output of the tiles whose (m+2) x (m+2) input patch holds it (inherent
     * to the transforms), a superset of where a direct convolution puts it. */
    vgs_winograd3x3_fn winograd3x3_f23, winograd3x3_f43, winograd3x3_f63;
} vgs_kernels;

/* Kernel table of a tier.  NULL if the tier is not compiled in (it may still be unsupported
 * by this CPU: check vgs_isa_supported before calling into it). */
VGS_API const vgs_kernels *vgs_kernels_for(vgs_isa isa);
/* Kernel table of vgs_isa_current(). Never NULL. */
VGS_API const vgs_kernels *vgs_kernels_current(void);

/* Winograd F(m x m, 3 x 3) helpers, m = 2, 4 or 6 (any other m: 0, or VGS_ERR_INVALID_ARGUMENT).
 * Points 0, +-1, inf (m = 2); 0, +-1, +-2, inf (4); 0, +-1, +-2, +-1/2, inf (6); the matrices
 * are generated exactly by tools/gen_winograd.py (kernels/winograd3x3_gen.h).
 *
 * transform_weights: OIHW weights k (cout x cin x 3 x 3) -> u, the layout the kernels read
 * (weights_floats(m, cout, cin) floats, the same for every tier): for xi = (i, j) < (m+2)^2,
 * output channel o (cout rounded up to a multiple of 6, the extra ones 0), input channel c,
 *   u[((xi * ceil(cout/6) + o/6) * cin + c) * 6 + o % 6] = (G k[o][c] G^T)[i][j]
 * computed in double (terms with a zero entry of G skipped) and rounded once to float.
 * Run once at load.  Errors: VGS_ERR_INVALID_ARGUMENT (m, NULL, cout or cin 0). */
VGS_API size_t vgs_winograd3x3_weights_floats(int m, size_t cout, size_t cin);
VGS_API vgs_status vgs_winograd3x3_transform_weights(int m, size_t cout, size_t cin, const float *k,
                                                     float *u);
/* Scratch floats one call of a vgs_kernels.winograd3x3_* kernel needs (any tier), and the
 * number of tile rows of an h-row output (ceil(h / m)). */
VGS_API size_t vgs_winograd3x3_scratch_floats(int m, size_t cin);
VGS_API size_t vgs_winograd3x3_tile_rows(int m, size_t h);
/* The matrices, row-major doubles: A^T (m x (m+2)), G ((m+2) x 3), B^T ((m+2) x (m+2)), with
 * A^T ((G g) . (B^T d)) = the correlation sum_k g[k] d[i+k], i < m.  Any pointer may be NULL. */
VGS_API vgs_status vgs_winograd3x3_matrices(int m, const double **at, const double **g,
                                            const double **bt);

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

/* SLEEF is a C library: its functions, which the arch/ISA/vec.h files declare, need C linkage
 * when this implementation is compiled as C++. */
#ifdef __cplusplus
#define VGS__EXTERN_C extern "C"
#else
#define VGS__EXTERN_C extern
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define VGS__X86 1
#include <immintrin.h>
#elif defined(__aarch64__)
#define VGS__ARM64 1
#include <arm_neon.h>
#endif

/* ==========================================================================================
 *  Errors: a thread-local message, set by vgs__fail, which every error path returns through
 * ========================================================================================== */

#if defined(__GNUC__) || defined(__clang__)
#define VGS__PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define VGS__PRINTF(fmt_index, first_arg)
#endif

#if defined(__cplusplus)
#define VGS__THREAD_LOCAL thread_local
#elif defined(_MSC_VER)
#define VGS__THREAD_LOCAL __declspec(thread)
#elif defined(__GNUC__) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L)
#define VGS__THREAD_LOCAL __thread /* C99 and older dialects: the GNU spelling */
#else
#define VGS__THREAD_LOCAL _Thread_local
#endif
static VGS__THREAD_LOCAL char vgs__error[512];

/* Formats the calling thread's last error message and returns `st`.  The arguments must not
 * point into vgs__error itself. */
static vgs_status vgs__fail(vgs_status st, const char *fmt, ...) VGS__PRINTF(2, 3);
static vgs_status vgs__fail(vgs_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vgs__error, sizeof vgs__error, fmt, ap);
    va_end(ap);
    return st;
}

const char *vgs_last_error(void)
{
    return vgs__error;
}

const char *vgs_status_name(vgs_status status)
{
    switch (status) {
    case VGS_OK: return "VGS_OK";
    case VGS_ERR_INVALID_ARGUMENT: return "VGS_ERR_INVALID_ARGUMENT";
    case VGS_ERR_UNSUPPORTED: return "VGS_ERR_UNSUPPORTED";
    case VGS_ERR_IO: return "VGS_ERR_IO";
    case VGS_ERR_FORMAT: return "VGS_ERR_FORMAT";
    case VGS_ERR_SHAPE: return "VGS_ERR_SHAPE";
    case VGS_ERR_MISSING_TENSOR: return "VGS_ERR_MISSING_TENSOR";
    case VGS_ERR_UNKNOWN_TENSOR: return "VGS_ERR_UNKNOWN_TENSOR";
    case VGS_ERR_OUT_OF_MEMORY: return "VGS_ERR_OUT_OF_MEMORY";
    }
    return "VGS_ERR_UNKNOWN_STATUS";
}

/* Names in messages are clipped so that the words after them survive the 512-byte buffer:
 * use the format "%.*s%s" with the three arguments VGS__CLIPPED(s). */
#define VGS__CLIP 96
#define VGS__CLIPPED(s) vgs__clip_len(s), (s), vgs__clip_tail(s)

static int vgs__clip_len(const char *s)
{
    int n = 0;
    while (n < VGS__CLIP && s[n] != '\0') n++;
    return n;
}

static const char *vgs__clip_tail(const char *s)
{
    return s[vgs__clip_len(s)] != '\0' ? "..." : "";
}

/* ==========================================================================================
 *  Weights: the safetensors loader
 *
 *  The whole file is read into one malloc'd block, placed so that the data section (file
 *  offset 8 + header length) starts on a 64-byte boundary; tensor views point into it.  The
 *  JSON header is parsed by a small strict parser that understands exactly what a
 *  safetensors header needs and skips any value inside "__metadata__" (a JSON library would
 *  be one more dependency for a single-header library).  Every check reads within
 *  [start, end) of the header, so hostile input cannot make it read out of bounds.
 * ========================================================================================== */

#define VGS__MAX_HEADER 100000000u       /* same limit as the reference implementation    */
#define VGS__MAX_DIM ((int64_t)1 << 48)  /* no real tensor has a dimension this large     */
#define VGS__MAX_DEPTH 64                /* nesting limit inside "__metadata__"           */
#define VGS__MAX_LABEL 160               /* longer labels (paths) keep their tail         */
#define VGS__DATA_ALIGN 64

typedef struct vgs__entry {
    vgs_tensor_view view;
    uint64_t begin, end; /* data_offsets, relative to the data section */
} vgs__entry;

struct vgs_weights {
    unsigned char *block;    /* malloc'd; holds the file image at some offset         */
    unsigned char *image;    /* the file image: 8-byte length, header, data            */
    char *pool;              /* the label, then every tensor name, NUL-terminated      */
    const char *label;       /* = pool                                                */
    vgs__entry *tensors;     /* in file order                                         */
    vgs__entry **by_name;    /* sorted by name (strcmp), for vgs_weights_find          */
    size_t count, cap;
};

static const struct {
    const char *name;
    size_t size;
} vgs__dtypes[] = {
    /* indexed by vgs_dtype */
    {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8},
    {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U8", 1},  {"BOOL", 1},
};
#define VGS__NUM_DTYPES (sizeof vgs__dtypes / sizeof vgs__dtypes[0])

const char *vgs_dtype_name(vgs_dtype dtype)
{
    if ((unsigned)dtype >= VGS__NUM_DTYPES) return "?";
    return vgs__dtypes[dtype].name;
}

/* "[2,3,1,1]" into buf (large enough for VGS_MAX_DIMS dims: 8 * 21 + 3 bytes). */
static const char *vgs__shape_str(char *buf, size_t size, const int64_t *shape, int ndim)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld",
                                 (long long)shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

/* ---- JSON parsing ------------------------------------------------------------------------ */

typedef struct vgs__json {
    const unsigned char *start, *p, *end; /* the header bytes and the read position       */
    const char *label;
    char *pool;       /* decoded strings go to pool + used                                  */
    size_t used;      /* committed bytes of the pool (label and accepted names)             */
    uint64_t data_size;
} vgs__json;

/* A syntax error at the current position. */
static vgs_status vgs__json_fail(const vgs__json *js, const char *what)
{
    return vgs__fail(VGS_ERR_FORMAT, "%s: invalid JSON in the header at byte %zu: %s",
                     js->label, (size_t)(js->p - js->start), what);
}

/* A problem with one tensor entry: "<label>: tensor '<name>': <detail>". */
static vgs_status vgs__tensor_fail(const vgs__json *js, const char *name, const char *fmt, ...)
    VGS__PRINTF(3, 4);
static vgs_status vgs__tensor_fail(const vgs__json *js, const char *name, const char *fmt, ...)
{
    char detail[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return vgs__fail(VGS_ERR_FORMAT, "%s: tensor '%.*s%s': %s", js->label, VGS__CLIPPED(name),
                     detail);
}

static void vgs__skip_ws(vgs__json *js)
{
    while (js->p < js->end &&
           (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r'))
        js->p++;
}

/* Skips whitespace, then consumes `c` if it is next; returns whether it was. */
static int vgs__accept(vgs__json *js, unsigned char c)
{
    vgs__skip_ws(js);
    if (js->p < js->end && *js->p == c) {
        js->p++;
        return 1;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at p (whose lead byte is >= 0x80), 0 if invalid:
 * truncated, overlong, surrogate and above-U+10FFFF sequences are rejected. */
static size_t vgs__utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t n = 0;
    uint32_t cp, min;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) n = 2, cp = p[0] & 0x1Fu, min = 0x80;
    else if ((p[0] & 0xF0) == 0xE0) n = 3, cp = p[0] & 0x0Fu, min = 0x800;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) n = 4, cp = p[0] & 0x07u, min = 0x10000;
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* Writes code point cp (valid, not a surrogate) as UTF-8; returns the byte count. */
static size_t vgs__utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at p (bounds-checked) into *out; returns 0 if they are not there. */
static int vgs__hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
    uint32_t v = 0;
    if (end - p < 4) return 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        if (c >= '0' && c <= '9') v = v << 4 | (c - '0');
        else if (c >= 'a' && c <= 'f') v = v << 4 | (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v = v << 4 | (c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* The XXXX of a \uXXXX escape (js->p just after the 'u'), with a following \uXXXX low
 * surrogate if XXXX is a high one; appends the UTF-8 encoding at *o. */
static vgs_status vgs__parse_unicode(vgs__json *js, char **o)
{
    uint32_t cp, lo;
    if (!vgs__hex4(js->p, js->end, &cp)) return vgs__json_fail(js, "bad \\u escape");
    js->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return vgs__json_fail(js, "unpaired low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (js->end - js->p < 6 || js->p[0] != '\\' || js->p[1] != 'u' ||
            !vgs__hex4(js->p + 2, js->end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return vgs__json_fail(js, "unpaired high surrogate");
        js->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    *o += vgs__utf8_put(cp, *o);
    return VGS_OK;
}

/* One escape sequence (js->p at the backslash); appends the decoded bytes at *o. */
static vgs_status vgs__parse_escape(vgs__json *js, char **o)
{
    char c;
    if (js->end - js->p < 2) return vgs__json_fail(js, "unterminated string");
    switch (js->p[1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': js->p += 2; return vgs__parse_unicode(js, o);
    default: return vgs__json_fail(js, "invalid escape");
    }
    js->p += 2;
    *(*o)++ = c;
    return VGS_OK;
}

/* A string (after optional whitespace), decoded and NUL-terminated at pool + used but not
 * committed: *out is valid until the next string is parsed, unless the caller adds
 * len + 1 to js->used.  The pool never overflows: it has header length + 1 free bytes and a
 * string's decoded form plus its NUL is always shorter than its JSON form with the quotes. */
static vgs_status vgs__parse_string(vgs__json *js, char **out, size_t *len)
{
    char *dst = js->pool + js->used, *o = dst;
    vgs__skip_ws(js);
    if (js->p >= js->end || *js->p != '"') return vgs__json_fail(js, "expected a string");
    js->p++;
    for (;;) {
        unsigned c;
        if (js->p >= js->end) return vgs__json_fail(js, "unterminated string");
        c = *js->p;
        if (c == '"') break;
        if (c < 0x20) return vgs__json_fail(js, "control character in a string");
        if (c == '\\') {
            vgs_status st = vgs__parse_escape(js, &o);
            if (st != VGS_OK) return st;
        } else if (c < 0x80) {
            *o++ = (char)c;
            js->p++;
        } else {
            size_t n = vgs__utf8_len(js->p, js->end);
            if (n == 0) return vgs__json_fail(js, "invalid UTF-8 in a string");
            memcpy(o, js->p, n);
            o += n;
            js->p += n;
        }
    }
    js->p++; /* closing quote */
    *o = '\0';
    *out = dst;
    *len = (size_t)(o - dst);
    return VGS_OK;
}

static int vgs__is_digit(const vgs__json *js)
{
    return js->p < js->end && *js->p >= '0' && *js->p <= '9';
}

/* A number (after optional whitespace) that must be an integer fitting int64_t. */
static vgs_status vgs__parse_int(vgs__json *js, int64_t *out)
{
    int neg;
    uint64_t v = 0, limit;
    vgs__skip_ws(js);
    neg = js->p < js->end && *js->p == '-';
    js->p += neg;
    if (!vgs__is_digit(js)) return vgs__json_fail(js, "expected an integer");
    if (*js->p == '0' && js->end - js->p > 1 && js->p[1] >= '0' && js->p[1] <= '9')
        return vgs__json_fail(js, "leading zero in a number");
    limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    while (vgs__is_digit(js)) {
        unsigned d = (unsigned)(*js->p - '0');
        if (v > (limit - d) / 10) return vgs__json_fail(js, "integer too large");
        v = v * 10 + d;
        js->p++;
    }
    if (js->p < js->end && (*js->p == '.' || *js->p == 'e' || *js->p == 'E'))
        return vgs__json_fail(js, "expected an integer, found a fraction or exponent");
    if (!neg) *out = (int64_t)v;
    else *out = v == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)v;
    return VGS_OK;
}

/* Any JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static vgs_status vgs__skip_number(vgs__json *js)
{
    if (js->p < js->end && *js->p == '-') js->p++;
    if (!vgs__is_digit(js)) return vgs__json_fail(js, "bad number");
    if (*js->p == '0') js->p++;
    else
        while (vgs__is_digit(js)) js->p++;
    if (js->p < js->end && *js->p == '.') {
        js->p++;
        if (!vgs__is_digit(js)) return vgs__json_fail(js, "bad number");
        while (vgs__is_digit(js)) js->p++;
    }
    if (js->p < js->end && (*js->p == 'e' || *js->p == 'E')) {
        js->p++;
        if (js->p < js->end && (*js->p == '+' || *js->p == '-')) js->p++;
        if (!vgs__is_digit(js)) return vgs__json_fail(js, "bad number");
        while (vgs__is_digit(js)) js->p++;
    }
    return VGS_OK;
}

static vgs_status vgs__skip_literal(vgs__json *js, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(js->end - js->p) < n || memcmp(js->p, word, n) != 0)
        return vgs__json_fail(js, "unexpected character");
    js->p += n;
    return VGS_OK;
}

/* Steps through the elements of an object or array whose opening bracket was consumed.
 * Set *first = 1 before the first call; on return *more says whether an element (or member)
 * follows.  Consumes the separating comma or the closing bracket `close`. */
static vgs_status vgs__next(vgs__json *js, unsigned char close, int *first, int *more)
{
    int was_first = *first;
    *first = 0;
    *more = 0;
    if (vgs__accept(js, close)) return VGS_OK;
    if (was_first || vgs__accept(js, ',')) {
        *more = 1;
        return VGS_OK;
    }
    return vgs__json_fail(js, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
}

/* The key of an object member and the colon after it (uncommitted, as vgs__parse_string). */
static vgs_status vgs__parse_key(vgs__json *js, char **key, size_t *len)
{
    vgs_status st = vgs__parse_string(js, key, len);
    if (st != VGS_OK) return st;
    if (!vgs__accept(js, ':')) return vgs__json_fail(js, "expected ':'");
    return VGS_OK;
}

static int vgs__key_is(const char *key, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(key, word, len) == 0;
}

/* Any JSON value, validated and discarded; `depth` bounds the recursion. */
static vgs_status vgs__skip_value(vgs__json *js, int depth)
{
    vgs_status st = VGS_OK;
    int first = 1, more;
    char *s;
    size_t len;
    if (depth > VGS__MAX_DEPTH) return vgs__json_fail(js, "nested too deeply");
    vgs__skip_ws(js);
    if (js->p >= js->end) return vgs__json_fail(js, "unexpected end of the header");
    switch (*js->p) {
    case '"': return vgs__parse_string(js, &s, &len);
    case 't': return vgs__skip_literal(js, "true");
    case 'f': return vgs__skip_literal(js, "false");
    case 'n': return vgs__skip_literal(js, "null");
    case '{':
        js->p++;
        while ((st = vgs__next(js, '}', &first, &more)) == VGS_OK && more)
            if ((st = vgs__parse_key(js, &s, &len)) != VGS_OK ||
                (st = vgs__skip_value(js, depth + 1)) != VGS_OK)
                break;
        return st;
    case '[':
        js->p++;
        while ((st = vgs__next(js, ']', &first, &more)) == VGS_OK && more)
            if ((st = vgs__skip_value(js, depth + 1)) != VGS_OK) break;
        return st;
    default:
        if (*js->p == '-' || (*js->p >= '0' && *js->p <= '9')) return vgs__skip_number(js);
        return vgs__json_fail(js, "unexpected character");
    }
}

/* ---- tensor entries ---------------------------------------------------------------------- */

static vgs_status vgs__parse_dtype(vgs__json *js, const char *name, vgs_dtype *out)
{
    char *s;
    size_t len;
    vgs__skip_ws(js);
    if (js->p < js->end && *js->p != '"')
        return vgs__tensor_fail(js, name, "\"dtype\" is not a string");
    vgs_status st = vgs__parse_string(js, &s, &len);
    if (st != VGS_OK) return st;
    for (size_t i = 0; i < VGS__NUM_DTYPES; i++)
        if (vgs__key_is(s, len, vgs__dtypes[i].name)) {
            *out = (vgs_dtype)i;
            return VGS_OK;
        }
    return vgs__tensor_fail(js, name, "unknown dtype \"%.*s%s\"", VGS__CLIPPED(s));
}

static vgs_status vgs__parse_shape(vgs__json *js, const char *name, vgs__entry *e)
{
    vgs_status st;
    int first = 1, more;
    if (!vgs__accept(js, '['))
        return vgs__tensor_fail(js, name, "\"shape\" is not an array of integers");
    while ((st = vgs__next(js, ']', &first, &more)) == VGS_OK && more) {
        int64_t d;
        if ((st = vgs__parse_int(js, &d)) != VGS_OK) return st;
        if (e->view.ndim == VGS_MAX_DIMS)
            return vgs__tensor_fail(js, name, "shape has more than %d dimensions (VGS_MAX_DIMS)",
                                    VGS_MAX_DIMS);
        if (d < 0) return vgs__tensor_fail(js, name, "negative dimension %lld", (long long)d);
        if (d > VGS__MAX_DIM)
            return vgs__tensor_fail(js, name, "absurd dimension %lld (limit 2^48)", (long long)d);
        e->view.shape[e->view.ndim++] = d;
    }
    return st;
}

static vgs_status vgs__parse_offsets(vgs__json *js, const char *name, vgs__entry *e)
{
    int64_t v[2];
    if (!vgs__accept(js, '['))
        return vgs__tensor_fail(js, name, "\"data_offsets\" is not an array [begin, end]");
    for (int i = 0; i < 2; i++) {
        vgs_status st;
        if (i == 1 && !vgs__accept(js, ','))
            return vgs__tensor_fail(js, name, "\"data_offsets\" is not [begin, end]");
        if ((st = vgs__parse_int(js, &v[i])) != VGS_OK) return st;
    }
    if (!vgs__accept(js, ']'))
        return vgs__tensor_fail(js, name, "\"data_offsets\" is not [begin, end]");
    if (v[0] < 0 || v[1] < 0)
        return vgs__tensor_fail(js, name, "data_offsets [%lld, %lld] out of range: negative",
                                (long long)v[0], (long long)v[1]);
    e->begin = (uint64_t)v[0];
    e->end = (uint64_t)v[1];
    return VGS_OK;
}

/* Offsets inside the data section, and shape * dtype size == end - begin. */
static vgs_status vgs__check_entry(const vgs__json *js, const char *name, const vgs__entry *e)
{
    char shape[200];
    uint64_t count = 1, size = vgs__dtypes[e->view.dtype].size;
    unsigned long long b = e->begin, en = e->end;
    if (e->begin > e->end)
        return vgs__tensor_fail(js, name, "data_offsets [%llu, %llu] out of range: begin > end",
                                b, en);
    if (e->end > js->data_size)
        return vgs__tensor_fail(js, name,
                                "data_offsets [%llu, %llu] out of range: the data section "
                                "is %llu bytes", b, en, (unsigned long long)js->data_size);
    vgs__shape_str(shape, sizeof shape, e->view.shape, e->view.ndim);
    for (int i = 0; i < e->view.ndim; i++) {
        uint64_t d = (uint64_t)e->view.shape[i];
        if (d != 0 && count > UINT64_MAX / d)
            return vgs__tensor_fail(js, name, "shape %s: element count overflows", shape);
        count *= d;
    }
    if (count > UINT64_MAX / size)
        return vgs__tensor_fail(js, name, "shape %s: byte count overflows", shape);
    if (count * size != e->end - e->begin)
        return vgs__tensor_fail(js, name,
                                "shape %s of %s is %llu bytes but data_offsets [%llu, %llu] "
                                "hold %llu bytes", shape, vgs__dtypes[e->view.dtype].name,
                                (unsigned long long)(count * size), b, en, en - b);
    return VGS_OK;
}

static vgs_status vgs__append(vgs_weights *w, const vgs__entry *e)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        vgs__entry *t;
        if (cap > SIZE_MAX / sizeof *t)
            return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: too many tensors", w->label);
        t = (vgs__entry *)realloc(w->tensors, cap * sizeof *t);
        if (!t) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: out of memory", w->label);
        w->tensors = t;
        w->cap = cap;
    }
    w->tensors[w->count++] = *e;
    return VGS_OK;
}

/* The value of a tensor member: {"dtype": .., "shape": [..], "data_offsets": [b, e]}; other
 * keys are skipped.  `name` is already committed to the pool. */
static vgs_status vgs__parse_tensor(vgs__json *js, vgs_weights *w, const char *name)
{
    static const char *const fields[3] = {"dtype", "shape", "data_offsets"};
    vgs__entry e;
    int seen[3] = {0, 0, 0}, first = 1, more;
    vgs_status st;
    memset(&e, 0, sizeof e);
    e.view.name = name;
    if (!vgs__accept(js, '{')) return vgs__tensor_fail(js, name, "entry is not an object");
    while ((st = vgs__next(js, '}', &first, &more)) == VGS_OK && more) {
        char *key;
        size_t len;
        int f = 0;
        if ((st = vgs__parse_key(js, &key, &len)) != VGS_OK) return st;
        while (f < 3 && !vgs__key_is(key, len, fields[f])) f++;
        if (f < 3 && seen[f]) return vgs__tensor_fail(js, name, "duplicate key \"%s\"", fields[f]);
        if (f < 3) seen[f] = 1;
        if (f == 0) st = vgs__parse_dtype(js, name, &e.view.dtype);
        else if (f == 1) st = vgs__parse_shape(js, name, &e);
        else if (f == 2) st = vgs__parse_offsets(js, name, &e);
        else st = vgs__skip_value(js, 2);
        if (st != VGS_OK) return st;
    }
    if (st != VGS_OK) return st;
    for (int f = 0; f < 3; f++)
        if (!seen[f]) return vgs__tensor_fail(js, name, "missing \"%s\"", fields[f]);
    if ((st = vgs__check_entry(js, name, &e)) != VGS_OK) return st;
    return vgs__append(w, &e);
}

/* The whole header: one object of tensor entries and an optional "__metadata__". */
static vgs_status vgs__parse_header(vgs__json *js, vgs_weights *w)
{
    int first = 1, more;
    vgs_status st;
    if (!vgs__accept(js, '{')) return vgs__json_fail(js, "expected '{'");
    while ((st = vgs__next(js, '}', &first, &more)) == VGS_OK && more) {
        char *key;
        size_t len;
        if ((st = vgs__parse_key(js, &key, &len)) != VGS_OK) return st;
        if (vgs__key_is(key, len, "__metadata__")) {
            st = vgs__skip_value(js, 1);
        } else if (strlen(key) != len) {
            /* a \u0000 would silently truncate the name */
            return vgs__fail(VGS_ERR_FORMAT, "%s: tensor name '%.*s%s' contains \\u0000",
                             js->label, VGS__CLIPPED(key));
        } else {
            js->used += len + 1; /* commit the name to the pool */
            st = vgs__parse_tensor(js, w, key);
        }
        if (st != VGS_OK) return st;
    }
    if (st != VGS_OK) return st;
    vgs__skip_ws(js);
    if (js->p != js->end) return vgs__json_fail(js, "trailing characters after the object");
    return VGS_OK;
}

/* ---- whole-file checks ------------------------------------------------------------------- */

static int vgs__cmp_name(const void *a, const void *b)
{
    return strcmp((*(vgs__entry *const *)a)->view.name, (*(vgs__entry *const *)b)->view.name);
}

static int vgs__cmp_range(const void *a, const void *b)
{
    const vgs__entry *x = *(vgs__entry *const *)a, *y = *(vgs__entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x > y) - (x < y); /* same array: a total, deterministic order */
}

static vgs_status vgs__check_duplicates(vgs_weights *w)
{
    if (w->count == 0) return VGS_OK; /* by_name is NULL */
    for (size_t i = 0; i < w->count; i++) w->by_name[i] = &w->tensors[i];
    qsort(w->by_name, w->count, sizeof *w->by_name, vgs__cmp_name);
    for (size_t i = 1; i < w->count; i++)
        if (strcmp(w->by_name[i - 1]->view.name, w->by_name[i]->view.name) == 0)
            return vgs__fail(VGS_ERR_FORMAT, "%s: duplicate tensor name '%.*s%s'", w->label,
                             VGS__CLIPPED(w->by_name[i]->view.name));
    return VGS_OK;
}

/* After sorting by begin, a non-empty range overlaps an earlier one iff it begins before the
 * largest end seen so far; the tensor with that end is the one it overlaps.  Empty tensors
 * occupy no bytes and overlap nothing. */
static vgs_status vgs__check_overlaps(vgs_weights *w)
{
    vgs__entry **r, *last = NULL;
    vgs_status st = VGS_OK;
    if (w->count < 2) return VGS_OK;
    r = (vgs__entry **)malloc(w->count * sizeof *r);
    if (!r) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: out of memory", w->label);
    for (size_t i = 0; i < w->count; i++) r[i] = &w->tensors[i];
    qsort(r, w->count, sizeof *r, vgs__cmp_range);
    for (size_t i = 0; i < w->count && st == VGS_OK; i++) {
        if (r[i]->begin == r[i]->end) continue;
        if (last && r[i]->begin < last->end)
            st = vgs__fail(VGS_ERR_FORMAT,
                           "%s: data_offsets overlap: tensor '%.*s%s' [%llu, %llu] and "
                           "tensor '%.*s%s' [%llu, %llu]", w->label,
                           VGS__CLIPPED(last->view.name), (unsigned long long)last->begin,
                           (unsigned long long)last->end, VGS__CLIPPED(r[i]->view.name),
                           (unsigned long long)r[i]->begin, (unsigned long long)r[i]->end);
        if (!last || r[i]->end > last->end) last = r[i];
    }
    free(r);
    return st;
}

/* Parses and validates the header of w->image (size bytes, header length n), then points
 * the views at their data. */
static vgs_status vgs__load(vgs_weights *w, size_t size, size_t n)
{
    vgs__json js;
    vgs_status st;
    const unsigned char *data = w->image + 8 + n;
    js.start = js.p = w->image + 8;
    js.end = js.start + n;
    js.label = w->label;
    js.pool = w->pool;
    js.used = strlen(w->label) + 1;
    js.data_size = size - 8 - n;
    if ((st = vgs__parse_header(&js, w)) != VGS_OK) return st;
    if (w->count) {
        w->by_name = (vgs__entry **)malloc(w->count * sizeof *w->by_name);
        if (!w->by_name) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: out of memory", w->label);
    }
    if ((st = vgs__check_duplicates(w)) != VGS_OK) return st;
    if ((st = vgs__check_overlaps(w)) != VGS_OK) return st;
    for (size_t i = 0; i < w->count; i++) {
        vgs__entry *e = &w->tensors[i];
        e->view.data = data + e->begin;
        e->view.nbytes = (size_t)(e->end - e->begin);
    }
    return VGS_OK;
}

/* ---- allocation and the public functions ------------------------------------------------- */

/* Checks the 8-byte prefix (u64 little-endian header length) against the file size. */
static vgs_status vgs__check_prefix(const unsigned char *prefix, size_t size, const char *label,
                                    size_t *n_out)
{
    uint64_t n = 0;
    if (size < 8)
        return vgs__fail(VGS_ERR_FORMAT,
                         "%s: file is %zu bytes, too short for the 8-byte header length", label,
                         size);
    for (int i = 7; i >= 0; i--) n = n << 8 | prefix[i];
    if (n > VGS__MAX_HEADER)
        return vgs__fail(VGS_ERR_FORMAT, "%s: header length %llu exceeds the limit of %u bytes",
                         label, (unsigned long long)n, VGS__MAX_HEADER);
    if (n > size - 8)
        return vgs__fail(VGS_ERR_FORMAT,
                         "%s: header length %llu is past the end of the file (%zu bytes)", label,
                         (unsigned long long)n, size);
    *n_out = (size_t)n;
    return VGS_OK;
}

/* `label` itself, or "..." and its tail if longer than VGS__MAX_LABEL (for paths, the tail
 * is the informative part), so that messages keep their end. */
static const char *vgs__short_label(char buf[VGS__MAX_LABEL + 1], const char *label)
{
    size_t len = strlen(label);
    if (len <= VGS__MAX_LABEL) return label;
    snprintf(buf, VGS__MAX_LABEL + 1, "...%s", label + len - (VGS__MAX_LABEL - 3));
    return buf;
}

/* A weights object with room for a size-byte file with header length n: the image placed so
 * that its data section (offset 8 + n) is VGS__DATA_ALIGN-aligned, the label at the start of
 * the pool, and n + 1 bytes of pool after it for the names (see vgs__parse_string). */
static vgs_status vgs__weights_new(const char *label, size_t size, size_t n, vgs_weights **out)
{
    size_t label_size = strlen(label) + 1, pad;
    vgs_weights *w = (vgs_weights *)calloc(1, sizeof *w);
    if (w && size <= SIZE_MAX - VGS__DATA_ALIGN) {
        w->block = (unsigned char *)malloc(size + VGS__DATA_ALIGN);
        w->pool = (char *)malloc(label_size + n + 1);
    }
    if (!w || !w->block || !w->pool) {
        vgs_weights_close(w);
        return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", label, size);
    }
    pad = (VGS__DATA_ALIGN - ((uintptr_t)w->block + 8 + n) % VGS__DATA_ALIGN) % VGS__DATA_ALIGN;
    w->image = w->block + pad;
    memcpy(w->pool, label, label_size);
    w->label = w->pool;
    *out = w;
    return VGS_OK;
}

void vgs_weights_close(vgs_weights *w)
{
    if (!w) return;
    free(w->block);
    free(w->pool);
    free(w->tensors);
    free(w->by_name);
    free(w);
}

vgs_status vgs_weights_from_memory(const void *bytes, size_t size, const char *label,
                                   vgs_weights **out)
{
    char buf[VGS__MAX_LABEL + 1];
    vgs_weights *w = NULL;
    vgs_status st;
    size_t n = 0;
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_weights_from_memory: out is NULL");
    *out = NULL;
    if (!bytes && size)
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_weights_from_memory: bytes is NULL");
    label = vgs__short_label(buf, label ? label : "<memory>");
    if ((st = vgs__check_prefix((const unsigned char *)bytes, size, label, &n)) != VGS_OK)
        return st;
    if ((st = vgs__weights_new(label, size, n, &w)) != VGS_OK) return st;
    memcpy(w->image, bytes, size);
    if ((st = vgs__load(w, size, n)) != VGS_OK) {
        vgs_weights_close(w);
        return st;
    }
    *out = w;
    return VGS_OK;
}

/* Size of an open file, leaving the position at the start. */
static vgs_status vgs__file_size(FILE *f, const char *path, size_t *size)
{
    long end;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        return vgs__fail(VGS_ERR_IO, "%s: cannot determine the file size: %s", path,
                         strerror(errno));
    if ((unsigned long)end > SIZE_MAX - VGS__DATA_ALIGN)
        return vgs__fail(VGS_ERR_IO, "%s: file too large", path);
    *size = (size_t)end;
    return VGS_OK;
}

/* Reads an open file into a new weights object (not yet parsed); `path` is the label. */
static vgs_status vgs__read_file(FILE *f, const char *path, vgs_weights **out, size_t *size,
                                 size_t *n)
{
    unsigned char prefix[8];
    size_t got;
    vgs_status st = vgs__file_size(f, path, size);
    if (st != VGS_OK) return st;
    got = fread(prefix, 1, *size < 8 ? *size : 8, f);
    if (got != (*size < 8 ? *size : 8))
        return vgs__fail(VGS_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if ((st = vgs__check_prefix(prefix, *size, path, n)) != VGS_OK) return st;
    if ((st = vgs__weights_new(path, *size, *n, out)) != VGS_OK) return st;
    memcpy((*out)->image, prefix, 8);
    if (fread((*out)->image + 8, 1, *size - 8, f) != *size - 8) {
        st = vgs__fail(VGS_ERR_IO, "%s: short read (file changed or unreadable): %s", path,
                       ferror(f) ? strerror(errno) : "unexpected end of file");
        vgs_weights_close(*out);
        *out = NULL;
    }
    return st;
}

vgs_status vgs_weights_open(const char *path, vgs_weights **out)
{
    char buf[VGS__MAX_LABEL + 1];
    vgs_weights *w = NULL;
    vgs_status st;
    size_t size = 0, n = 0;
    FILE *f;
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_weights_open: out is NULL");
    *out = NULL;
    if (!path) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_weights_open: path is NULL");
    f = fopen(path, "rb");
    if (!f)
        return vgs__fail(VGS_ERR_IO, "%s: cannot open: %s", vgs__short_label(buf, path),
                         strerror(errno));
    st = vgs__read_file(f, vgs__short_label(buf, path), &w, &size, &n);
    fclose(f);
    if (st == VGS_OK && (st = vgs__load(w, size, n)) != VGS_OK) vgs_weights_close(w);
    if (st == VGS_OK) *out = w;
    return st;
}

size_t vgs_weights_count(const vgs_weights *w)
{
    return w ? w->count : 0;
}

vgs_status vgs_weights_at(const vgs_weights *w, size_t index, vgs_tensor_view *out)
{
    if (!w || !out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_weights_at: NULL argument");
    if (index >= w->count)
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "%s: tensor index %zu out of range (%zu tensors)", w->label, index,
                         w->count);
    *out = w->tensors[index].view;
    return VGS_OK;
}

/* Binary search in by_name.  `out` may be NULL to only test presence. */
vgs_status vgs_weights_find(const vgs_weights *w, const char *name, vgs_tensor_view *out)
{
    size_t lo = 0, hi;
    if (!w || !name)
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_weights_find: NULL argument");
    hi = w->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, w->by_name[mid]->view.name);
        if (c == 0) {
            if (out) *out = w->by_name[mid]->view;
            return VGS_OK;
        }
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return vgs__fail(VGS_ERR_MISSING_TENSOR, "%s: tensor '%.*s%s' not found", w->label,
                     VGS__CLIPPED(name));
}

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
        vgs_isa want = VGS_ISA_SCALAR;
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

vgs_status vgs_softmax(const float *x, size_t n, float *y)
{
    if (!x || !y || n == 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_softmax: NULL pointer or n == 0");
    vgs_kernels_current()->softmax(n, x, y);
    return VGS_OK;
}

vgs_status vgs_topk(const float *x, size_t n, size_t k, int *indices)
{
    if ((!x && n) || (!indices && k)) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_topk: NULL pointer");
    /* k is small (5): selection by repeated scans keeps it obvious; ties keep the lower index,
     * a number beats a NaN. */
    for (size_t j = 0; j < k; j++) {
        int best = -1;
        for (size_t i = 0; i < n; i++) {
            int taken = 0;
            for (size_t t = 0; t < j; t++) taken |= indices[t] == (int)i;
            if (taken) continue;
            if (best < 0 || x[i] > x[best] || (x[best] != x[best] && x[i] == x[i])) best = (int)i;
        }
        indices[j] = best;
    }
    return VGS_OK;
}

/* ==========================================================================================
 *  Channel shuffle as a permutation
 * ========================================================================================== */
vgs_status vgs_channel_shuffle_map(vgs_shuffle_order order, size_t channels, size_t groups,
                                   int32_t *src)
{
    if (!src) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "channel shuffle: src is NULL");
    if (order != VGS_SHUFFLE_PAPER && order != VGS_SHUFFLE_MEGVII) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "channel shuffle: unknown order %d", (int)order);
    }
    if (groups == 0 || channels % groups != 0) {
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

/* A 64-byte aligned block of nfloats that lives as long as the net (plain malloc, aligned by
 * hand: posix_memalign and aligned_alloc are not in every C dialect a user compiles with). */
static float *vgs__net_alloc(vgs_net *net, size_t nfloats)
{
    if (net->n_allocs == net->cap_allocs) {
        size_t cap = net->cap_allocs ? 2 * net->cap_allocs : 64;
        void **a = (void **)realloc(net->allocs, cap * sizeof *a);
        if (!a) return NULL;
        net->allocs = a;
        net->cap_allocs = cap;
    }
    if (nfloats > ((size_t)-1 - 64) / sizeof(float)) return NULL;
    unsigned char *base = (unsigned char *)malloc(nfloats * sizeof(float) + 64);
    if (!base) return NULL;
    net->allocs[net->n_allocs++] = base;
    return (float *)(void *)(base + (64 - (uintptr_t)base % 64) % 64);
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
    const char **taken; /* names owned by the weights, which outlive the loading */
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
    memset(&t, 0, sizeof t);
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
        const char **a = (const char **)realloc((void *)ld->taken, cap * sizeof *a);
        if (!a) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        ld->taken = a;
        ld->cap_taken = cap;
    }
    ld->taken[ld->n_taken++] = t.name;
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
        memset(&t, 0, sizeof t);
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
 * groups), stages 3 and 4 twice and four times that; the stem = 24 * width rounded to a
 * multiple of 4 (ties up), but Megvii's values where they published a model (g3: 12, 24, 24,
 * 48 and g8: 16, 24, 24, 48 for 0.5x .. 2.0x), raised to the next value for which stage 2's
 * branch (out - stem) splits into the groups.  Explicit counts from the config override. */
static vgs_status vgs__sv1_channels(const vgs_shufflenet_v1_config *cfg, int *stem, int out[3])
{
    const int g = cfg->groups, base = vgs__sv1_base(g);
    if (!base) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V1: groups must be 1, 2, 3, 4 or 8, not %d", g);
    const float width = cfg->stage_channels[0] && cfg->width == 0.0f ? 1.0f : cfg->width;
    if (!(width >= 0.25f && width <= 4.0f)) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V1: width %g outside 0.25 .. 4", cfg->width);
    }
    if (cfg->stage_channels[0]) {
        for (int i = 0; i < 3; i++) out[i] = cfg->stage_channels[i];
    } else {
        const int q = 4 * g;
        const int c2 = (int)((base * width + q / 2) / q) * q;
        out[0] = c2 < q ? q : c2;
        out[1] = 2 * out[0];
        out[2] = 4 * out[0];
    }
    for (int i = 0; i < 3; i++) {
        if (out[i] <= 0 || out[i] % 4 || (out[i] / 4) % g) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                             "ShuffleNet V1: stage %d has %d channels; out/4 must split into %d groups", i + 2, out[i], g);
        }
        if (i > 0 && (out[i] <= out[i - 1] || (out[i] - out[i - 1]) % g)) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                             "ShuffleNet V1: stage %d's stride-2 branch (%d - %d channels) must be > 0 and split into %d groups",
                             i + 2, out[i], out[i - 1], g);
        }
    }
    static const float widths[4] = {0.5f, 1.0f, 1.5f, 2.0f};
    static const int megvii[2][4] = {{12, 24, 24, 48}, {16, 24, 24, 48}};
    int s = (int)(24 * width / 4 + 0.5f) * 4;
    for (int i = 0; i < 4; i++) {
        if (width == widths[i] && (g == 3 || g == 8)) s = megvii[g == 8][i];
    }
    if (s < 4) s = 4;
    while (s < out[0] && (out[0] - s) % g) s++;
    *stem = cfg->stem_channels ? cfg->stem_channels : s;
    if (*stem <= 0 || *stem >= out[0] || (out[0] - *stem) % g) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "ShuffleNet V1: stem %d channels: stage 2's branch (%d - %d) must be > 0 and split into %d groups",
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
    /* Megvii's preprocessing: OpenCV bilinear resize to 256, centre crop 224, BGR, 0..255;
     * for another input size the crop is that size and the resize keeps the 256/224 ratio. */
    const vgs_preprocess pp = {(int)((h > w ? h : w) * 256.0 / 224.0 + 0.5), h, w, 1, 1.0f, {0, 0, 0}, {1, 1, 1}};
    net->pp = pp;
    vgs__loader ld = {weights, net, NULL, 0, 0};
    st = vgs__sv1_load(&ld, cfg, net);
    free((void *)ld.taken);
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
    k->conv3x3s2p1(3, (size_t)net->stem_c, h, w, x, h * w, net->stem_w, net->stem_b, b, sh * sw, 0.0f, inf);
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
        (u->stride == 2 ? k->dwconv3x3s2p1 : k->dwconv3x3s1p1)((size_t)u->mid_c, h, w, net->mid1, hw, u->wdw, u->bdw,
                                                               net->mid2, ohw, u->dw_dst, -inf, inf);
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
                         "unknown model '%s' (known: shufflenet_v1_gG_xW, G in 1,2,3,4,8, W such as 0_5, 1_0, 1_5, 2_0)",
                         model);
    }
    vgs_weights *w;
    vgs_status st = vgs_weights_open(weights_path, &w);
    if (st != VGS_OK) return st;
    st = vgs_shufflenet_v1_create(&cfg, w, options, out);
    vgs_weights_close(w);
    if (st == VGS_ERR_SHAPE || st == VGS_ERR_MISSING_TENSOR || st == VGS_ERR_UNKNOWN_TENSOR) {
        char why[sizeof vgs__error];
        snprintf(why, sizeof why, "%s", vgs_last_error());
        vgs__fail(st, "%s as %s: %s (are these weights of that model?)", weights_path, model, why);
    }
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
    if (pp->crop_height <= 0 || pp->crop_width <= 0 || pp->resize_short < 1) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: crop %dx%d / resize %d must be positive",
                         pp->crop_height, pp->crop_width, pp->resize_short);
    }
    /* Megvii's OpencvResize: the short side becomes S, the long one int(S / short * long + 0.5). */
    int rw, rh;
    if (height < width) rh = pp->resize_short, rw = (int)((double)pp->resize_short / height * width + 0.5);
    else rw = pp->resize_short, rh = (int)((double)pp->resize_short / width * height + 0.5);
    if (pp->crop_height > rh || pp->crop_width > rw) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: crop %dx%d exceeds the resized image %dx%d",
                         pp->crop_height, pp->crop_width, rh, rw);
    }
    const int top = vgs__round_half_even((rh - pp->crop_height) / 2.0);
    const int left = vgs__round_half_even((rw - pp->crop_width) / 2.0);
    const size_t plane = (size_t)pp->crop_height * (size_t)pp->crop_width;
    for (int y = 0; y < pp->crop_height; y++) {
        int y0, y1, x0, x1;
        float fy, fx;
        vgs__linear_coord(y + top, (double)height / rh, height, &y0, &y1, &fy);
        for (int x = 0; x < pp->crop_width; x++) {
            vgs__linear_coord(x + left, (double)width / rw, width, &x0, &x1, &fx);
            for (int c = 0; c < 3; c++) {
                const uint8_t *r0 = rgb + (size_t)y0 * stride, *r1 = rgb + (size_t)y1 * stride;
                const float top_v = r0[x0 * 3 + c] + fx * (r0[x1 * 3 + c] - r0[x0 * 3 + c]);
                const float bot_v = r1[x0 * 3 + c] + fx * (r1[x1 * 3 + c] - r1[x0 * 3 + c]);
                /* OpenCV resizes 8-bit images to 8-bit: round to the nearest integer */
                const float v = floorf(top_v + fy * (bot_v - top_v) + 0.5f);
                const int oc = pp->bgr ? 2 - c : c;
                out[(size_t)oc * plane + (size_t)y * pp->crop_width + x] = (v * pp->scale - pp->mean[oc]) / pp->std[oc];
            }
        }
    }
    return VGS_OK;
}

#endif /* VGS_IMPLEMENTATION */
