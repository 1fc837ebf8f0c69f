/* vggshuffle.h — SIMD kernels for CNN inference on CPUs, and the VGG and ShuffleNet
 * networks built from them.  One include, header-only, C99 + a few GCC/Clang extensions.
 * Copyright (c) 2026 the vggshuffle authors.  MIT licence (SPDX: MIT), text in LICENSE.
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
 *  In the source tree the implementation is spread over `kernels/` (one generic body per
 *  kernel family), `arch/` (one folder per ISA: the vector layer and the instantiation of
 *  every family) and `nets/` (one builder per model family) next to this file, which
 *  includes them: keep them together.  The generated single file (build/single/vggshuffle.h,
 *  tools/amalgamate.py) has them all inlined and needs nothing beside it.
 *
 *  The layers, each using only those before it: errors -> weights (safetensors) -> dispatch
 *  and kernels -> the runtime (a net is a planned list of layers over one arena, run by a
 *  thread pool) -> the model builders (nets/) -> the by-name entry point vgs_net_create.
 *  Nets are bit-identical for any number of threads, and per image for any batch.
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
 *  |                      |         | static: -Wno-unused-function quiets -Wall on unused ones |
 *
 *  Environment variable at run time: VGS_ISA=scalar|avx2|avx512|neon forces a tier
 *  (an unsupported tier makes vgs_isa_current() fall back to the best one and records why
 *  in vgs_last_error(); vgs_isa_force() returns an error instead).  VGS_NUM_THREADS=N (1..256)
 *  is the thread count of nets created with vgs_net_options.num_threads 0 (default: one per
 *  online core; another value is ignored, and why is recorded in vgs_last_error()).
 *  VGS_AVX512_HALVES=0|1 overrides whether the AVX-512 tier treats this processor as one
 *  that runs 512-bit operations in two halves (vgs_x86_avx512_halves: AMD Zen 4).
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
    VGS_ERR_OUT_OF_MEMORY,
    VGS_ERR_BUSY              /* the net is already running a forward pass (another thread)  */
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
 *  x86-64: AVX2 is used only when CPUID reports AVX2, FMA and F16C and XGETBV shows the OS saves
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

/* The x86-64 tier decision as a pure function of what the processor answered (advanced:
 * vgs_isa_supported feeds it this CPU's values; tests and tools can feed it any).
 *   max_leaf    CPUID leaf 0, EAX: the highest standard leaf (leaf 7 is read only if >= 7)
 *   leaf1_ecx   CPUID leaf 1, ECX: FMA (bit 12), OSXSAVE (27), AVX (28), F16C (29)
 *   leaf7_ebx   CPUID leaf 7 subleaf 0, EBX: AVX2 (bit 5), AVX512F (16), DQ (17), BW (30), VL (31)
 *   xcr0        XGETBV(0), which exists only if OSXSAVE is set (then 0 is passed)
 * Returns the tiers this CPU and OS can run as a bit set, bit i for vgs_isa i: scalar always;
 * AVX2 with AVX, OSXSAVE, XCR0 bits 1 and 2 (XMM, YMM state), leaf 7, AVX2, FMA and F16C
 * (the fp16 FC weights' VCVTPH2PS; every AVX2 processor has it); AVX-512 with all of that, F,
 * DQ, BW, VL and XCR0 bits 5, 6, 7 (opmask, ZMM state).  So AVX-512 advertised with the ZMM
 * state off gives AVX2, AVX2 without FMA or F16C scalar.  Whether a tier is
 * compiled into this build is not its concern (vgs_isa_supported adds that). */
typedef struct vgs_x86_cpuid {
    uint32_t max_leaf, leaf1_ecx, leaf7_ebx;
    uint64_t xcr0;
} vgs_x86_cpuid;
VGS_API unsigned vgs_x86_tiers(const vgs_x86_cpuid *id);

/* Denormals (subnormal floats) off for a stretch of float work, in the calling thread:
 * returns the current floating-point control state and sets flush-to-zero and
 * denormals-are-zero (x86-64: MXCSR bits FTZ 15 and DAZ 6; aarch64: FPCR bit FZ 24, which does
 * both); vgs_fp_restore(saved) puts the state back exactly (x86: with the sticky exception
 * flags of MXCSR, so flags raised in between are dropped).  In between, a denormal input of
 * an operation reads as zero and a denormal result is stored as zero (of the same sign): no
 * pass slows down on denormal activations (microcode assists cost ~100 cycles each on x86),
 * at a cost below 2^-126 in absolute value per operation.  vgs_net_forward runs inside such a
 * pair; kernels called directly run in whatever state the caller set.  Other architectures:
 * nothing is changed (returns 0). */
VGS_API uint64_t vgs_fp_flush_denormals(void);
VGS_API void vgs_fp_restore(uint64_t saved);

/* ==========================================================================================
 *  WEIGHTS (safetensors)
 * ==========================================================================================
 *  Format: https://github.com/huggingface/safetensors — u64 little-endian header length N,
 *  N bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
 *  "__metadata__": {...}}, then the data; offsets are relative to the end of the header.
 *  Opening validates everything: header length within the file, well-formed JSON, known
 *  dtypes, shape * dtype size == end - begin, one "__metadata__" at most, offsets inside the
 *  data, and the tensors covering the data section exactly (no overlap, no gap: a byte no
 *  tensor owns is an error, as in the format's reference implementation).
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

/* Read and validate a .safetensors file (or a pipe, e.g. /dev/stdin: read to its end, taking
 * up to three times its size in memory while it loads).  Errors: VGS_ERR_IO (cannot open/read),
 * VGS_ERR_FORMAT (malformed; a PyTorch checkpoint is named as one, with how to convert it),
 * VGS_ERR_OUT_OF_MEMORY.  *out is NULL on error. */
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
 *    vgg11 vgg13 vgg16 vgg19, vgg11_bn ... vgg19_bn
 *                          torchvision's VGG (configurations A, B, D, E) and tensor names.
 *    shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0
 *                          torchvision 0.14's ShuffleNet V2 and its state_dict names
 *                          (conv1.0.weight, stage2.0.branch1.0.weight, ..., fc.bias), converted
 *                          to safetensors; torchvision's preprocessing (RGB, /255, ImageNet
 *                          mean and std).  vgs_shufflenet_v2_config for other channel counts. */

typedef enum vgs_shuffle_order {
    /* Zhang et al. 2017, "ShuffleNet", Fig. 1: reshape (g, C/g), transpose, flatten:
     * output channel j*g + i = input channel i*(C/g) + j. */
    VGS_SHUFFLE_PAPER = 0,
    /* Megvii ShuffleNet-Series (the released weights): reshape (C/g, g), transpose, flatten:
     * output channel i*(C/g) + j = input channel j*g + i. */
    VGS_SHUFFLE_MEGVII = 1
} vgs_shuffle_order;

/* A host's parallel-for (optional, see vgs_net_options.parallel_for): call task(arg, i) once
 * for every i < n, on any threads and in any order, and return when all calls have returned. */
typedef void (*vgs_task_fn)(void *arg, size_t i);
typedef void (*vgs_parallel_for_fn)(void *ctx, size_t n, vgs_task_fn task, void *arg);

/* Options of vgs_net_create and the model builders; NULL or all zeros = the defaults.
 * Declare it zero-initialised ({0} or memset) so that fields added later stay at 0. */
typedef struct vgs_net_options {
    int num_threads;   /* threads a forward pass runs on, the caller's included; 0 = the
                          environment's VGS_NUM_THREADS (1..256) if set, else one per online
                          core; 1 = the calling thread only.  The net owns a pool of
                          num_threads - 1 POSIX threads, created with it.                      */
    int input_height;  /* input H, W the net is planned for; 0 = the model's (224).           */
    int input_width;
    int max_batch;     /* images one pass takes at once (the workspace is sized for it);
                          0 = 1.  vgs_net_forward takes any n: larger batches run in chunks. */
    vgs_parallel_for_fn parallel_for; /* optional: run the tasks on the host's own pool
                                         instead of the net's; num_threads is then the most
                                         tasks it runs at once (0 = cores): per-thread
                                         scratch is sized for that many                     */
    void *parallel_ctx;               /* passed to parallel_for                            */
    int winograd;      /* 3x3 stride-1 convolutions (VGG): 0 = the algorithm chosen per layer
                          by shape; 2, 4 or 6 = Winograd F(m x m, 3 x 3) for every one of
                          them; -1 = direct convolution for every one (tests, benchmarks)  */
    int fc_weights;    /* storage of the fully connected layers' weights (vgs_fc_weights):
                          VGS_FC_F32 (0, the default) as given; VGS_FC_BF16 (1) or VGS_FC_F16
                          (2): rounded once at create, to nearest even, to bfloat16
                          (vgs_f32_to_bf16: 8 significant bits, relative error <= 2^-8, the
                          float range) or IEEE half (vgs_f32_to_f16: 11 bits, <= 2^-11 down
                          to |w| = 2^-14, an absolute 2^-25 below; |w| at most 65504).
                          Activations, biases and sums stay float32.  Half the memory and half
                          the bytes streamed per pass (VGG16: 247 MB instead of 494; its
                          classifier is memory-bound: classifier.0 1.75x (bf16) / 1.9x (f16)
                          faster at 1 thread, bench/README.md).  F16: a weight that would
                          round to infinity (|w| >= 65520) fails create with
                          VGS_ERR_INVALID_ARGUMENT naming it (use BF16 or F32 for such a
                          model); NaN and infinity are kept.  Either changes the logits.
                          Measured (tools/fc_weights_accuracy.py, 2 images + 16 random inputs;
                          max |logit change| / max |logit|, inputs with the same top-1 class
                          and top-5 set, of 18):
                            ShuffleNet V1 g3 / g8 0.5x, real weights: bf16 0.19 % / 0.24 %,
                            top-1 18 / 18, top-5 17 / 18; f16 0.026 % / 0.025 %, top-1 18 / 18,
                            top-5 17 / 18;
                            VGG16 with ../shared/peers' random weights (an ill-conditioned
                            classifier: its logits cancel heavily): bf16 5.5 %, top-1 15,
                            top-5 11; f16 0.62 %, top-1 18, top-5 17.
                          f16 keeps 8x bf16's precision for the same bytes and speed; bf16
                          for weights beyond 65504 (or many below 2^-14 = 6.1e-5, where
                          halves are subnormal and lose bits).  Check your own model first. */
    int conv_maxpool;  /* a 3x3/s2 max-pool that alone reads a stride-2 3x3 convolution's
                          output (the ShuffleNets' stem): 1 = fused into it, one layer
                          (the convolution's rows are computed a band at a time into the
                          thread's scratch and pooled from there: its output never exists
                          whole); -1 = run as two layers; 0 (default) = fused where that
                          pays, on more than one thread (stem 0.78-0.86x the time at 2,
                          level at 1).  The logits are bit-identical either way.  Any
                          other value: VGS_ERR_INVALID_ARGUMENT.                            */
} vgs_net_options;

/* vgs_net_options.fc_weights */
typedef enum vgs_fc_weights {
    VGS_FC_F32 = 0,
    VGS_FC_BF16 = 1,
    VGS_FC_F16 = 2
} vgs_fc_weights;

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

typedef struct vgs_shufflenet_v2_config {
    float width;               /* 0.5, 1.0, 1.5 or 2.0: torchvision's channel tables (stem 24;
                                  stages 48/96/192, 116/232/464, 176/352/704, 244/488/976;
                                  conv5 1024, 2048 for 2.0); ignored when stage_channels are given */
    int num_classes;           /* 1000 for ImageNet                                     */
    /* Optional explicit counts (0 = from the width; with stage_channels but no stem / conv5:
     * 24 / 1024): the stem's output, stages 2, 3, 4 (even: each unit is two halves), conv5. */
    int stem_channels;
    int stage_channels[3];
    int last_channels;
} vgs_shufflenet_v2_config;

/* Channel shuffle as a permutation: src[o] = the input channel that becomes output channel o,
 * for `channels` channels in `groups` groups and the given order (see vgs_shuffle_order).
 * E.g. channels 12, groups 4, paper order: src = 0,3,6,9,1,4,7,10,2,5,8,11.  No kernel ever
 * moves data for it: the kernel producing the channels writes channel src[o] to plane o.
 * Errors: VGS_ERR_INVALID_ARGUMENT (src NULL, unknown order, channels 0 or above 2^31 - 1,
 * groups 0 or not dividing channels). */
VGS_API vgs_status vgs_channel_shuffle_map(vgs_shuffle_order order, size_t channels,
                                           size_t groups, int32_t *src);

/* ShuffleNet V2's split + concat + shuffle(2 groups) of a stride-1 unit as bookkeeping, no
 * data moved: a tensor's logical channel l lives in plane perm[l]; the unit keeps x1 =
 * channels [0, C/2) where they are and writes its branch's channel j into the plane of x2's
 * channel j (perm[C/2 + j]); the unit's output channel l then lies in plane next[l]:
 * next[2j] = perm[j], next[2j + 1] = perm[C/2 + j].  (A stride-2 unit writes a new tensor
 * in order: branch1's channel j to plane 2j, branch2's to 2j + 1.)
 * Errors: VGS_ERR_INVALID_ARGUMENT (NULL or aliased maps, channels odd or 0). */
VGS_API vgs_status vgs_channel_split_shuffle_map(size_t channels, const int32_t *perm,
                                                 int32_t *next);

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
 * Errors: VGS_ERR_INVALID_ARGUMENT (unknown model name), VGS_ERR_IO / VGS_ERR_FORMAT (file; also
 * a tensor the model takes stored as another dtype than F32), VGS_ERR_MISSING_TENSOR /
 * VGS_ERR_UNKNOWN_TENSOR / VGS_ERR_SHAPE (weights do not fit the model; the message names the
 * file and the tensor), VGS_ERR_INVALID_ARGUMENT (options),
 * VGS_ERR_OUT_OF_MEMORY (including a thread that could not be started). */
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

/* VGG (Simonyan & Zisserman 2015) as torchvision 0.14 defines it: five blocks of 3x3
 * convolutions (+ BatchNorm for the _bn variants) + ReLU, each ended by a 2x2 max-pool;
 * adaptive average pool to 7 x 7 (any input of at least 32 x 32); classifier 25088 -> 4096
 * -> 4096 -> classes with ReLU.  torchvision's tensor names (features.N.*, classifier.N.*)
 * and preprocessing (RGB, 0..1, ImageNet mean and std).  BN is folded and every tensor the
 * net needs copied at create (the weights may be closed after).  The 3x3 convolutions run
 * by Winograd F(2,3), F(4,3) or F(6,3) or directly, chosen per layer by shape (or forced by
 * vgs_net_options.winograd); a block's max-pool is fused into a Winograd convolution.
 * Errors: as vgs_net_create. */
typedef struct vgs_vgg_config {
    int depth;              /* 11, 13, 16 or 19                                            */
    int batch_norm;         /* 1: the _bn variant                                          */
    int num_classes;        /* 1000 for ImageNet                                            */
    /* Optional (0 = torchvision's): the five blocks' channels (64, 128, 256, 512, 512) and
     * the classifier's hidden width (4096): smaller ones make small models of the same
     * structure and names (tests). */
    int block_channels[5];
    int hidden;
} vgs_vgg_config;

VGS_API vgs_status vgs_vgg_create(const vgs_vgg_config *config, const vgs_weights *weights,
                                  const vgs_net_options *options, vgs_net **out);

/* ShuffleNet V2 (Ma et al., ECCV 2018) exactly as torchvision 0.14 (models/shufflenetv2.py),
 * from its state_dict names: conv1 (conv3x3/s2 + BN + ReLU), max-pool 3x3/s2, stages of
 * 4/8/4 units (stride-2 units: two branches; stride-1 units: split, one branch), each unit
 * followed by a channel shuffle of 2 groups, conv5 (1x1 + BN + ReLU), mean, fc (with bias).
 * Split, concat and shuffle move no data (see nets/shufflenet_v2.h).  BN is folded; the
 * weights may be closed right after.  Errors: as vgs_net_create. */
VGS_API vgs_status vgs_shufflenet_v2_create(const vgs_shufflenet_v2_config *config,
                                            const vgs_weights *weights,
                                            const vgs_net_options *options, vgs_net **out);

VGS_API void vgs_net_destroy(vgs_net *net); /* NULL is fine */
VGS_API int vgs_net_num_classes(const vgs_net *net);
/* Input shape of one image (C, H, W) the net was planned for. */
VGS_API void vgs_net_input_shape(const vgs_net *net, int *c, int *h, int *w);
/* Preprocessing the weights were trained with. */
VGS_API const vgs_preprocess *vgs_net_preprocess(const vgs_net *net);

/* Forward pass.  x: float32 NCHW, n x C x H x W as vgs_net_input_shape (3 x 224 x 224 unless
 * vgs_net_options said otherwise); logits: n x num_classes floats (pre-softmax), logits_len
 * is its length in floats.  Up to max_batch images go through every layer together (the
 * weights of a fully connected layer are read once per such chunk); a larger n runs in
 * chunks.  Nothing is allocated: the workspace was planned and allocated at create.
 *
 * Threads and determinism: every layer splits its work into tasks by a partition that
 * depends only on the layer's shape (never on the thread count), each output element is
 * computed by exactly one task, and every sum is taken in a fixed order.  So the logits are
 * bit-identical for any num_threads (or host parallel_for), and image i of a batch gives
 * bit-identical logits to the same image run alone.  They do depend on the tier.
 *
 * One forward at a time per net: a call while another is running on the same net (from
 * another thread) returns VGS_ERR_BUSY and touches nothing; use one net per thread.
 * Runs with denormals flushed to zero (vgs_fp_flush_denormals, on every thread that runs a
 * task; each thread's floating-point state is restored after).  No finiteness checks are made:
 * NaN and infinities propagate by the kernels' rules (see KERNELS), as in PyTorch.
 * Errors: VGS_ERR_INVALID_ARGUMENT (NULL, n == 0), VGS_ERR_SHAPE (logits_len too small),
 * VGS_ERR_BUSY. */
VGS_API vgs_status vgs_net_forward(vgs_net *net, const float *x, size_t n, float *logits,
                                   size_t logits_len);

/* Size in bytes of the activation workspace (one arena, planned from the tensors' lifetimes
 * for max_batch images) the net allocated at create. */
VGS_API size_t vgs_net_workspace_size(const vgs_net *net);
/* Bytes the net holds after create: its weights as stored (BatchNorm folded, Winograd
 * transforms, bf16 / fp16 FC weights if asked), the workspace and the threads' scratch; the peak
 * memory of forward passes beyond the caller's input and logits (nothing more is allocated
 * there).  During create the weights file is also in memory.  On Linux the weights a pass
 * streams, the workspace and the scratch sit in chunks of 2 MB pages (madvise MADV_HUGEPAGE:
 * fewer TLB misses; the system's transparent_hugepage setting decides); a chunk's unused end,
 * under 2 MB, is not counted here. */
VGS_API size_t vgs_net_memory_size(const vgs_net *net);
/* Threads a forward pass runs on (1 when a host parallel_for is used). */
VGS_API int vgs_net_num_threads(const vgs_net *net);

/* Profile: the net is a list of layers, run in order.  vgs_net_layer_info describes layer
 * `index` (< vgs_net_num_layers) as of the last forward pass. */
typedef struct vgs_layer_info {
    const char *name;     /* the weights' prefix, e.g. "features.4.branch_main_1.0"; a stem
                             convolution with its max-pool fused: "first_conv.0+maxpool"     */
    const char *kind;     /* "conv3x3", "conv1x1", "dwconv3x3", "maxpool3x3", "avgpool3x3",
                             "global_avgpool", "linear"                                     */
    const char *kernel;   /* the kernel it calls on the current tier, e.g.
                             "vgs_f32_gemm_6x16__avx2"                                       */
    int n, c, h, w;       /* output shape; n = images of the last pass (its last chunk)       */
    size_t tasks;         /* tasks per image (per chunk for "linear"): the parallel partition */
    double flops;         /* floating-point operations (a multiply-add = 2) for n images      */
    double bytes_read;    /* activations and weights the layer reads, for n images            */
    double bytes_written; /* activations it writes, for n images                              */
    double ms;            /* wall time of the layer in the last pass (its last chunk)          */
} vgs_layer_info;

VGS_API size_t vgs_net_num_layers(const vgs_net *net);
/* The strings stay valid as long as the net.  Errors: VGS_ERR_INVALID_ARGUMENT (NULL, index
 * out of range). */
VGS_API vgs_status vgs_net_layer_info(const vgs_net *net, size_t index, vgs_layer_info *out);

/* ==========================================================================================
 *  PRE- AND POST-PROCESSING
 * ========================================================================================== */

/* Image (8-bit RGB, rows `stride` bytes apart) -> float32 CHW tensor 3 x crop_height x
 * crop_width (out must hold that many floats): resize the shorter side to pp->resize_short
 * with bilinear interpolation (OpenCV INTER_LINEAR: half-pixel centres, no antialiasing;
 * Megvii's OpencvResize), centre crop (torchvision CenterCrop offsets), optional RGB->BGR,
 * value = (pixel * scale - mean) / std.  vgs_net_preprocess(net) gives the net's settings,
 * whose crop is the net's input size.  Errors: VGS_ERR_INVALID_ARGUMENT (NULL, sizes, a crop
 * larger than the resized image, bgr not 0 or 1, a std of 0, a scale, mean or std not finite). */
VGS_API vgs_status vgs_preprocess_rgb8(const uint8_t *rgb, int width, int height, size_t stride,
                                       const vgs_preprocess *pp, float *out);

/* Softmax over n floats (x and y may alias): y = exp(x - max) / sum, computed with the
 * current tier's kernel (SLEEF expf, 1.0 ULP).  A NaN or +inf in x makes every y NaN; a -inf
 * gives 0 there.
 * Errors: VGS_ERR_INVALID_ARGUMENT (x or y NULL, n == 0). */
VGS_API vgs_status vgs_softmax(const float *x, size_t n, float *y);

/* Indices of the k largest of x[0..n) in decreasing order (ties: lower index first; NaNs
 * rank below every number, among themselves by index); indices[j] = -1 for j >= n.
 * O(n log k) time, no allocation (any k: 1000000 is fine).
 * Errors: VGS_ERR_INVALID_ARGUMENT (x or indices NULL, n > INT_MAX). */
VGS_API vgs_status vgs_topk(const float *x, size_t n, size_t k, int *indices);

/* ==========================================================================================
 *  KERNELS (advanced)
 * ==========================================================================================
 *  The networks are built from these.  Each family has one generic body (kernels/NAME.h)
 *  instantiated per ISA (arch/ISA/), named like XNNPACK's microkernels:
 *  vgs_f32_gemm_6x16__avx2, vgs_f32_conv3x3s2p1__neon, ...  Parameters are pointers, sizes
 *  (in elements) and strides (in floats); all tensors are float32 NCHW planes with contiguous
 *  rows.  `out_min`/`out_max` clamp the result (ReLU: 0, +INFINITY; none: -INFINITY, +INFINITY;
 *  out_min <= out_max, neither NaN).  No kernel allocates, fails or reads outside the ranges given.
 *
 *  NaN and infinities, as in PyTorch and identically on every tier, in vector bodies and tails
 *  (tests/check_nan.c puts them at every position):
 *    - a clamp never turns a NaN into a number or an infinity: ReLU(NaN) = NaN, ReLU(-inf) = 0,
 *      ReLU(+inf) = +inf; "none" leaves every value as it is;
 *    - sums (GEMM, convolutions, fc, average pools) are IEEE arithmetic: a NaN term gives NaN,
 *      +inf and -inf terms together give NaN, as does 0 * inf;
 *    - max pooling: a window holding a NaN gives NaN, one holding +inf (and no NaN) +inf;
 *    - global_avgpool of hw = 0 pixels gives 0, the empty sum (PyTorch rejects an empty input;
 *      a kernel cannot fail);
 *    - softmax: a NaN or +inf anywhere makes every output NaN, -inf gives exactly 0 there;
 *      large finite logits are safe (the maximum is subtracted first).                      */

/* The Winograd convolution kernels' type (vgs_kernels.winograd3x3_*). */
typedef void (*vgs_winograd3x3_fn)(size_t cin, size_t cout, size_t h, size_t w, const float *x,
                                   size_t x_cstride, const float *u, const float *bias, float *y,
                                   size_t y_cstride, float out_min, float out_max, int pool,
                                   size_t tile_row_begin, size_t tile_row_end, size_t oc_begin,
                                   size_t oc_end, float *scratch);

/* Floats of the GEMM's packing scratch for k input channels: B packed 256 columns at a
 * time (a multiple of every tier's tile width), k rows of them. */
#define VGS_GEMM_SCRATCH_FLOATS(k) ((size_t)(k) * 256u)
/* Floats of vgs_kernels.gemm_pack_b's panels for n columns and k rows: the columns rounded up
 * to the widest tier's tile (AVX-512's 64), k rows of them. */
#define VGS_GEMM_PANEL_FLOATS(n, k) (((size_t)(n) + 63u) / 64u * 64u * (size_t)(k))
/* The GEMM reads its weights A packed (vgs_gemm_pack_a): in blocks of VGS_GEMM_PACK_ROWS rows
 * (every tier's tile height), each block k x 6 floats, column p of the block's rows at
 * [p*6 .. p*6+5]: one sequential stream a tile, where the row-major weights are six streams a
 * row apart.  VGS_GEMM_PACKED_A_FLOATS(m, k): floats of m rows packed (the last block's rows
 * past m are zeros, computed and never stored). */
#define VGS_GEMM_PACK_ROWS 6
#define VGS_GEMM_PACKED_A_FLOATS(m, k) (((size_t)(m) + 5u) / 6u * 6u * (size_t)(k))

typedef struct vgs_kernels {
    vgs_isa isa;
    size_t vector_width;         /* floats per vector register (scalar: 1)      */
    const char *gemm_name;       /* e.g. "vgs_f32_gemm_6x16__avx2"              */

    /* Grouped 1x1 convolution, one group, as GEMM (microkernel mr x nr over output channels
     * x pixels):  c[ci(i)*c_stride + j] = clamp(bias[i] + sum_p A[i][p] * b[bi(p)*b_stride + j]
     *                                            + r[i*r_stride + j])
     * for i < m (output channels), j < n (pixels, H*W), p < k (input channels of the group),
     * with bi(p) = b_index[p] and ci(i) = c_index[i], or the identity where the index is NULL.
     * a: the group's OI weights A (m x k) packed by vgs_gemm_pack_a: A[i][p] at
     * a[(i/6)*a_stride + p*6 + i%6], a_stride >= 6*k (the packer's dst_stride), every block
     * whole (VGS_GEMM_PACKED_A_FLOATS(m, k) floats for a_stride = 6*k); b: input planes (b_stride = channel stride, so any channel
     * subset with a constant stride is read in place, and any other subset through b_index:
     * input channel p is plane b_index[p]); c: output planes (c_index: output channel i is
     * stored to plane c_index[i]; the indices must be distinct, >= 0).  bias and r may be
     * NULL.  The residual r is added before the clamp (ShuffleNet's ReLU(x + branch)); its
     * rows are not indexed.  The indexes are ShuffleNet V2's zero-copy split / concat /
     * shuffle: a unit reads its half of the channels and writes its branch wherever they
     * lie; without them the kernel runs the same code as if they did not exist.
     * scratch: NULL, or VGS_GEMM_SCRATCH_FLOATS(k) floats of the caller's (one per thread;
     * contents ignored, overwritten), where the kernel may pack B into contiguous panels
     * (it does where that pays: B gathered through b_index, rows a page or more apart with
     * k >= 64, or k >= 200; and at least two tiles of rows).  The results are bit-identical
     * with and without it: packing changes where B is read from, not any output's arithmetic. */
    void (*gemm)(size_t m, size_t n, size_t k, const float *a, size_t a_stride,
                 const float *b, size_t b_stride, const int32_t *b_index, const float *bias,
                 const float *r, size_t r_stride, float *c, size_t c_stride,
                 const int32_t *c_index, float out_min, float out_max, float *scratch);

    /* Dense 3x3 convolution, zero padding 1, stride 1 (s1) or 2 (s2), NCHW:  cin input planes
     * (h x w, plane i at x + i*x_cstride) into cout output planes (oh x ow, plane o at
     * y + o*y_cstride), weights k OIHW (cout x cin x 3 x 3), bias (cout, may be NULL):
     *   y_o[oy][ox] = clamp(bias[o] + sum_{i,ky,kx} k[((o*cin + i)*3 + ky)*3 + kx] * x_i[S*oy+ky-1][S*ox+kx-1])
     * s1: oh = h, ow = w.  s2: oh = (h+1)/2, ow = (w+1)/2.  Only the output rows
     * oy0 <= oy < min(oy1, oh) are computed and written (y still points at row 0 of plane 0;
     * 0, SIZE_MAX: all of them): bands of rows are independent tasks, each reading only the
     * input rows its outputs need.  Made for few input channels (the RGB stem: cin = 3); with
     * more than 4, partial sums go through y between slices of 4. */
    void (*conv3x3s1p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
                        const float *k, const float *bias, float *y, size_t y_cstride, float out_min,
                        float out_max, size_t oy0, size_t oy1);
    void (*conv3x3s2p1)(size_t cin, size_t cout, size_t h, size_t w, const float *x, size_t x_cstride,
                        const float *k, const float *bias, float *y, size_t y_cstride, float out_min,
                        float out_max, size_t oy0, size_t oy1);

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

    /* Global average pool: y[i] = mean of the hw floats at x + i*x_cstride, i < c (0 if hw = 0). */
    void (*global_avgpool)(size_t c, size_t hw, const float *x, size_t x_cstride, float *y);

    /* Fully connected over a batch: y[b*y_stride + o] = clamp(bias[o] + sum_p w[o*k + p] *
     * x[b*x_stride + p]) for o < n, b < batch; bias may be NULL.  w is PyTorch's Linear
     * weight (out x in), streamed from memory once per call.  Image b's outputs are
     * bit-identical to a call with batch 1 on that image. */
    void (*fc)(size_t n, size_t k, const float *w, const float *bias, size_t batch,
               const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
               float out_max);

    /* Softmax over n floats, y = exp(x - max) / sum (SLEEF expf u10); y may alias x. */
    void (*softmax)(size_t n, const float *x, float *y);

    /* For benchmarks: iters rounds of 12 independent vector multiply-adds in registers, the
     * tier's FMA throughput (FLOPs = iters * 12 * 2 * vector_width); returns their sum so
     * that the work is not optimised away. */
    float (*fma_peak)(size_t iters);
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

    /* 2x2 max pooling, stride 2, no padding, floor mode (PyTorch MaxPool2d(2, 2)): c planes
     * h x w into c planes (h/2) x (w/2); a window with a NaN gives NaN. */
    void (*maxpool2x2s2)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride, float *y,
                         size_t y_cstride);
    /* Adaptive average pooling to oh x ow (PyTorch AdaptiveAvgPool2d): output (oy, ox) is the
     * mean of input rows floor(oy*h/oh) .. ceil((oy+1)*h/oh) - 1, columns likewise. */
    void (*adaptive_avgpool)(size_t c, size_t h, size_t w, const float *x, size_t x_cstride, size_t oh,
                             size_t ow, float *y, size_t y_cstride);
    /* fc with the weights in bfloat16 (vgs_f32_to_bf16): the same as fc on the weights
     * widened to float (vgs_bf16_to_f32), bit for bit, reading half the bytes. */
    void (*fc_bf16w)(size_t n, size_t k, const uint16_t *w, const float *bias, size_t batch,
                     const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
                     float out_max);
    /* fc with the weights in IEEE half (vgs_f32_to_f16): the same as fc on the weights widened
     * to float (vgs_f16_to_f32), bit for bit, reading half the bytes (AVX2: VCVTPH2PS). */
    void (*fc_f16w)(size_t n, size_t k, const uint16_t *w, const float *bias, size_t batch,
                    const float *x, size_t x_stride, float *y, size_t y_stride, float out_min,
                    float out_max);

    /* The GEMM in two steps, for a caller that splits one B's rows of output over several
     * calls (the runtime's 1x1 tasks on small planes) and would otherwise have each call pack
     * the same B: gemm_pack_b packs rows p0 <= p < min(p1, k) of B's n columns (k rows, read
     * as gemm reads them: b_stride, b_index; 0, SIZE_MAX: all of them; bands of rows are
     * independent tasks) into panels, VGS_GEMM_PANEL_FLOATS(n, k) floats at most; gemm_packed
     * then computes m rows over the panels of all k rows, with gemm's meaning of every other
     * argument and results bit-identical to gemm's. */
    void (*gemm_pack_b)(size_t n, size_t k, size_t p0, size_t p1, const float *b, size_t b_stride,
                        const int32_t *b_index, float *panels);
    void (*gemm_packed)(size_t m, size_t n, size_t k, const float *a, size_t a_stride, const float *panels,
                        const float *bias, const float *r, size_t r_stride, float *c, size_t c_stride,
                        const int32_t *c_index, float out_min, float out_max);
} vgs_kernels;

/* bfloat16: the upper 16 bits of a float32 (sign, 8-bit exponent, 7-bit mantissa: the same
 * range, about 3 significant digits).  vgs_f32_to_bf16 rounds to nearest, ties to even
 * (overflow gives infinity, as in PyTorch's .to(torch.bfloat16)); a NaN stays a NaN of the same
 * sign (made quiet), an infinity stays one.  vgs_bf16_to_f32 is exact.  n may be 0. */
VGS_API void vgs_f32_to_bf16(size_t n, const float *x, uint16_t *y);
VGS_API void vgs_bf16_to_f32(size_t n, const uint16_t *x, float *y);

/* IEEE 754 binary16 ("half", fp16: 5-bit exponent, 10-bit mantissa: about 3.3 significant
 * digits, finite up to 65504, subnormal below 2^-14 down to 2^-24).  vgs_f32_to_f16 rounds to
 * nearest, ties to even, in integer arithmetic (so exactly, subnormal halves included, and
 * whatever the floating-point mode); |x| >= 65520 gives infinity (as PyTorch's
 * .to(torch.float16)); a NaN stays a NaN of the same sign (made quiet, its payload's top 9
 * bits kept).  vgs_f16_to_f32 is exact (a signalling NaN comes out quiet, as VCVTPH2PS gives
 * it).  n may be 0. */
VGS_API void vgs_f32_to_f16(size_t n, const float *x, uint16_t *y);
VGS_API void vgs_f16_to_f32(size_t n, const uint16_t *x, float *y);

/* Pack the m x k weights a (row i at a + i*a_stride) for vgs_kernels.gemm: block t (rows 6t ..
 * 6t+5) at packed + t*dst_stride (dst_stride >= 6*k), row 6t+i's column p at [p*6 + i]; rows
 * past m are zeros.  Writes exactly the blocks' 6*k floats each; ISA-independent. */
VGS_API void vgs_gemm_pack_a(size_t m, size_t k, const float *a, size_t a_stride, float *packed, size_t dst_stride);

/* Rows (output channels) a task of the runtime's 1x1 convolution: m rows a group, n pixels,
 * k input channels a group, groups groups, input planes b_stride floats apart, read through
 * an index or not; tasks of this many rows x VGS_GEMM_TASK_COLS pixels at most.  Where the
 * kernel packs B (vgs_gemm_packs_b), a call packs its columns once for all its rows, so the
 * more rows a task, the less packing a FLOP: a group's rows stay whole where its column
 * blocks and the groups give 4 tasks or more, else they are split into that many blocks,
 * never below 48 rows (8 tiles); where it does not pack, 48 rows.  Always whole blocks of
 * VGS_GEMM_PACK_ROWS.  Depends on the shape only (never on threads).  Public for the
 * benchmarks, which call the kernel as the runtime does. */
#define VGS_GEMM_TASK_COLS 256
VGS_API size_t vgs_gemm_task_rows(size_t m, size_t n, size_t k, size_t groups, size_t b_stride, int indexed);
/* The runtime's row tasks of a group's m rows, rows = vgs_gemm_task_rows(...): their count,
 * ceil(m / rows), one more where that is odd and above 1 and the B = ceil(m / 6) blocks of
 * VGS_GEMM_PACK_ROWS allow (so that two threads share them evenly); and task i's rows
 * [*r0, *r1): blocks i*B/T .. (i+1)*B/T - 1 of T tasks, near-equal whole shares (at most
 * `rows` rows each; the last ends at m), as the runtime spreads a task's columns. */
VGS_API size_t vgs_gemm_row_tasks(size_t m, size_t rows);
VGS_API void vgs_gemm_row_share(size_t m, size_t tasks, size_t i, size_t *r0, size_t *r1);
/* Whether vgs_kernels.gemm packs B into its scratch (given scratch and more than 6 rows):
 * B read through an index, B's rows 1024 floats apart or more with k >= 64, or k >= 200
 * (the measurements are in kernels/gemm.h). */
VGS_API int vgs_gemm_packs_b(size_t k, size_t b_stride, int indexed);

/* Kernel table of a tier.  NULL if the tier is not compiled in (it may still be unsupported
 * by this CPU: check vgs_isa_supported before calling into it).  For AVX-512 it is the table
 * tuned for this processor: vgs_kernels_avx512(vgs_x86_avx512_halves()). */
VGS_API const vgs_kernels *vgs_kernels_for(vgs_isa isa);
/* 1 if this processor executes each 512-bit operation as two 256-bit halves (AMD Zen 4: CPUID
 * vendor AuthenticAMD, family 19h), else 0 (and 0 off x86-64).  There AVX-512 brings no more
 * multiply-adds a cycle than AVX2 and costs more on some shapes, so its table hands those
 * calls to the AVX2 kernels whole (the rules and their measurements: arch/avx512/halves.h):
 * dwconv3x3 stride 1 on planes of <= 256 or > 1024 pixels, the stride-2 windows on inputs
 * narrower than 23 columns, 2x2 max pooling on rows with 8 or more outputs past their
 * 16-lane vectors, global average pooling below 2048 pixels, fc (all weight types) below
 * 1024 inputs, the direct stride-1 3x3 convolution on at most 4 input channels.  The (=)
 * kernels' results are the same either way; the global pool and fc
 * then sum as the AVX2 tier does.  Env VGS_AVX512_HALVES=0|1 overrides the detection (read
 * once, on first use). */
VGS_API int vgs_x86_avx512_halves(void);
/* The AVX-512 table for either kind of processor (halves = 1: the one above; 0: every call on
 * the AVX-512 kernels' own rules), whichever this one is: tests and benchmarks run both.
 * NULL if AVX-512 is not compiled in. */
VGS_API const vgs_kernels *vgs_kernels_avx512(int halves);
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
#include <limits.h>
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
    case VGS_ERR_BUSY: return "VGS_ERR_BUSY";
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
    int first = 1, more, seen_metadata = 0;
    vgs_status st;
    if (!vgs__accept(js, '{')) return vgs__json_fail(js, "expected '{'");
    while ((st = vgs__next(js, '}', &first, &more)) == VGS_OK && more) {
        char *key;
        size_t len;
        if ((st = vgs__parse_key(js, &key, &len)) != VGS_OK) return st;
        if (vgs__key_is(key, len, "__metadata__")) {
            if (seen_metadata++)
                return vgs__fail(VGS_ERR_FORMAT, "%s: duplicate key \"__metadata__\" in the header",
                                 js->label);
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

/* The tensors must tile the data section exactly (the safetensors format: no overlaps, and no
 * byte outside every tensor, which would let a file carry hidden content).  After sorting by
 * begin, a non-empty range overlaps an earlier one iff it begins before the largest end seen
 * so far (the tensor with that end is the one it overlaps), and leaves a gap iff it begins
 * after it.  Empty tensors occupy no bytes and overlap nothing. */
static vgs_status vgs__check_layout(vgs_weights *w, uint64_t data_size)
{
    vgs__entry **r, *last = NULL;
    vgs_status st = VGS_OK;
    uint64_t covered = 0; /* the data section's bytes [0, covered) belong to tensors */
    if (w->count == 0) {
        if (data_size == 0) return VGS_OK;
        return vgs__fail(VGS_ERR_FORMAT, "%s: no tensors, but a data section of %llu bytes",
                         w->label, (unsigned long long)data_size);
    }
    r = (vgs__entry **)malloc(w->count * sizeof *r);
    if (!r) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: out of memory", w->label);
    for (size_t i = 0; i < w->count; i++) r[i] = &w->tensors[i];
    qsort(r, w->count, sizeof *r, vgs__cmp_range);
    for (size_t i = 0; i < w->count && st == VGS_OK; i++) {
        if (r[i]->begin == r[i]->end) continue;
        if (r[i]->begin > covered)
            st = vgs__fail(VGS_ERR_FORMAT,
                           "%s: bytes [%llu, %llu) of the data section belong to no tensor (the "
                           "next is '%.*s%s' at [%llu, %llu]); the format requires no gaps",
                           w->label, (unsigned long long)covered,
                           (unsigned long long)r[i]->begin, VGS__CLIPPED(r[i]->view.name),
                           (unsigned long long)r[i]->begin, (unsigned long long)r[i]->end);
        else if (last && r[i]->begin < last->end)
            st = vgs__fail(VGS_ERR_FORMAT,
                           "%s: data_offsets overlap: tensor '%.*s%s' [%llu, %llu] and "
                           "tensor '%.*s%s' [%llu, %llu]", w->label,
                           VGS__CLIPPED(last->view.name), (unsigned long long)last->begin,
                           (unsigned long long)last->end, VGS__CLIPPED(r[i]->view.name),
                           (unsigned long long)r[i]->begin, (unsigned long long)r[i]->end);
        if (!last || r[i]->end > last->end) last = r[i], covered = r[i]->end;
    }
    free(r);
    if (st == VGS_OK && covered < data_size)
        st = vgs__fail(VGS_ERR_FORMAT,
                       "%s: the last %llu bytes of the data section ([%llu, %llu)) belong to no "
                       "tensor; the format requires no gaps",
                       w->label, (unsigned long long)(data_size - covered),
                       (unsigned long long)covered, (unsigned long long)data_size);
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
    if ((st = vgs__check_layout(w, js.data_size)) != VGS_OK) return st;
    for (size_t i = 0; i < w->count; i++) {
        vgs__entry *e = &w->tensors[i];
        e->view.data = data + e->begin;
        e->view.nbytes = (size_t)(e->end - e->begin);
    }
    return VGS_OK;
}

/* ---- allocation and the public functions ------------------------------------------------- */

/* Checks the 8-byte prefix (u64 little-endian header length) against the file size.  A bad
 * length that is the start of a PyTorch checkpoint (torch.save's zip format, or the legacy
 * format: pickle protocol 2, then the magic number 0x1950a86a20f9469cfc6c) says so. */
static vgs_status vgs__check_prefix(const unsigned char *prefix, size_t size, const char *label,
                                    size_t *n_out)
{
    static const unsigned char zip[4] = {'P', 'K', 3, 4};
    static const unsigned char legacy[8] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46};
    uint64_t n = 0;
    if (size < 8)
        return vgs__fail(VGS_ERR_FORMAT,
                         "%s: file is %zu bytes, too short for the 8-byte header length", label,
                         size);
    for (int i = 7; i >= 0; i--) n = n << 8 | prefix[i];
    if ((n > VGS__MAX_HEADER || n > size - 8) &&
        (!memcmp(prefix, zip, sizeof zip) || !memcmp(prefix, legacy, sizeof legacy)))
        return vgs__fail(VGS_ERR_FORMAT,
                         "%s: this is a PyTorch checkpoint, not safetensors; convert it with "
                         "tools/torch2safetensors.py IN OUT", label);
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

/* Size of an open file, leaving the position at the start; VGS_ERR_UNSUPPORTED, without a
 * message, where it cannot seek (a pipe: vgs_weights_open reads it by vgs__read_stream). */
static vgs_status vgs__file_size(FILE *f, const char *path, size_t *size)
{
    long end;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        return errno == ESPIPE ? VGS_ERR_UNSUPPORTED
                               : vgs__fail(VGS_ERR_IO, "%s: cannot determine the file size: %s", path,
                                           strerror(errno));
    if ((unsigned long)end > SIZE_MAX - VGS__DATA_ALIGN)
        return vgs__fail(VGS_ERR_IO, "%s: file too large", path);
    *size = (size_t)end;
    return VGS_OK;
}

/* Reads a stream that cannot seek (a pipe) to its end: *data (malloc'd, the caller frees it;
 * doubled as it fills, so up to twice the stream's size) and *len; vgs_weights_open then
 * loads it as vgs_weights_from_memory does. */
static vgs_status vgs__read_stream(FILE *f, const char *path, unsigned char **data, size_t *len)
{
    size_t cap = 0;
    *data = NULL, *len = 0;
    for (;;) {
        if (*len == cap) {
            unsigned char *grown;
            if (cap > (SIZE_MAX - VGS__DATA_ALIGN) / 2) return vgs__fail(VGS_ERR_IO, "%s: stream too large", path);
            cap = cap ? 2 * cap : (size_t)4096;
            if (!(grown = (unsigned char *)realloc(*data, cap)))
                return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "%s: out of memory reading the stream (%zu bytes)", path,
                                 cap);
            *data = grown;
        }
        const size_t got = fread(*data + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0) break;
    }
    if (ferror(f)) return vgs__fail(VGS_ERR_IO, "%s: read error: %s", path, strerror(errno));
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
    const char *label = vgs__short_label(buf, path);
    st = vgs__read_file(f, label, &w, &size, &n);
    if (st == VGS_ERR_UNSUPPORTED) { /* cannot seek (a pipe): read to its end, then as from memory */
        unsigned char *data;
        st = vgs__read_stream(f, label, &data, &size);
        fclose(f);
        if (st == VGS_OK) st = vgs_weights_from_memory(data, size, label, out);
        free(data);
        return st;
    }
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
 *  bfloat16 <-> float32 (the scalar tier's bf16 load, and the conversion at load time)
 * ========================================================================================== */
static inline float vgs__bf16_to_f32(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint16_t vgs__f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(u >> 16 | 0x0040u); /* NaN: quiet, sign kept */
    u += 0x7fffu + (u >> 16 & 1u); /* to nearest, ties to even; the largest finite ones round to inf */
    return (uint16_t)(u >> 16);
}

void vgs_f32_to_bf16(size_t n, const float *x, uint16_t *y)
{
    for (size_t i = 0; i < n; i++) y[i] = vgs__f32_to_bf16(x[i]);
}

void vgs_bf16_to_f32(size_t n, const uint16_t *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = vgs__bf16_to_f32(x[i]);
}

/* ==========================================================================================
 *  IEEE half <-> float32 in integer arithmetic (the scalar tier's f16 load, the conversion at
 *  load time): exact, independent of the rounding mode and of flush-to-zero
 * ========================================================================================== */
static inline float vgs__f16_to_f32(uint16_t h)
{
    const uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = h >> 10 & 0x1fu, m = h & 0x3ffu;
    uint32_t u = s;
    if (e == 0x1fu) u |= 0x7f800000u | m << 13 | (m ? 0x00400000u : 0u); /* inf; NaN made quiet */
    else if (e) u |= (e + 112u) << 23 | m << 13;                         /* rebias 15 -> 127     */
    else if (m) {                                                         /* subnormal: m 2^-24  */
        uint32_t k = 0, mm = m;
        while (!(mm & 0x400u)) mm <<= 1, k++;
        u |= (113u - k) << 23 | (mm & 0x3ffu) << 13;
    }
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint16_t vgs__f32_to_f16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const uint16_t s = (uint16_t)(u >> 16 & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(s | 0x7e00u | (a >> 13 & 0x1ffu)); /* NaN: quiet, sign kept */
    if (a >= 0x477ff000u) return (uint16_t)(s | 0x7c00u); /* >= 65520, the midpoint past 65504: inf */
    if (a >= 0x38800000u) {                                /* >= 2^-14: a normal half            */
        uint32_t r = a - 0x38000000u;                      /* exponent 127 -> 15 bias            */
        r += 0xfffu + (r >> 13 & 1u);                      /* to nearest, ties to even           */
        return (uint16_t)(s | r >> 13);
    }
    const uint32_t e = a >> 23;
    if (e < 102u) return s; /* below 2^-25 (half the smallest subnormal): zero */
    const uint32_t mant = (a & 0x7fffffu) | 0x800000u, sh = 126u - e; /* m = mant / 2^sh, 14 <= sh <= 24 */
    const uint32_t rem = mant & ((1u << sh) - 1u), half = 1u << (sh - 1u);
    uint32_t m = mant >> sh;
    if (rem > half || (rem == half && (m & 1u))) m++; /* may carry into the smallest normal: right */
    return (uint16_t)(s | m);
}

void vgs_f32_to_f16(size_t n, const float *x, uint16_t *y)
{
    for (size_t i = 0; i < n; i++) y[i] = vgs__f32_to_f16(x[i]);
}

void vgs_f16_to_f32(size_t n, const uint16_t *x, float *y)
{
    for (size_t i = 0; i < n; i++) y[i] = vgs__f16_to_f32(x[i]);
}

/* ==========================================================================================
 *  GEMM weight packing (once at create for every 1x1 convolution; ISA-independent)
 * ========================================================================================== */
void vgs_gemm_pack_a(size_t m, size_t k, const float *a, size_t a_stride, float *packed, size_t dst_stride)
{
    for (size_t t = 0; t * VGS_GEMM_PACK_ROWS < m; t++) {
        float *dst = packed + t * dst_stride;
        for (size_t i = 0; i < VGS_GEMM_PACK_ROWS; i++) {
            const size_t row = t * VGS_GEMM_PACK_ROWS + i;
            for (size_t p = 0; p < k; p++) dst[p * VGS_GEMM_PACK_ROWS + i] = row < m ? a[row * a_stride + p] : 0.0f;
        }
    }
}

int vgs_gemm_packs_b(size_t k, size_t b_stride, int indexed)
{
    return indexed || (b_stride >= 1024 && k >= 64) || k >= 200;
}

size_t vgs_gemm_task_rows(size_t m, size_t n, size_t k, size_t groups, size_t b_stride, int indexed)
{
    const size_t R = VGS_GEMM_PACK_ROWS, min_rows = 8 * R, min_tasks = 4;
    if (!vgs_gemm_packs_b(k, b_stride, indexed)) return min_rows;
    const size_t blocks = groups * ((n + VGS_GEMM_TASK_COLS - 1) / VGS_GEMM_TASK_COLS);
    const size_t split = blocks >= min_tasks || blocks == 0 ? 1 : (min_tasks + blocks - 1) / blocks;
    const size_t rows = ((m + R - 1) / R + split - 1) / split * R;
    return rows < min_rows ? min_rows : rows;
}

/* Part i of `units` split into `parts` near-equal whole shares, in order: [*u0, *u1). */
static void vgs__even_share(size_t units, size_t parts, size_t i, size_t *u0, size_t *u1)
{
    *u0 = i * units / parts, *u1 = (i + 1) * units / parts;
}

size_t vgs_gemm_row_tasks(size_t m, size_t rows)
{
    const size_t blocks = (m + VGS_GEMM_PACK_ROWS - 1) / VGS_GEMM_PACK_ROWS;
    size_t tasks = rows ? (m + rows - 1) / rows : 1;
    /* an even count where the blocks allow (116 rows: 4 tasks of 30, 30, 30, 26, not 3);
     * in-process A/B at 2 threads on a Zen 4 VM, with the shares below: V2 x1.0 0.978, x1.5
     * 0.990, x2.0 0.988, V1 g3 1.0x 0.995, V2 x0.5 0.994; 1 thread level; logits identical */
    if (tasks > 1 && tasks % 2 && tasks < blocks) tasks++;
    return tasks;
}

void vgs_gemm_row_share(size_t m, size_t tasks, size_t i, size_t *r0, size_t *r1)
{
    const size_t R = VGS_GEMM_PACK_ROWS;
    size_t b0 = 0, b1 = (m + R - 1) / R;
    if (tasks) vgs__even_share(b1, tasks, i, &b0, &b1);
    *r0 = b0 * R, *r1 = b1 * R < m ? b1 * R : m;
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

/* This CPU's answers for vgs_x86_tiers. */
static int vgs__x86_supports(vgs_isa isa)
{
    vgs_x86_cpuid id = {0, 0, 0, 0};
    unsigned a, b, c, d;
    id.max_leaf = __get_cpuid_max(0, NULL);
    if (id.max_leaf >= 1) {
        __cpuid(1, a, b, c, d);
        id.leaf1_ecx = c;
    }
    if (id.max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        id.leaf7_ebx = b;
    }
    if ((id.leaf1_ecx >> 27) & 1) id.xcr0 = vgs__xgetbv0(); /* XGETBV faults without OSXSAVE */
    return (int)((vgs_x86_tiers(&id) >> isa) & 1u);
}

/* Whether this processor runs 512-bit operations as two halves (vgs_x86_avx512_halves): AMD
 * family 19h (Zen 3, which has no AVX-512, and Zen 4).  Family 1Ah (Zen 5) is left out: its
 * desktop and server parts have full 512-bit data paths (its mobile ones do not, unmeasured). */
static int vgs__x86_halves_cpu(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 1) return 0;
    __cpuid(0, a, b, c, d);
    if (b != 0x68747541u || d != 0x69746e65u || c != 0x444d4163u) return 0; /* "AuthenticAMD" */
    __cpuid(1, a, b, c, d);
    const unsigned family = (a >> 8) & 0xfu, ext = (a >> 20) & 0xffu;
    return (family == 0xfu ? family + ext : family) == 0x19u;
}
#endif

/* vgs_x86_avx512_halves, -1 until first use (a benign race, as vgs__isa_now's below) */
static int vgs__halves_now = -1;

int vgs_x86_avx512_halves(void)
{
    int h = __atomic_load_n(&vgs__halves_now, __ATOMIC_ACQUIRE);
    if (h >= 0) return h;
    const char *env = getenv("VGS_AVX512_HALVES");
    if (env && (strcmp(env, "0") == 0 || strcmp(env, "1") == 0)) h = env[0] == '1';
    else {
#if VGS__HAVE_AVX2
        h = vgs__x86_halves_cpu();
#else
        h = 0;
#endif
        if (env && *env)
            vgs__fail(VGS_ERR_INVALID_ARGUMENT, "VGS_AVX512_HALVES='%s' is not 0 or 1; using %d", env, h);
    }
    __atomic_store_n(&vgs__halves_now, h, __ATOMIC_RELEASE);
    return h;
}

const vgs_kernels *vgs_kernels_avx512(int halves)
{
#if VGS__HAVE_AVX512
    return halves ? &vgs__kernels__avx512h : &vgs__kernels__avx512;
#else
    (void)halves;
    return NULL;
#endif
}

unsigned vgs_x86_tiers(const vgs_x86_cpuid *id)
{
    const uint32_t avx512 = 1u << 16 | 1u << 17 | 1u << 30 | 1u << 31; /* F, DQ, BW, VL */
    unsigned tiers = 1u << VGS_ISA_SCALAR;
    if (!id) return tiers;
    const uint32_t c = id->leaf1_ecx, b = id->max_leaf >= 7 ? id->leaf7_ebx : 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx || (id->xcr0 & 0x6) != 0x6) return tiers; /* XMM and YMM state saved */
    if (!((b >> 5) & 1) || !fma || !f16c) return tiers;              /* AVX2, FMA and F16C    */
    tiers |= 1u << VGS_ISA_AVX2;
    if ((b & avx512) == avx512 && (id->xcr0 & 0xe0) == 0xe0) /* opmask, ZMM0-15 upper, ZMM16-31 */
        tiers |= 1u << VGS_ISA_AVX512;
    return tiers;
}

uint64_t vgs_fp_flush_denormals(void)
{
#if VGS__X86
    const unsigned saved = _mm_getcsr(); /* SSE: baseline on x86-64, no -m flag needed */
    _mm_setcsr(saved | 0x8040u);         /* FTZ (bit 15) | DAZ (bit 6) */
    return saved;
#elif VGS__ARM64
    uint64_t saved;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(saved));
    __asm__ __volatile__("msr fpcr, %0" : : "r"(saved | (1u << 24))); /* FZ */
    return saved;
#else
    return 0;
#endif
}

void vgs_fp_restore(uint64_t saved)
{
#if VGS__X86
    _mm_setcsr((unsigned)saved);
#elif VGS__ARM64
    __asm__ __volatile__("msr fpcr, %0" : : "r"(saved));
#else
    (void)saved;
#endif
}

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
    case VGS_ISA_AVX512: return vgs_kernels_avx512(vgs_x86_avx512_halves());
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
    if (!name) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_isa_parse: name is NULL");
    return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "unknown ISA '%s' (expected scalar, avx2, avx512 or neon)", name);
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

/* Whether x[i] ranks before x[j] in vgs_topk's order: the larger first, a number before a
 * NaN, the lower index among equals (and among NaNs). */
static int vgs__topk_before(const float *x, int i, int j)
{
    const float a = x[i], b = x[j];
    if (a != a || b != b) return b != b && (a == a || i < j);
    return a > b || (a == b && i < j);
}

/* Restores the heap below position i of heap[0..m), whose root is the element ranking last. */
static void vgs__topk_sift(const float *x, int *heap, size_t m, size_t i)
{
    for (;;) {
        size_t last = i;
        const size_t l = 2 * i + 1, r = l + 1;
        if (l < m && vgs__topk_before(x, heap[last], heap[l])) last = l;
        if (r < m && vgs__topk_before(x, heap[last], heap[r])) last = r;
        if (last == i) return;
        const int t = heap[i];
        heap[i] = heap[last], heap[last] = t;
        i = last;
    }
}

vgs_status vgs_topk(const float *x, size_t n, size_t k, int *indices)
{
    if ((!x && n) || (!indices && k)) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_topk: NULL pointer");
    if (n > (size_t)INT_MAX)
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_topk: n = %zu does not fit the int indices", n);
    /* The best m = min(k, n) so far in a heap in indices[0..m) whose root ranks last: each
     * further element that ranks before the root replaces it.  Then the heap is sorted in
     * place by moving the root to the end.  O(n log k) time, no memory but indices. */
    const size_t m = k < n ? k : n;
    for (size_t i = 0; i < m; i++) indices[i] = (int)i;
    for (size_t i = m / 2; i-- > 0;) vgs__topk_sift(x, indices, m, i);
    for (size_t i = m; i < n && m > 0; i++) {
        if (vgs__topk_before(x, (int)i, indices[0])) {
            indices[0] = (int)i;
            vgs__topk_sift(x, indices, m, 0);
        }
    }
    for (size_t end = m; end > 1; end--) {
        const int t = indices[0];
        indices[0] = indices[end - 1], indices[end - 1] = t;
        vgs__topk_sift(x, indices, end - 1, 0);
    }
    for (size_t j = m; j < k; j++) indices[j] = -1;
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
    if (channels == 0 || channels > (size_t)INT32_MAX) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "channel shuffle: %zu channels (1 .. 2^31-1)", channels);
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
 *  Runtime: a persistent thread pool (POSIX threads) running a parallel-for
 * ==========================================================================================
 *  The caller publishes a job (function, argument, task count): every thread, the caller
 *  included, gets a contiguous share of the task indices (thread t: [t*n/T, (t+1)*n/T)),
 *  runs its share from the front, then takes what is left of the others' from their back,
 *  one task at a time.  A share is one 64-bit word (next << 32 | end) on its own cache line,
 *  claimed by compare-and-swap, so threads touch each other's lines only at the end of a
 *  job; the caller waits until `done` counts every task.  Which thread runs a task never
 *  changes what the task computes (results do not depend on it), but contiguous shares keep
 *  consecutive layers' tasks over the same data on the same core: the layers' partitions
 *  follow the channels (a grouped 1x1's first groups, the depthwise layer's first channels),
 *  so a thread mostly reads what it wrote into its own L2.  (One shared counter, every task
 *  claimed from it, cost 2-core Xeon VMs 0.1-0.2 us a task in line transfers, and sent each
 *  task's data to whichever core claimed it: ShuffleNet V1 g8 0.5x ran no faster on 2
 *  threads than on 1.)  Workers spin a while between jobs (the layers of a pass follow each
 *  other within microseconds), then sleep on a condition variable; a new job is announced
 *  by bumping the generation `gen`.                                                        */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h> /* the huge-page chunks of vgs__net_alloc_hot */
#endif

#define VGS__SPINS 20000     /* pause loops a worker spins before it sleeps (~0.5 ms)     */
#define VGS__YIELD_EVERY 64  /* ... yielding the core every so often: with more threads than
                                cores, the thread that has the work gets to run               */
#define VGS__MAX_THREADS 256

static void vgs__pause(void)
{
#if VGS__X86
    __asm__ volatile("pause");
#elif VGS__ARM64
    __asm__ volatile("yield");
#endif
}

/* Milliseconds of a monotonic clock, for the per-layer profile; 0 where the C library hides
 * clock_gettime (strict ISO C modes without a POSIX feature macro). */
static double vgs__now_ms(void)
{
#ifdef CLOCK_MONOTONIC
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
#else
    return 0.0;
#endif
}

/* A thread's share of the current job's tasks: next << 32 | end (atomic), alone on its line. */
typedef struct vgs__share {
    uint64_t range;
    char pad[64 - sizeof(uint64_t)];
} vgs__share;

typedef struct vgs__pool {
    int nthreads;            /* the caller + workers                              */
    int nworkers;            /* workers started                                   */
    pthread_t *threads;
    struct vgs__worker *workers; /* each worker's pool and index                  */
    vgs__share *shares;      /* nthreads shares, 64-byte aligned (in share_mem)   */
    void *share_mem;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint32_t gen;            /* jobs published (atomic)                           */
    vgs_task_fn fn;          /* the current job (written before the shares)      */
    void *arg;
    char pad0[64];
    size_t done;             /* tasks finished (atomic), on its own line          */
    char pad1[64];
    int sleepers, stop;      /* (atomic)                                          */
} vgs__pool;

typedef struct vgs__worker {
    vgs__pool *pool;
    int index;               /* 1 .. nthreads-1 (the caller is 0)                 */
} vgs__worker;

/* Claim a task from share s: from its front (own share) or its back (another's); returns
 * 0 when the share is empty.  A claim that succeeds names a task of the job the share
 * holds now, and the job's fn and arg were written before that share (release / acquire). */
static int vgs__share_claim(vgs__share *s, int front, size_t *task)
{
    uint64_t v = __atomic_load_n(&s->range, __ATOMIC_ACQUIRE);
    for (;;) {
        const uint32_t next = (uint32_t)(v >> 32), end = (uint32_t)v;
        if (next >= end) return 0;
        const uint64_t w = front ? v + ((uint64_t)1 << 32) : v - 1;
        if (__atomic_compare_exchange_n(&s->range, &v, w, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *task = front ? next : end - 1;
            return 1;
        }
    }
}

/* Thread `self` runs its own share, then the rest of the others' shares. */
static void vgs__pool_drain(vgs__pool *p, int self)
{
    size_t t;
    for (int i = 0; i < p->nthreads; i++) {
        const int s = (self + i) % p->nthreads;
        while (vgs__share_claim(&p->shares[s], s == self, &t)) {
            vgs_task_fn fn = __atomic_load_n(&p->fn, __ATOMIC_RELAXED);
            fn(__atomic_load_n(&p->arg, __ATOMIC_RELAXED), t);
            __atomic_fetch_add(&p->done, 1, __ATOMIC_RELEASE);
        }
    }
}

static void *vgs__pool_worker(void *arg)
{
    const vgs__worker *me = (const vgs__worker *)arg;
    vgs__pool *p = me->pool;
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen;
        int spins = 0;
        while ((gen = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE)) == seen && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
            if (++spins < VGS__SPINS) {
                if (spins % VGS__YIELD_EVERY) vgs__pause();
                else sched_yield();
                continue;
            }
            /* sleep; the caller wakes sleepers after publishing (both sides sequentially
             * consistent: either it sees us counted, or we see its generation) */
            pthread_mutex_lock(&p->mu);
            __atomic_fetch_add(&p->sleepers, 1, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(&p->gen, __ATOMIC_SEQ_CST) == seen && !__atomic_load_n(&p->stop, __ATOMIC_SEQ_CST)) {
                pthread_cond_wait(&p->cv, &p->mu);
            }
            __atomic_fetch_sub(&p->sleepers, 1, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
        }
        if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) return NULL;
        seen = gen;
        vgs__pool_drain(p, me->index);
    }
}

static void vgs__pool_wake(vgs__pool *p)
{
    if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

static void vgs__pool_stop(vgs__pool *p)
{
    if (p->nworkers > 0) {
        __atomic_store_n(&p->stop, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->nworkers; i++) pthread_join(p->threads[i], NULL);
    }
    if (p->threads) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    free(p->threads);
    free(p->workers);
    free(p->share_mem);
    memset(p, 0, sizeof *p);
}

/* A pool of nthreads - 1 workers (none for nthreads <= 1). */
static vgs_status vgs__pool_start(vgs__pool *p, int nthreads)
{
    memset(p, 0, sizeof *p);
    p->nthreads = nthreads < 1 ? 1 : nthreads;
    if (p->nthreads == 1) return VGS_OK;
    const size_t n = (size_t)p->nthreads;
    p->threads = (pthread_t *)calloc(n - 1, sizeof *p->threads);
    p->workers = (vgs__worker *)calloc(n - 1, sizeof *p->workers);
    p->share_mem = calloc(n + 1, sizeof(vgs__share)); /* + 1: room to align the shares to 64 bytes */
    if (!p->threads || !p->workers || !p->share_mem) {
        free(p->threads), free(p->workers), free(p->share_mem);
        memset(p, 0, sizeof *p);
        return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for a pool of %d threads", nthreads);
    }
    p->shares = (vgs__share *)(void *)(((uintptr_t)p->share_mem + 63) & ~(uintptr_t)63);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < p->nthreads - 1; i++) {
        p->workers[i].pool = p, p->workers[i].index = i + 1;
        const int e = pthread_create(&p->threads[i], NULL, vgs__pool_worker, &p->workers[i]);
        if (e != 0) {
            vgs__pool_stop(p);
            return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "could not start thread %d of %d: %s", i + 2, nthreads, strerror(e));
        }
        p->nworkers++;
    }
    return VGS_OK;
}

/* fn(arg, i) for every i < n on the pool's threads (the caller's included); returns when all
 * have returned.  n < 2^32 (the planner checks a layer's tasks). */
static void vgs__pool_run(vgs__pool *p, vgs_task_fn fn, void *arg, size_t n)
{
    if (p->nworkers == 0 || n <= 1) {
        for (size_t i = 0; i < n; i++) fn(arg, i);
        return;
    }
    const size_t T = (size_t)p->nthreads;
    __atomic_store_n(&p->fn, fn, __ATOMIC_RELAXED);
    __atomic_store_n(&p->arg, arg, __ATOMIC_RELAXED);
    __atomic_store_n(&p->done, 0, __ATOMIC_RELAXED);
    for (size_t t = 0; t < T; t++) { /* release: a claim from a share sees fn, arg and done above */
        const uint64_t lo = t * n / T, hi = (t + 1) * n / T;
        __atomic_store_n(&p->shares[t].range, lo << 32 | hi, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&p->gen, __atomic_load_n(&p->gen, __ATOMIC_RELAXED) + 1, __ATOMIC_SEQ_CST);
    vgs__pool_wake(p);
    vgs__pool_drain(p, 0);
    for (unsigned spins = 1; __atomic_load_n(&p->done, __ATOMIC_ACQUIRE) < n; spins++) {
        if (spins % VGS__YIELD_EVERY) vgs__pause();
        else sched_yield();
    }
}

/* ==========================================================================================
 *  Runtime: a net is a list of layers over tensors, planned into one arena
 * ==========================================================================================
 *  A model family's builder (nets/) declares tensors (their size per image) and appends
 *  layers that read and write views of them; vgs__net_plan then derives each tensor's
 *  lifetime from the layers, places the tensors in one arena (a tensor reuses the bytes of
 *  tensors dead before it is born; a depthwise layer's output, where it can, bytes that only
 *  one core held: vgs__plan_channelwise_outputs), sizes it for max_batch images, and fixes
 *  each layer's task partition.  Tensor 0 is the caller's input, tensor 1 the caller's logits.
 *  Before that, the planner fuses pairs of layers whose intermediate tensor nothing else
 *  reads: a 2x2 max-pool into the Winograd convolution before it (VGG's blocks), a 3x3/s2
 *  max-pool into the direct stride-2 convolution before it (the ShuffleNets' stem; one
 *  layer "conv1.0+maxpool", computed in bands through the thread's scratch, bit-identical
 *  to the two layers; on more than one thread, unless vgs_net_options.conv_maxpool says).
 *  The runtime knows layer kinds and kernels, never a model family.                         */

typedef enum vgs__kind {
    VGS__CONV3X3, VGS__CONV1X1, VGS__DWCONV3X3, VGS__MAXPOOL3X3, VGS__AVGPOOL3X3, VGS__GAVGPOOL, VGS__LINEAR,
    VGS__MAXPOOL2X2, VGS__ADAPTIVE_AVGPOOL
} vgs__kind;

static const char *const vgs__kind_names[] = {"conv3x3",    "conv1x1",        "dwconv3x3", "maxpool3x3",
                                              "avgpool3x3", "global_avgpool", "linear",    "maxpool2x2",
                                              "adaptive_avgpool"};

/* Task partition constants (they depend on the layer's shape only, never on threads). */
#define VGS__TASK_OC 32       /* direct conv3x3: output channels a task, at most           */
#define VGS__TASK_CONV 3136   /* direct conv3x3: output pixels a task (a band of rows), at least */
#define VGS__TASK_COLS VGS_GEMM_TASK_COLS /* conv1x1: pixels a task, at most (rows: vgs_gemm_task_rows) */
#define VGS__COL_UNIT 32      /* conv1x1: ... in shares of this many (every tier's vector width divides it, so a
                                 task's last tile is masked only at the plane's end)                */
#define VGS__TASK_PIXELS 4096 /* channel-wise layers: output pixels a task, at least       */
#define VGS__TASK_LANES 16    /* dwconv3x3 and 3x3 pools: ... in whole blocks of this many channels */
#define VGS__TASK_FC 64       /* linear: outputs a task (all images of the chunk)          */
#define VGS__TASK_WINO 4      /* Winograd: tasks an image (channel blocks x tile-row bands) */
#define VGS__TASK_FUSED 65536 /* conv3x3 + maxpool3x3: scratch floats a band, at most (L2) */
#define VGS__IN 0             /* tensor: the caller's input                                */
#define VGS__OUT 1            /* tensor: the caller's logits                               */

/* A view: channel 0 of an image at `off` floats into tensor t, channel planes cs apart. */
typedef struct vgs__view {
    int t;                    /* tensor, or -1: none */
    size_t off, cs;
} vgs__view;

typedef struct vgs__tensor {
    size_t floats;            /* per image; images lie this far apart                       */
    size_t offset;            /* in the arena                                                */
    int first, last;          /* the layers writing it first and reading it last            */
} vgs__tensor;

typedef struct vgs__layer {
    char name[80];            /* the weights' prefix                                         */
    vgs__kind kind;
    int stride, groups;
    size_t cin, cout, h, w, oh, ow; /* channels over all groups; input and output size       */
    vgs__view x, y, r;        /* input, output, residual (r.t = -1: none)                    */
    const float *wt, *bias;   /* owned by the net                                            */
    const uint16_t *wh;       /* linear with VGS_FC_BF16 / F16: the weights so (wt is NULL)   */
    int wh_f16;               /* wh holds IEEE halves (VGS_FC_F16), else bf16                */
    int winograd;             /* conv3x3 stride 1: m of F(m x m, 3 x 3), or 0: direct        */
    int pool;                 /* conv3x3 by Winograd: a 2x2/s2 max-pool fused into its store */
    int pool3;                /* direct conv3x3 stride 2: a 3x3/s2 max-pool fused (bands in scratch) */
    size_t sub;               /* ... pooled rows a band (nb: a task's)                       */
    const float *u;           /* conv3x3 by Winograd: the transformed weights                */
    const int32_t *y_index;   /* dwconv3x3, conv1x1: channel -> output plane (a folded shuffle) */
    const int32_t *x_index;   /* conv1x1: input channel -> plane (ShuffleNet V2's split)      */
    float out_min, out_max;
    size_t tasks;             /* per image (linear: per chunk)                              */
    size_t block;             /* channels a task (conv3x3, conv1x1, channel-wise kinds; linear: outputs) */
    size_t mtiles, ntiles;    /* conv1x1: row and column blocks a group; conv3x3: bands      */
    size_t panel_floats;      /* conv1x1 with its B packed once for its row tasks (into a
                                 scratch slot, vgs__slot_panels): a group's panels, else 0   */
    size_t nb;                /* conv3x3: tile rows (Winograd) or output rows (direct) a band */
    double flops, rd, wr, wbytes; /* per image: operations, activation bytes read / written;
                                     the weights' bytes                                      */
    double ms;                /* last pass                                                   */
    char kernel[64];          /* the kernel's name on the tier of kernel_isa                */
} vgs__layer;

typedef struct vgs__chunk { /* a mapping of vgs__net_alloc_hot's */
    unsigned char *p;
    size_t len;
} vgs__chunk;

struct vgs_net {
    int num_classes, in_c, in_h, in_w;
    vgs_preprocess pp;
    vgs__layer *layers;
    size_t n_layers, cap_layers;
    vgs__tensor *tensors;
    size_t n_tensors, cap_tensors;
    float **base;             /* per tensor: where image 0 of the current chunk starts       */
    float *arena;
    size_t arena_bytes, max_batch;
    float *scratch;           /* per-thread scratch (Winograd, GEMM packing), n_slots x slot_floats */
    size_t slot_floats, n_slots;
    int *slot_busy;           /* (atomic)                                                    */
    size_t *slot_panels;      /* per slot, during a conv1x1's job with panel_floats: the image *
                                 groups + group whose B panels it holds, or SIZE_MAX         */
    vgs__pool pool;
    vgs_parallel_for_fn parallel_for;
    void *parallel_ctx;
    int busy;                 /* a forward pass is running (atomic)                          */
    int kernel_isa;           /* tier the layers' kernel names are for                       */
    size_t last_n;            /* images of the last chunk of the last pass                   */
    /* the layer being run, read by the tasks */
    const vgs__layer *run_layer;
    const vgs_kernels *run_k;
    size_t run_n;
    /* every allocation of weights and the arena, freed by vgs_net_destroy */
    void **allocs;
    size_t n_allocs, cap_allocs;
    size_t alloc_bytes;       /* their sum (vgs_net_memory_size), the huge-page blocks' too   */
    /* the huge-page chunks (vgs__net_alloc_hot), unmapped by vgs_net_destroy */
    vgs__chunk *chunks;
    size_t n_chunks, cap_chunks;
    unsigned char *chunk_at;  /* the free part of the chunk blocks are carved from            */
    size_t chunk_left;
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
    net->alloc_bytes += nfloats * sizeof(float);
    return (float *)(void *)(base + (64 - (uintptr_t)base % 64) % 64);
}

/* Free p, a block of nfloats from vgs__net_alloc (the float weights of a layer stored
 * otherwise), before the net dies. */
static void vgs__net_free(vgs_net *net, const float *p, size_t nfloats)
{
    for (size_t i = 0; i < net->n_allocs; i++) {
        unsigned char *base = (unsigned char *)net->allocs[i];
        if ((const void *)(base + (64 - (uintptr_t)base % 64) % 64) != (const void *)p) continue;
        free(base);
        net->allocs[i] = net->allocs[--net->n_allocs];
        net->alloc_bytes -= nfloats * sizeof(float);
        return;
    }
}

/* Grow a net array of `size`-byte items to hold one more. */
static int vgs__grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 1;
    const size_t c = *cap ? 2 * *cap : 32;
    void *p = realloc(*items, c * size);
    if (!p) return 0;
    *items = p;
    *cap = c;
    return 1;
}

/* The blocks a pass streams through (the 1x1 layers' packed weights, the Winograd weights,
 * the FC's fp16 / bf16 weights, the arena, the scratch), carved from chunks of
 * 2 MB-aligned memory that Linux is asked to back with transparent huge pages (madvise
 * MADV_HUGEPAGE: taken where /sys/kernel/mm/transparent_hugepage/enabled says madvise or
 * always).  A pass reads every weight once; with 4 KB pages that is a TLB miss every 4 KB of
 * them, a two-level page walk in a VM.  A/B in one process (tools/ab.sh, logits identical,
 * stop 23 on the project's VM): at 1 thread V2 x1.5 0.977x the time (twice), V2 x1.0 0.988x,
 * V1 g8 0.5x 0.985x; V2 x1.5 at 2 threads and VGG16 level.  Carved blocks are not freed one by one (vgs__net_free is for the others):
 * the chunks go with the net.  vgs_net_memory_size counts the blocks, not a chunk's unused end
 * (under 2 MB a chunk).  Elsewhere (no MADV_HUGEPAGE, e.g. strict -std=c99 hides it, or under
 * AddressSanitizer, whose checks need a block its own allocation): vgs__net_alloc. */
#if defined(__SANITIZE_ADDRESS__)
#define VGS__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VGS__ASAN 1
#endif
#endif
#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MAP_ANONYMOUS) && !defined(VGS__ASAN)
#define VGS__HUGE ((size_t)2 << 20)
static float *vgs__net_alloc_hot(vgs_net *net, size_t nfloats)
{
    if (nfloats > ((size_t)-1 - 2 * VGS__HUGE) / sizeof(float)) return vgs__net_alloc(net, nfloats);
    const size_t need = ((nfloats ? nfloats : 1) * sizeof(float) + 63) & ~(size_t)63;
    unsigned char *p = net->chunk_at;
    if (need > net->chunk_left) { /* a new chunk; it becomes the current one if more is left of it */
        if (!vgs__grow((void **)&net->chunks, &net->cap_chunks, net->n_chunks, sizeof *net->chunks)) return NULL;
        const size_t len = (need + VGS__HUGE - 1) & ~(VGS__HUGE - 1);
        void *m = mmap(NULL, len + VGS__HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return vgs__net_alloc(net, nfloats);
        const size_t head = (VGS__HUGE - (uintptr_t)m % VGS__HUGE) % VGS__HUGE;
        if (head) munmap(m, head);
        if (VGS__HUGE - head) munmap((unsigned char *)m + head + len, VGS__HUGE - head);
        p = (unsigned char *)m + head;
        (void)madvise(p, len, MADV_HUGEPAGE); /* advice: without it, 4 KB pages as before */
        net->chunks[net->n_chunks].p = p, net->chunks[net->n_chunks++].len = len;
        if (len - need > net->chunk_left) net->chunk_at = p + need, net->chunk_left = len - need;
    } else {
        net->chunk_at += need, net->chunk_left -= need;
    }
    net->alloc_bytes += nfloats * sizeof(float);
    return (float *)(void *)p;
}
#else
#define vgs__net_alloc_hot vgs__net_alloc
#endif

/* A new net: tensors 0 (input, c x h x w) and 1 (logits, num_classes). */
static vgs_net *vgs__net_new(int num_classes, int c, int h, int w)
{
    vgs_net *net = (vgs_net *)calloc(1, sizeof *net);
    if (!net) return NULL;
    net->num_classes = num_classes, net->in_c = c, net->in_h = h, net->in_w = w;
    net->kernel_isa = -1;
    net->tensors = (vgs__tensor *)calloc(32, sizeof *net->tensors);
    if (!net->tensors) {
        free(net);
        return NULL;
    }
    net->cap_tensors = 32, net->n_tensors = 2;
    net->tensors[VGS__IN].floats = (size_t)c * (size_t)h * (size_t)w;
    net->tensors[VGS__OUT].floats = (size_t)num_classes;
    return net;
}

void vgs_net_destroy(vgs_net *net)
{
    if (!net) return;
    vgs__pool_stop(&net->pool);
    for (size_t i = 0; i < net->n_allocs; i++) free(net->allocs[i]);
    free(net->allocs);
#ifdef VGS__HUGE
    for (size_t i = 0; i < net->n_chunks; i++) munmap(net->chunks[i].p, net->chunks[i].len);
#endif
    free(net->chunks);
    free(net->layers);
    free(net->tensors);
    free(net->base);
    free(net->slot_busy);
    free(net->slot_panels);
    free(net);
}

/* A tensor of `floats` per image (rounded up to 16: every tensor starts 64-byte aligned);
 * its id, or -1 when out of memory. */
static int vgs__net_tensor(vgs_net *net, size_t floats)
{
    if (!vgs__grow((void **)&net->tensors, &net->cap_tensors, net->n_tensors, sizeof *net->tensors)) return -1;
    vgs__tensor *t = &net->tensors[net->n_tensors];
    memset(t, 0, sizeof *t);
    t->floats = (floats + 15) & ~(size_t)15;
    return (int)net->n_tensors++;
}

static vgs__view vgs__v(int t, size_t off, size_t cs)
{
    vgs__view v;
    v.t = t, v.off = off, v.cs = cs;
    return v;
}

static const vgs__view vgs__none = {-1, 0, 0};

/* Append a layer (zeroed but for what is given here); NULL when out of memory. */
static vgs__layer *vgs__net_layer(vgs_net *net, vgs__kind kind, const char *name, size_t cin, size_t cout,
                                  size_t h, size_t w, vgs__view x, vgs__view y)
{
    if (!vgs__grow((void **)&net->layers, &net->cap_layers, net->n_layers, sizeof *net->layers)) {
        vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        return NULL;
    }
    vgs__layer *L = &net->layers[net->n_layers++];
    memset(L, 0, sizeof *L);
    snprintf(L->name, sizeof L->name, "%s", name);
    L->kind = kind, L->stride = 1, L->groups = 1;
    L->cin = cin, L->cout = cout, L->h = L->oh = h, L->w = L->ow = w;
    L->x = x, L->y = y, L->r = vgs__none;
    L->out_min = -INFINITY, L->out_max = INFINITY;
    return L;
}

/* The builders' layer constructors.  relu: clamp to [0, +inf) in the store. */
static vgs_status vgs__add_conv3x3(vgs_net *net, const char *name, int stride, size_t cin, size_t cout, size_t h,
                                   size_t w, vgs__view x, vgs__view y, const float *wt, const float *bias, int relu)
{
    vgs__layer *L = vgs__net_layer(net, VGS__CONV3X3, name, cin, cout, h, w, x, y);
    if (!L) return VGS_ERR_OUT_OF_MEMORY;
    L->stride = stride, L->wt = wt, L->bias = bias;
    if (stride == 2) L->oh = (h + 1) / 2, L->ow = (w + 1) / 2;
    if (relu) L->out_min = 0.0f;
    return VGS_OK;
}

static vgs_status vgs__add_conv1x1(vgs_net *net, const char *name, int groups, size_t cin, size_t cout, size_t h,
                                   size_t w, vgs__view x, vgs__view y, vgs__view r, const float *wt,
                                   const float *bias, int relu)
{
    vgs__layer *L = vgs__net_layer(net, VGS__CONV1X1, name, cin, cout, h, w, x, y);
    if (!L) return VGS_ERR_OUT_OF_MEMORY;
    L->groups = groups, L->r = r, L->wt = wt, L->bias = bias;
    if (relu) L->out_min = 0.0f;
    return VGS_OK;
}

/* A conv1x1 (one group) reading input channel p from plane x_index[p] of view x and storing
 * output channel i to plane y_index[i] of view y (either index may be NULL: in order). */
static vgs_status vgs__add_conv1x1_indexed(vgs_net *net, const char *name, size_t cin, size_t cout, size_t h,
                                           size_t w, vgs__view x, const int32_t *x_index, vgs__view y,
                                           const int32_t *y_index, const float *wt, const float *bias, int relu)
{
    vgs_status st = vgs__add_conv1x1(net, name, 1, cin, cout, h, w, x, y, vgs__none, wt, bias, relu);
    if (st == VGS_OK) net->layers[net->n_layers - 1].x_index = x_index, net->layers[net->n_layers - 1].y_index = y_index;
    return st;
}

static vgs_status vgs__add_dwconv3x3(vgs_net *net, const char *name, int stride, size_t c, size_t h, size_t w,
                                     vgs__view x, vgs__view y, const int32_t *y_index, const float *wt,
                                     const float *bias, int relu)
{
    vgs__layer *L = vgs__net_layer(net, VGS__DWCONV3X3, name, c, c, h, w, x, y);
    if (!L) return VGS_ERR_OUT_OF_MEMORY;
    L->stride = stride, L->y_index = y_index, L->wt = wt, L->bias = bias;
    if (stride == 2) L->oh = (h + 1) / 2, L->ow = (w + 1) / 2;
    if (relu) L->out_min = 0.0f;
    return VGS_OK;
}

/* kind: VGS__MAXPOOL3X3 or VGS__AVGPOOL3X3 (stride 2, padding 1) or VGS__GAVGPOOL */
static vgs_status vgs__add_pool(vgs_net *net, vgs__kind kind, const char *name, size_t c, size_t h, size_t w,
                                vgs__view x, vgs__view y)
{
    vgs__layer *L = vgs__net_layer(net, kind, name, c, c, h, w, x, y);
    if (!L) return VGS_ERR_OUT_OF_MEMORY;
    if (kind == VGS__GAVGPOOL) L->oh = L->ow = 1;
    else L->stride = 2, L->oh = (h + 1) / 2, L->ow = (w + 1) / 2;
    return VGS_OK;
}

static vgs_status vgs__add_linear(vgs_net *net, const char *name, size_t cin, size_t cout, vgs__view x, vgs__view y,
                                  const float *wt, const float *bias, int relu)
{
    vgs__layer *L = vgs__net_layer(net, VGS__LINEAR, name, cin, cout, 1, 1, x, y);
    if (!L) return VGS_ERR_OUT_OF_MEMORY;
    L->wt = wt, L->bias = bias;
    if (relu) L->out_min = 0.0f;
    return VGS_OK;
}

/* 2x2/s2 max-pool (floor), or adaptive average pool to oh x ow. */
static vgs_status vgs__add_pool2(vgs_net *net, vgs__kind kind, const char *name, size_t c, size_t h, size_t w,
                                 size_t oh, size_t ow, vgs__view x, vgs__view y)
{
    vgs__layer *L = vgs__net_layer(net, kind, name, c, c, h, w, x, y);
    if (!L) return VGS_ERR_OUT_OF_MEMORY;
    L->oh = kind == VGS__MAXPOOL2X2 ? h / 2 : oh, L->ow = kind == VGS__MAXPOOL2X2 ? w / 2 : ow;
    return VGS_OK;
}

static size_t vgs__div_up(size_t a, size_t b) { return (a + b - 1) / b; }

/* Does view v of c planes of `plane` floats fit inside its tensor? */
static int vgs__view_fits(const vgs_net *net, vgs__view v, size_t c, size_t plane)
{
    if (v.t < 0) return 1;
    if ((size_t)v.t >= net->n_tensors || c == 0) return 0;
    const size_t last = v.off + (c - 1) * v.cs + plane;
    return (c == 1 || v.cs >= plane) && last <= net->tensors[v.t].floats && last >= v.off;
}

/* The kernel names of every layer on tier k. */
static void vgs__name_kernels(vgs_net *net, const vgs_kernels *k)
{
    const char *isa = vgs_isa_to_string(k->isa);
    for (size_t i = 0; i < net->n_layers; i++) {
        vgs__layer *L = &net->layers[i];
        char *s = L->kernel;
        const size_t n = sizeof L->kernel;
        switch (L->kind) {
        case VGS__CONV3X3:
            if (L->winograd) snprintf(s, n, "vgs_f32_winograd3x3_f%d3%s__%s", L->winograd, L->pool ? "_maxpool2x2" : "", isa);
            else snprintf(s, n, "vgs_f32_conv3x3s%dp1%s__%s", L->stride, L->pool3 ? "_maxpool3x3s2p1" : "", isa);
            break;
        case VGS__CONV1X1: snprintf(s, n, "%s", k->gemm_name); break;
        case VGS__DWCONV3X3: snprintf(s, n, "vgs_f32_dwconv3x3s%dp1__%s", L->stride, isa); break;
        case VGS__MAXPOOL3X3: snprintf(s, n, "vgs_f32_maxpool3x3s2p1__%s", isa); break;
        case VGS__AVGPOOL3X3: snprintf(s, n, "vgs_f32_avgpool3x3s2p1__%s", isa); break;
        case VGS__GAVGPOOL: snprintf(s, n, "vgs_f32_gavgpool__%s", isa); break;
        case VGS__LINEAR: snprintf(s, n, "vgs_f32_fc%s__%s", !L->wh ? "" : L->wh_f16 ? "_f16w" : "_bf16w", isa); break;
        case VGS__MAXPOOL2X2: snprintf(s, n, "vgs_f32_maxpool2x2s2__%s", isa); break;
        case VGS__ADAPTIVE_AVGPOOL: snprintf(s, n, "vgs_f32_adaptive_avgpool__%s", isa); break;
        }
    }
    net->kernel_isa = (int)k->isa;
}

/* Partition, cost and view checks of one layer. */
static vgs_status vgs__plan_layer(const vgs_net *net, vgs__layer *L)
{
    const size_t hw = L->h * L->w, ohw = L->oh * L->ow;
    const size_t cin = L->cin, cout = L->cout;
    size_t win = 0;
    switch (L->kind) {
    case VGS__CONV3X3: {
        const size_t conv_px = L->stride == 1 ? hw : ((L->h + 1) / 2) * ((L->w + 1) / 2); /* before a fused pool */
        L->flops = 2.0 * 9 * (double)cin * cout * conv_px, L->wbytes = 4.0 * (9 * cin + 1) * cout;
        if (L->winograd) {
            /* VGS__TASK_WINO tasks: blocks of output channels (multiples of 6, the weights'
             * blocks) x bands of whole tile rows.  Every band reads all of its channels'
             * transformed weights (up to 67 MB a layer: memory bound) and every channel block
             * repeats the input transform (a few % of a layer per repeat), so: 256 and more
             * output channels split in blocks of at least 128, the rest in bands */
            const size_t rows = vgs_winograd3x3_tile_rows(L->winograd, L->h);
            size_t blocks = cout / 128 < 1 ? 1 : cout / 128;
            if (blocks > VGS__TASK_WINO) blocks = VGS__TASK_WINO;
            L->block = vgs__div_up(vgs__div_up(cout, blocks), 6) * 6;
            L->nb = vgs__div_up(rows, vgs__div_up(VGS__TASK_WINO, vgs__div_up(cout, L->block)));
            L->mtiles = vgs__div_up(rows, L->nb);
            L->tasks = L->mtiles * vgs__div_up(cout, L->block);
        } else if (L->pool3) {
            /* with its 3x3/s2 max-pool: tasks of nb pooled rows of all channels (about the
             * unfused direct convolution's VGS__TASK_CONV pixels a task, as bands of it), each
             * run `sub` pooled rows at a time in the thread's scratch (vgs__conv_pool_task): a
             * band's 2 * sub + 1 convolution rows and its pooled rows, <= VGS__TASK_FUSED
             * floats (256 KB: in a 512 KB L2 beside the input rows it reads) */
            const size_t per = cout * (2 * ((L->w + 1) / 2) + L->ow); /* a pooled row's floats, about */
            L->flops += 9.0 * (double)cout * ohw;
            L->block = cout;
            L->nb = vgs__div_up(VGS__TASK_CONV / 4, L->ow);
            if (L->nb > L->oh) L->nb = L->oh;
            L->mtiles = L->tasks = vgs__div_up(L->oh, L->nb);
            L->sub = VGS__TASK_FUSED / per > 2 ? VGS__TASK_FUSED / per - 1 : 1;
            if (L->sub > L->nb) L->sub = L->nb;
        } else {
            /* blocks of <= 32 channels (as even as multiples of 8 allow) x bands of output rows:
             * a task stages its input rows once for all its channels (the RGB input is read
             * once per 32 channels, not once per 8) and the bands keep threads busy on few
             * channels (the stems' 12 to 24) */
            const size_t oh = L->stride == 1 ? L->h : (L->h + 1) / 2, ow = conv_px / oh;
            L->block = vgs__div_up(vgs__div_up(cout, vgs__div_up(cout, VGS__TASK_OC)), 8) * 8;
            L->nb = vgs__div_up(VGS__TASK_CONV, ow);
            if (L->nb > oh) L->nb = oh;
            L->mtiles = vgs__div_up(oh, L->nb);
            L->tasks = L->mtiles * vgs__div_up(cout, L->block);
        }
        break;
    }
    case VGS__MAXPOOL2X2:
    case VGS__ADAPTIVE_AVGPOOL:
        L->block = vgs__div_up(VGS__TASK_PIXELS, hw);
        if (L->block > cin) L->block = cin;
        L->tasks = vgs__div_up(cin, L->block);
        L->flops = (double)cin * (L->kind == VGS__MAXPOOL2X2 ? 4 * ohw : hw);
        break;
    case VGS__CONV1X1: {
        const size_t g = (size_t)L->groups;
        if (g == 0 || cin % g || cout % g) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "layer %s: %zu -> %zu channels in %zu groups", L->name, cin, cout, g);
        }
        L->block = vgs_gemm_task_rows(cout / g, ohw, cin / g, g, L->x.cs, L->x_index != NULL); /* rows a task */
        L->mtiles = vgs_gemm_row_tasks(cout / g, L->block), L->ntiles = vgs__div_up(ohw, VGS__TASK_COLS);
        L->tasks = g * L->mtiles * L->ntiles;
        /* Where the GEMM packs B (vgs_gemm_packs_b) and a group's rows are split over tasks of
         * all its columns (planes of at most VGS__TASK_COLS), each task packed the same B: the
         * tasks run gemm_packed over panels packed once per thread, not once per task
         * (vgs__slot_panels; A/B in one process, AVX-512: 116 <- 116 14x14 indexed in 3 tasks
         * 0.84x the time, 232 <- 232 7x7 in 5 tasks 0.81x, as when the rows were whole) */
        L->panel_floats = L->mtiles > 1 && L->ntiles == 1 && vgs_gemm_packs_b(cin / g, L->x.cs, L->x_index != NULL)
                              ? VGS_GEMM_PANEL_FLOATS(ohw, cin / g) : 0;
        L->flops = 2.0 * (double)(cin / g) * cout * ohw, L->wbytes = 4.0 * (cin / g + 1) * cout;
        if (L->r.t >= 0) L->rd += 4.0 * cout * ohw;
        break;
    }
    case VGS__DWCONV3X3: win = 9, L->wbytes = 4.0 * 10 * cin; /* fall through */
    case VGS__MAXPOOL3X3:
    case VGS__AVGPOOL3X3:
        /* blocks of whole VGS__TASK_LANES channels (the channels-in-lanes kernels, lanes3x3.h:
         * a 21-channel block of 14x14 outputs was a group of 16 and a tail of 5 on AVX-512),
         * but for 17..32 channels at stride 2, which kernels/lanes3x3.h gives AVX2 whole;
         * in-process A/B, AVX-512 (/tmp/cb/cb.c): stride 1 14x14 21 -> 32 channels 0.83-0.90x
         * the time, stride 2 7x7 outputs 84 -> 96 0.89-0.95x, stride 2 14x14 outputs 21 -> 32
         * 1.08-1.24x (kept at 21), planes of 28x28 and more level */
        L->block = vgs__div_up(VGS__TASK_PIXELS, ohw);
        if (L->stride == 1 || L->block > 2 * VGS__TASK_LANES) L->block = vgs__div_up(L->block, VGS__TASK_LANES) * VGS__TASK_LANES;
        if (L->block > cin) L->block = cin;
        L->tasks = vgs__div_up(cin, L->block);
        L->flops = (win ? 2.0 : 1.0) * 9 * (double)cin * ohw;
        break;
    case VGS__GAVGPOOL:
        L->block = vgs__div_up(VGS__TASK_PIXELS, hw);
        if (L->block > cin) L->block = cin;
        L->tasks = vgs__div_up(cin, L->block);
        L->flops = (double)cin * hw;
        break;
    case VGS__LINEAR:
        L->block = VGS__TASK_FC, L->tasks = vgs__div_up(cout, L->block);
        L->flops = 2.0 * (double)cin * cout;
        L->wbytes = ((L->wh ? 2.0 : 4.0) * cin + (L->bias ? 4.0 : 0.0)) * cout;
        break;
    }
    L->rd += 4.0 * cin * hw, L->wr = 4.0 * cout * ohw;
    /* planes the views span: the channels, or through a conv1x1's index its largest entry + 1
     * (a dwconv3x3's y_index permutes its own cout planes) */
    const int ix1 = L->kind == VGS__CONV1X1;
    size_t xplanes = L->x_index ? 0 : cin, yplanes = L->y_index && ix1 ? 0 : cout;
    int ok = L->tasks != 0 && (!L->x_index || ix1);
    for (size_t c = 0; ok && L->x_index && c < cin; c++) {
        ok = L->x_index[c] >= 0;
        if (ok && (size_t)L->x_index[c] >= xplanes) xplanes = (size_t)L->x_index[c] + 1;
    }
    for (size_t c = 0; ok && L->y_index && c < cout; c++) {
        ok = L->y_index[c] >= 0 && (ix1 || (size_t)L->y_index[c] < cout);
        if (ok && ix1 && (size_t)L->y_index[c] >= yplanes) yplanes = (size_t)L->y_index[c] + 1;
    }
    ok = ok && vgs__view_fits(net, L->x, xplanes, hw) && vgs__view_fits(net, L->y, yplanes, ohw) &&
         vgs__view_fits(net, L->r, cout, ohw);
    if (!ok) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "internal: layer %s reads or writes outside its tensors", L->name);
    return VGS_OK;
}

/* The algorithm of a 3x3 stride-1 convolution: `forced` (vgs_net_options.winograd: -1 direct,
 * 2, 4 or 6), else by shape: direct below 8 input channels (the transforms would cost more
 * than they save), else the F(m x m, 3 x 3) with the fewest multiplies, (m+2)^2 / m^2 per
 * output over the ceil(h/m) m x ceil(w/m) m outputs its tiles compute (cropped ones included),
 * F(4,3) on a tie (its rounding error is smaller than F(6,3)'s).  That rule picks what was
 * measured fastest on every VGG16 layer (AVX2, 1 thread, `vggshuffle bench --layers
 * --conv3x3 f23|f43|f63|direct`, and bench/bench_winograd; ms of one shared, loaded run):
 *   layer (cin->cout, h)           direct   F(2,3)  F(4,3)  F(6,3)   chosen
 *   features.0    3->64  224         33-39       70      45      62   direct
 *   features.2   64->64  224 +pool       -      171     188     151   F(6,3)
 *   features.7  128->128 112 +pool       -      200     137      81   F(6,3)
 *   features.12 256->256  56           (*)      217     154     108   F(6,3)
 *   features.19 512->512  28           (*)      216     142     111   F(6,3)
 *   features.26 512->512  14             -       63      30      55   F(4,3)
 *   (*) bench_winograd, same run: direct 118 / 199 ms against F(6,3) 24 / 29 ms.
 * At 14 x 14, F(6,3)'s 3 x 3 tiles compute 18 x 18 outputs (1.65x) and its 9 tiles use 9 of
 * a 16-tile register panel's lanes; F(4,3)'s 16 tiles fill it exactly. */
static int vgs__choose_winograd(const vgs__layer *L, int forced)
{
    if (L->kind != VGS__CONV3X3 || L->stride != 1) return 0;
    if (forced) return forced < 0 ? 0 : forced;
    if (L->cin < 8) return 0;
    static const int ms[3] = {4, 6, 2};
    int best = 0;
    double best_cost = 0.0;
    for (int i = 0; i < 3; i++) {
        const size_t m = (size_t)ms[i];
        const double cost = (double)((m + 2) * (m + 2)) / (double)(m * m) * (double)(vgs__div_up(L->h, m) * m) *
                            (double)(vgs__div_up(L->w, m) * m);
        if (!best || cost < best_cost) best = ms[i], best_cost = cost;
    }
    return best;
}

/* Is tensor t used by a layer other than i and j? */
static int vgs__used_elsewhere(const vgs_net *net, int t, size_t i, size_t j)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        const vgs__layer *L = &net->layers[k];
        if (k != i && k != j && (L->x.t == t || L->y.t == t || L->r.t == t)) return 1;
    }
    return 0;
}

/* Each 3x3 stride-1 convolution's algorithm (Winograd weights transformed here, once), and a
 * 2x2 max-pool that only reads a Winograd convolution's output fused into its store. */
static vgs_status vgs__plan_convolutions(vgs_net *net, int forced)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        vgs__layer *L = &net->layers[i];
        if (!(L->winograd = vgs__choose_winograd(L, forced))) continue;
        const size_t n = vgs_winograd3x3_weights_floats(L->winograd, L->cout, L->cin);
        float *u = vgs__net_alloc_hot(net, n);
        if (!u) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for the Winograd weights of %s", L->name);
        vgs_status st = vgs_winograd3x3_transform_weights(L->winograd, L->cout, L->cin, L->wt, u);
        if (st != VGS_OK) return st;
        L->u = u;
        vgs__layer *P = i + 1 < net->n_layers ? &net->layers[i + 1] : NULL;
        if (P && P->kind == VGS__MAXPOOL2X2 && P->x.t == L->y.t && P->x.off == L->y.off && P->x.cs == L->y.cs &&
            !vgs__used_elsewhere(net, L->y.t, i, i + 1)) {
            L->pool = 1, L->y = P->y, L->oh = P->oh, L->ow = P->ow;
            memmove(P, P + 1, (net->n_layers - i - 2) * sizeof *P);
            net->n_layers--;
        }
    }
    return VGS_OK;
}

/* A 3x3/s2 max-pool that alone reads a direct stride-2 3x3 convolution's output (the
 * ShuffleNets' stem) fused into it, as the Winograd layers fuse their 2x2 max-pool: one
 * layer, named "CONV+POOL" (e.g. "conv1.0+maxpool"), that computes the pooled output in
 * bands through the thread's scratch (vgs__conv_pool_task), so that the convolution's output
 * (24 x 112 x 112 floats, 1.2 MB, for a 224 x 224 input) is never written out to a cache
 * level beyond L2 and read back.  off: not fused (vgs_net_options.conv_maxpool: -1, or 0 on
 * one thread, where it did not pay).
 * Measured (AVX2, Zen4 VM, in-process paired rounds, fused / two layers): the stem layer
 * 0.76-0.88x at 2 threads (one layer and one barrier instead of two; the threads no longer
 * share the L3 round trip), 0.98-1.02x at 1 thread: there the max-pool is bound by its own
 * work (its deinterleaving loads and NaN-keeping max), not by where its input lies (from a
 * warm L2 it is no faster), and each band drops one pooled row and the first row of
 * each task is recomputed.  Whole nets: 0.96-1.0x at 2 threads, 1.0-1.03x at 1. */
static void vgs__plan_conv_maxpool(vgs_net *net, int off)
{
    for (size_t i = 0; !off && i + 1 < net->n_layers; i++) {
        vgs__layer *L = &net->layers[i], *P = L + 1;
        if (L->kind != VGS__CONV3X3 || L->stride != 2 || L->winograd || P->kind != VGS__MAXPOOL3X3 ||
            P->x.t != L->y.t || P->x.off != L->y.off || P->x.cs != L->y.cs || P->y.t == L->y.t ||
            P->cin != L->cout || P->h != L->oh || P->w != L->ow || vgs__used_elsewhere(net, L->y.t, i, i + 1)) {
            continue;
        }
        const size_t n = strlen(L->name);
        if (n + 1 + strlen(P->name) < sizeof L->name) L->name[n] = '+', memcpy(L->name + n + 1, P->name, strlen(P->name) + 1);
        L->pool3 = 1, L->y = P->y, L->oh = P->oh, L->ow = P->ow;
        memmove(P, P + 1, (net->n_layers - i - 2) * sizeof *P);
        net->n_layers--;
    }
}

/* VGS_FC_BF16 / VGS_FC_F16: every linear layer's weights rounded to bf16 or half once, the
 * float ones freed.  A weight beyond the half range is an error (before anything is freed:
 * the net is destroyed whole on failure); NaN and infinity stay what they are. */
static vgs_status vgs__plan_fc_weights(vgs_net *net, int fc_weights)
{
    const int f16 = fc_weights == VGS_FC_F16;
#ifdef VGS__HUGE
    for (size_t i = 0; fc_weights == VGS_FC_F32 && i < net->n_layers; i++) { /* float: into huge pages */
        vgs__layer *L = &net->layers[i];
        if (L->kind != VGS__LINEAR || !L->wt) continue;
        const size_t n = L->cin * L->cout;
        float *w = vgs__net_alloc_hot(net, n);
        if (!w) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for the weights of %s", L->name);
        memcpy(w, L->wt, n * sizeof *w);
        vgs__net_free(net, L->wt, n);
        L->wt = w;
    }
#endif
    for (size_t i = 0; fc_weights != VGS_FC_F32 && i < net->n_layers; i++) {
        vgs__layer *L = &net->layers[i];
        if (L->kind != VGS__LINEAR || !L->wt) continue;
        const size_t n = L->cin * L->cout;
        for (size_t j = 0; f16 && j < n; j++) {
            const float w = L->wt[j];
            if (fabsf(w) >= 65520.0f && fabsf(w) != INFINITY) {
                return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "%s.weight[%zu][%zu] = %g is beyond the fp16 range (it "
                                 "would round to infinity; |w| < 65520 rounds to at most 65504): use fc_weights "
                                 "VGS_FC_BF16 or VGS_FC_F32", L->name,
                                 j / L->cin, j % L->cin, (double)w);
            }
        }
        uint16_t *h = (uint16_t *)(void *)vgs__net_alloc_hot(net, (n + 1) / 2);
        if (!h) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for the %s weights of %s", f16 ? "fp16" : "bf16", L->name);
        if (f16) vgs_f32_to_f16(n, L->wt, h);
        else vgs_f32_to_bf16(n, L->wt, h);
        vgs__net_free(net, L->wt, n);
        L->wh = h, L->wh_f16 = f16, L->wt = NULL;
    }
    return VGS_OK;
}

/* Every 1x1 convolution's weights packed for the GEMM (vgs_gemm_pack_a), group after group,
 * each group's m = cout/groups rows in whole blocks; the row-major copy freed. */
static vgs_status vgs__plan_gemm_weights(vgs_net *net)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        vgs__layer *L = &net->layers[i];
        if (L->kind != VGS__CONV1X1 || !L->wt || L->groups < 1) continue;
        const size_t g = (size_t)L->groups, m = L->cout / g, k = L->cin / g, per = VGS_GEMM_PACKED_A_FLOATS(m, k);
        float *pk = vgs__net_alloc_hot(net, g * per);
        if (!pk) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for the packed weights of %s", L->name);
        for (size_t q = 0; q < g; q++) vgs_gemm_pack_a(m, k, L->wt + q * m * k, k, pk + q * per, VGS_GEMM_PACK_ROWS * k);
        vgs__net_free(net, L->wt, L->cout * k);
        L->wt = pk;
    }
    return VGS_OK;
}

/* Scratch floats of a conv3x3 with its max-pool fused (pool3): per channel 2 * sub + 2
 * convolution rows (vgs__conv_pool_task), then per channel sub + 1 pooled rows. */
static size_t vgs__conv_pool_floats(const vgs__layer *L)
{
    return ((L->cout * (2 * L->sub + 2) * ((L->w + 1) / 2) + 15) & ~(size_t)15) + L->cout * (L->sub + 1) * L->ow;
}

/* Whether tensors u and t are alive at a common layer, and whether [a, a + an) and [b, b + bn)
 * overlap: the arena placement's two tests. */
static int vgs__alive_together(const vgs__tensor *u, const vgs__tensor *t)
{
    return !(u->last < t->first || t->last < u->first);
}

static int vgs__ranges_overlap(size_t a, size_t an, size_t b, size_t bn) { return a < b + bn && b < a + an; }

/* Whether a layer of this kind reads each channel on one thread only (its tasks are blocks
 * of channels), as against every task reading all of its input (1x1, 3x3, linear). */
static int vgs__channelwise(vgs__kind kind)
{
    return kind == VGS__DWCONV3X3 || kind == VGS__MAXPOOL3X3 || kind == VGS__AVGPOOL3X3 || kind == VGS__GAVGPOOL ||
           kind == VGS__MAXPOOL2X2 || kind == VGS__ADAPTIVE_AVGPOOL;
}

/* Among the placed tensors but a and b, whether one alive with tensor t (ignoring its own
 * offset) overlaps [off, off + size). */
static int vgs__range_taken(const vgs_net *net, const size_t *order, size_t placed, int t, int a, int b, size_t off,
                            size_t size)
{
    const vgs__tensor *T = &net->tensors[t];
    for (size_t j = 0; j < placed; j++) {
        const vgs__tensor *u = &net->tensors[order[j]];
        const size_t usize = u->floats * net->max_batch;
        if ((int)order[j] == a || (int)order[j] == b || !vgs__alive_together(u, T)) continue;
        if (vgs__ranges_overlap(off, size, u->offset, usize)) return 1;
    }
    return 0;
}

/* The layer that last read memory [off, off + size) before layer `before` (of the placed
 * tensors but a, those dead by then: the latest last use), or -1: none did. */
static int vgs__range_last_use(const vgs_net *net, const size_t *order, size_t placed, int a, size_t off, size_t size,
                               int before)
{
    int last = -1;
    for (size_t j = 0; j < placed; j++) {
        const vgs__tensor *u = &net->tensors[order[j]];
        const size_t usize = u->floats * net->max_batch;
        if ((int)order[j] == a || u->last >= before || u->last <= last) continue;
        if (vgs__ranges_overlap(off, size, u->offset, usize)) last = u->last;
    }
    return last;
}

/* A depthwise layer's output where only one core held the lines before.  On 2 threads a
 * layer writing memory that the other core still holds in its cache waits for every such line
 * to be taken back; a 1x1 layer leaves its whole input in both cores' caches (each task reads
 * all of it), a channel-wise layer each channel in one core's.  The greedy placement above
 * put ShuffleNet V2's units in a fixed pattern: the first 1x1's output (the depthwise layer's
 * input) in one range, the depthwise output (the second 1x1's input) in another, unit after
 * unit, so every depthwise layer but a stage's first wrote where the second 1x1 of the unit
 * before had read on both cores (stage3.2 .. 3.7 of V2 x1.5: 16.5-18.1 us at 2 threads where
 * stage3.1, whose output range only a depthwise layer had read, took 10.6-11.5; 13.9 at 1).
 * So where a depthwise layer's output range was last read by a layer of another kind and its
 * input's (before the input) by a channel-wise one, the two tensors of equal size swap
 * ranges, if both still fit: the units then alternate, the depthwise output going where the
 * previous depthwise layer read, the 1x1's output (whose stores its arithmetic hides) where
 * the 1x1 read.  Placement changes no result.  A/B in one process (`chrt -f 50 tools/ab.sh
 * --threads T --rounds 9`, logits identical): 2 threads V2 x1.0 0.985x the time, x1.5 0.993x
 * (V2 0.970-0.996x, V1 g3 1.0x 0.995x before ab_net paused between passes); 1 thread level. */
static void vgs__plan_channelwise_outputs(vgs_net *net, const size_t *order, size_t placed)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        const vgs__layer *D = &net->layers[i];
        if (D->kind != VGS__DWCONV3X3 || D->x.t < 2 || D->y.t < 2 || D->x.t == D->y.t) continue;
        vgs__tensor *A = &net->tensors[D->x.t], *B = &net->tensors[D->y.t];
        const size_t size = A->floats * net->max_batch;
        if (A->floats != B->floats) continue;
        const int b_prev = vgs__range_last_use(net, order, placed, -1, B->offset, size, B->first);
        if (b_prev < 0 || vgs__channelwise(net->layers[b_prev].kind)) continue; /* already so */
        const int a_prev = vgs__range_last_use(net, order, placed, D->x.t, A->offset, size, B->first);
        if (a_prev >= 0 && !vgs__channelwise(net->layers[a_prev].kind)) continue; /* no better */
        if (vgs__range_taken(net, order, placed, D->x.t, D->x.t, D->y.t, B->offset, size) ||
            vgs__range_taken(net, order, placed, D->y.t, D->x.t, D->y.t, A->offset, size)) {
            continue;
        }
        const size_t off = A->offset;
        A->offset = B->offset, B->offset = off;
    }
}

/* Lifetimes, arena placement, partitions; allocates the arena and starts the threads. */
static vgs_status vgs__net_plan(vgs_net *net, const vgs_net_options *o)
{
    vgs_status st;
    int threads = o ? o->num_threads : 0;
    const char *env = getenv("VGS_NUM_THREADS");
    if (threads == 0 && env && *env) { /* like OMP_NUM_THREADS: 1..256, else ignored (why: in the last error) */
        char *end;
        errno = 0;
        const long t = strtol(env, &end, 10);
        if (!*end && !errno && t >= 1 && t <= VGS__MAX_THREADS) threads = (int)t;
        else (void)vgs__fail(VGS_ERR_INVALID_ARGUMENT, "VGS_NUM_THREADS='%.32s' ignored (not a count from 1 to %d): "
                             "one thread per online core", env, VGS__MAX_THREADS);
    }
    if (threads == 0) {
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores < 1 ? 1 : cores > VGS__MAX_THREADS ? VGS__MAX_THREADS : (int)cores;
    }
    net->max_batch = o && o->max_batch > 0 ? (size_t)o->max_batch : 1;
    if ((st = vgs__plan_convolutions(net, o ? o->winograd : 0)) != VGS_OK) return st;
    /* the stem's max-pool fused where it pays: on more than one thread (or a host's pool) */
    const int fuse = o && o->conv_maxpool ? o->conv_maxpool > 0 : threads > 1 || (o && o->parallel_for);
    vgs__plan_conv_maxpool(net, !fuse);
    if ((st = vgs__plan_gemm_weights(net)) != VGS_OK) return st;
    if ((st = vgs__plan_fc_weights(net, o ? o->fc_weights : VGS_FC_F32)) != VGS_OK) return st;
    for (size_t t = 0; t < net->n_tensors; t++) net->tensors[t].first = -1, net->tensors[t].last = -1;
    for (size_t i = 0; i < net->n_layers; i++) {
        vgs__layer *L = &net->layers[i];
        if ((st = vgs__plan_layer(net, L)) != VGS_OK) return st;
        if ((L->kind == VGS__LINEAR ? 1 : net->max_batch) > (size_t)UINT32_MAX / L->tasks) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "max_batch %zu is too large for layer %s", net->max_batch, L->name);
        }
        const vgs__view uses[3] = {L->x, L->r, L->y};
        for (int u = 0; u < 3; u++) {
            if (uses[u].t < 0) continue;
            vgs__tensor *t = &net->tensors[uses[u].t];
            if (t->first < 0) t->first = (int)i;
            t->last = (int)i;
        }
    }
    /* Place the internal tensors, largest first, each at the lowest offset that overlaps no
     * placed tensor alive at the same time (greedy by size). */
    const size_t nt = net->n_tensors;
    size_t *order = (size_t *)malloc(nt * sizeof *order), total = 0, placed = 0;
    if (!order) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t t = 2; t < nt; t++) {
        if (net->tensors[t].first < 0) continue; /* unused */
        if (net->tensors[t].floats > ((size_t)-1 / 8) / net->max_batch) {
            free(order);
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "workspace for %zu images overflows", net->max_batch);
        }
        size_t j = placed++;
        while (j > 0 && net->tensors[order[j - 1]].floats < net->tensors[t].floats) order[j] = order[j - 1], j--;
        order[j] = t;
    }
    for (size_t i = 0; i < placed; i++) {
        vgs__tensor *t = &net->tensors[order[i]];
        const size_t size = t->floats * net->max_batch;
        size_t off = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (size_t j = 0; j < i; j++) {
                const vgs__tensor *u = &net->tensors[order[j]];
                const size_t usize = u->floats * net->max_batch;
                if (!vgs__alive_together(u, t) || !vgs__ranges_overlap(off, size, u->offset, usize)) continue;
                off = u->offset + usize, moved = 1;
            }
        }
        t->offset = off;
        if (off + size > total) total = off + size;
    }
    vgs__plan_channelwise_outputs(net, order, placed);
    free(order);
    if (total > ((size_t)-1 - 64) / sizeof(float) / 2) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "workspace overflows");
    net->arena = vgs__net_alloc_hot(net, total ? total : 1);
    net->base = (float **)calloc(nt, sizeof *net->base);
    if (!net->arena || !net->base) {
        return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte workspace", total * sizeof(float));
    }
    net->arena_bytes = total * sizeof(float);
    for (size_t t = 2; t < nt; t++) net->base[t] = net->arena + net->tensors[t].offset;
    vgs__name_kernels(net, vgs_kernels_current());
    /* scratch: one slot per thread that can run a task at once */
    for (size_t i = 0; i < net->n_layers; i++) {
        const vgs__layer *L = &net->layers[i];
        const size_t f = L->winograd ? (vgs_winograd3x3_scratch_floats(L->winograd, L->cin) + 15) & ~(size_t)15
                       : L->kind == VGS__CONV1X1 ? VGS_GEMM_SCRATCH_FLOATS(L->cin / (size_t)L->groups)
                       : L->pool3                ? vgs__conv_pool_floats(L)
                       : 0;
        if (f > net->slot_floats) net->slot_floats = f;
        if (L->panel_floats > net->slot_floats) net->slot_floats = L->panel_floats; /* (gemm's is as large, today) */
    }
    if (net->slot_floats) {
        net->n_slots = (size_t)threads;
        net->scratch = vgs__net_alloc_hot(net, net->n_slots * net->slot_floats);
        net->slot_busy = (int *)calloc(net->n_slots, sizeof *net->slot_busy);
        net->slot_panels = (size_t *)calloc(net->n_slots, sizeof *net->slot_panels);
        if (!net->scratch || !net->slot_busy || !net->slot_panels) {
            return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory for scratch");
        }
    }
    if (o && o->parallel_for) {
        net->parallel_for = o->parallel_for, net->parallel_ctx = o->parallel_ctx;
        return vgs__pool_start(&net->pool, 1);
    }
    return vgs__pool_start(&net->pool, threads);
}

/* A free scratch slot for the calling task (one is free unless a host pool runs more tasks
 * at once than num_threads promised; then it waits for one). */
static size_t vgs__slot_take(const vgs_net *net)
{
    for (;;) {
        for (size_t i = 0; i < net->n_slots; i++) {
            int free_ = 0;
            if (!__atomic_load_n(&net->slot_busy[i], __ATOMIC_RELAXED) &&
                __atomic_compare_exchange_n(&net->slot_busy[i], &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
                return i;
            }
        }
        sched_yield();
    }
}

/* The B panels of conv1x1 layer L (panel_floats) for image * groups + group `ig` of the
 * current chunk, in scratch slot `slot` (taken): packed there by the first of the layer's
 * row tasks to take that slot (b: the group's B, through b_index where given) and reused by
 * the slot's later tasks of the same image and group (net->slot_panels, emptied before the
 * layer's job).  A task takes the first free slot, so on a pool each thread mostly keeps its
 * own: the panels are packed once per thread (on 2 threads both pack the whole B, at once),
 * into memory that only that core then writes and reads.  (Before: a job of gemm_pack_b
 * before the row tasks, into one buffer that both threads then read, so that every line of
 * the next layer's panels had to be taken back from the other core's cache; and a barrier
 * more.  A/B in one process, `chrt -f 50 tools/ab.sh --threads T --rounds 9`, logits
 * identical: 2 threads V2 x1.0 0.972x the time, x1.5 0.983x (V2 x0.5-x2.0 0.970-0.982x
 * before ab_net paused between passes); 1 thread level.)  Which slot or thread packs changes
 * no result: the panels are the same floats whoever packs them, and gemm_packed's results
 * are gemm's. */
static const float *vgs__slot_panels(const vgs_net *net, const vgs__layer *L, const vgs_kernels *k, size_t slot,
                                     size_t ig, const float *b, const int32_t *b_index)
{
    float *panels = net->scratch + slot * net->slot_floats;
    if (net->slot_panels[slot] != ig) {
        const size_t kk = L->cin / (size_t)L->groups;
        k->gemm_pack_b(L->oh * L->ow, kk, 0, kk, b, L->x.cs, b_index, panels);
        net->slot_panels[slot] = ig;
    }
    return panels;
}

/* Image `img` of view v in the current chunk. */
static float *vgs__at(const vgs_net *net, vgs__view v, size_t img)
{
    return net->base[v.t] + img * net->tensors[v.t].floats + v.off;
}

/* Task `part` of a direct stride-2 conv3x3 with its 3x3/s2 max-pool fused (pool3): pooled
 * rows [p0, p1) of every channel, L->sub at a time.  The convolution rows such a band reads,
 * 2*p0 - 1 .. 2*p1 - 1 (from 0 for p0 = 0), go to the thread's scratch and are max-pooled
 * from there, by the kernels of the unfused layers over the same rows in the same order: so
 * every output is bit-identical to theirs.  The pool kernel takes the row above the plane it
 * is given for padding, so a band past the first gives it the plane from convolution row
 * 2*p0 - 2 on (scratch row 0 of a channel, a zero filler never computed) and drops its first
 * pooled row: those bands pool into scratch and are copied out; the first pools into y.
 * Row 2*p0 - 1, which a band shares with the one before it, is carried over within a task
 * (copied) and computed twice only where a task begins. */
static void vgs__conv_pool_task(const vgs_net *net, const vgs__layer *L, const vgs_kernels *k, const float *x,
                                float *y, size_t part)
{
    const size_t ch = (L->h + 1) / 2, cw = (L->w + 1) / 2, ow = L->ow; /* ch x cw: the convolution's output */
    const size_t ccs = (2 * L->sub + 2) * cw, ocs = (L->sub + 1) * ow;  /* a channel in scratch          */
    const size_t slot = vgs__slot_take(net);
    float *s = net->scratch + slot * net->slot_floats, *o = s + ((L->cout * ccs + 15) & ~(size_t)15);
    for (size_t c = 0; c < L->cout; c++) memset(s + c * ccs, 0, cw * sizeof *s);
    const size_t end = (part + 1) * L->nb < L->oh ? (part + 1) * L->nb : L->oh;
    size_t carry = 0; /* the scratch row holding row 2*p0 - 1, computed for the band before, or 0 */
    for (size_t p0 = part * L->nb; p0 < end; p0 += L->sub) {
        const size_t p1 = end - p0 < L->sub ? end : p0 + L->sub, e = 2 * p1 < ch ? 2 * p1 : ch; /* rows < e */
        if (p0 == 0) { /* rows 0 .. e - 1 to scratch rows 1 .. e */
            k->conv3x3s2p1(L->cin, L->cout, L->h, L->w, x, L->x.cs, L->wt, L->bias, s + cw, ccs, L->out_min,
                           L->out_max, 0, e);
            k->maxpool3x3s2p1(L->cout, e, cw, s + cw, ccs, y, L->y.cs);
            carry = e;
            continue;
        }
        /* rows r0 = 2*p0 - 1 .. e - 1 to scratch rows 1 .. e - r0: rows 1 (or 2 after the
         * carried row r0) .. of the convolution of the input from row 2*(r0 - 1) on */
        const size_t r0 = 2 * p0 - 1, skip = 2 * (r0 - 1) * L->w;
        for (size_t c = 0; carry > 1 && c < L->cout; c++) memcpy(s + c * ccs + cw, s + c * ccs + carry * cw, cw * sizeof *s);
        k->conv3x3s2p1(L->cin, L->cout, L->h - 2 * (r0 - 1), L->w, x + skip, L->x.cs, L->wt, L->bias, s, ccs,
                       L->out_min, L->out_max, carry ? 2 : 1, e - r0 + 1);
        k->maxpool3x3s2p1(L->cout, e - r0 + 1, cw, s, ccs, o, ocs); /* pooled rows p0 - 1 .. p1 - 1 */
        for (size_t c = 0; c < L->cout; c++) memcpy(y + c * L->y.cs + p0 * ow, o + c * ocs + ow, (p1 - p0) * ow * sizeof *y);
        carry = e - r0;
    }
    __atomic_store_n(&net->slot_busy[slot], 0, __ATOMIC_RELEASE);
}

/* Task t of the running layer: t = image * tasks + part (linear: t = part, every image). */
static void vgs__task_run(void *arg, size_t t)
{
    const vgs_net *net = (const vgs_net *)arg;
    const vgs__layer *L = net->run_layer;
    const vgs_kernels *k = net->run_k;
    if (L->kind == VGS__LINEAR) {
        const size_t o0 = t * L->block, on = L->cout - o0 < L->block ? L->cout - o0 : L->block;
        const float *bias = L->bias ? L->bias + o0 : NULL, *x = vgs__at(net, L->x, 0);
        float *y = vgs__at(net, L->y, 0) + o0 * L->y.cs;
        const size_t xs = net->tensors[L->x.t].floats, ys = net->tensors[L->y.t].floats;
        if (L->wh) (L->wh_f16 ? k->fc_f16w : k->fc_bf16w)(on, L->cin, L->wh + o0 * L->cin, bias, net->run_n, x, xs, y, ys, L->out_min, L->out_max);
        else k->fc(on, L->cin, L->wt + o0 * L->cin, bias, net->run_n, x, xs, y, ys, L->out_min, L->out_max);
        return;
    }
    const size_t img = t / L->tasks, part = t % L->tasks;
    const float *x = vgs__at(net, L->x, img);
    float *y = vgs__at(net, L->y, img);
    const size_t xcs = L->x.cs, ycs = L->y.cs;
    if (L->kind == VGS__CONV1X1) {
        const size_t g = (size_t)L->groups, m = L->cout / g, kk = L->cin / g, n = L->oh * L->ow;
        const size_t grp = part / (L->mtiles * L->ntiles), mi = part / L->ntiles % L->mtiles, ni = part % L->ntiles;
        /* the columns in ntiles near-equal shares of whole units (28x28 = 784: 192, 192, 192,
         * 208, not 256, 256, 256, 16, whose last task would leave a thread idle) */
        size_t u0, u1;
        vgs__even_share(vgs__div_up(n, VGS__COL_UNIT), L->ntiles, ni, &u0, &u1);
        const size_t j0 = u0 * VGS__COL_UNIT, j1 = u1 * VGS__COL_UNIT;
        /* the rows likewise, near-equal shares of whole 6-row tiles (vgs_gemm_row_share: 28x28's
         * 88 rows 42 and 46, not 48 and 40; 14x14's 176: 42, 48, 42, 44, not 48, 48, 48, 32: on
         * 2 threads 90 and 86 rows, not 96 and 80) */
        size_t r0, r1;
        vgs_gemm_row_share(m, L->mtiles, mi, &r0, &r1);
        const size_t i0 = grp * m + r0, rows = r1 - r0;
        const size_t cols = (j1 < n ? j1 : n) - j0;
        const float *r = L->r.t >= 0 ? vgs__at(net, L->r, img) + i0 * L->r.cs + j0 : NULL;
        const int32_t *xi = L->x_index ? L->x_index + grp * kk : NULL, *yi = L->y_index ? L->y_index + i0 : NULL;
        /* the group's packed weights, from its row r0 (a whole block) on */
        const float *a = L->wt + grp * VGS_GEMM_PACKED_A_FLOATS(m, kk) + r0 * kk;
        const size_t slot = vgs__slot_take(net);
        if (L->panel_floats) { /* one column block (j0 = 0), B's panels packed once per slot */
            const float *panels = vgs__slot_panels(net, L, k, slot, img * g + grp, x + (xi ? 0 : grp * kk * xcs), xi);
            k->gemm_packed(rows, cols, kk, a, VGS_GEMM_PACK_ROWS * kk, panels, L->bias ? L->bias + i0 : NULL, r, L->r.cs,
                           y + (yi ? 0 : i0 * ycs), ycs, yi, L->out_min, L->out_max);
            __atomic_store_n(&net->slot_busy[slot], 0, __ATOMIC_RELEASE);
            return;
        }
        k->gemm(rows, cols, kk, a, VGS_GEMM_PACK_ROWS * kk, x + (xi ? 0 : grp * kk * xcs) + j0, xcs, xi,
                L->bias ? L->bias + i0 : NULL, r, L->r.cs, y + (yi ? 0 : i0 * ycs) + j0, ycs, yi, L->out_min, L->out_max,
                net->scratch + slot * net->slot_floats);
        __atomic_store_n(&net->slot_busy[slot], 0, __ATOMIC_RELEASE);
        return;
    }
    if (L->winograd) {
        const vgs_winograd3x3_fn f = L->winograd == 2 ? k->winograd3x3_f23
                                   : L->winograd == 4 ? k->winograd3x3_f43 : k->winograd3x3_f63;
        const size_t tr = part % L->mtiles * L->nb, oc = part / L->mtiles * L->block;
        const size_t slot = vgs__slot_take(net);
        f(L->cin, L->cout, L->h, L->w, x, xcs, L->u, L->bias, y, ycs, L->out_min, L->out_max, L->pool, tr, tr + L->nb, oc,
          oc + L->block, net->scratch + slot * net->slot_floats);
        __atomic_store_n(&net->slot_busy[slot], 0, __ATOMIC_RELEASE);
        return;
    }
    if (L->pool3) {
        vgs__conv_pool_task(net, L, k, x, y, part);
        return;
    }
    if (L->kind == VGS__CONV3X3) { /* direct: a band of rows x a block of channels */
        const size_t oy = part % L->mtiles * L->nb, c0 = part / L->mtiles * L->block;
        const size_t cn = L->cout - c0 < L->block ? L->cout - c0 : L->block;
        (L->stride == 2 ? k->conv3x3s2p1 : k->conv3x3s1p1)(L->cin, cn, L->h, L->w, x, xcs, L->wt + c0 * L->cin * 9,
                                                           L->bias ? L->bias + c0 : NULL, y + c0 * ycs, ycs, L->out_min,
                                                           L->out_max, oy, oy + L->nb);
        return;
    }
    const size_t c0 = part * L->block, cn = L->cout - c0 < L->block ? L->cout - c0 : L->block;
    const float *bias = L->bias ? L->bias + c0 : NULL;
    switch (L->kind) {
    case VGS__CONV3X3: break; /* above */
    case VGS__DWCONV3X3:
        (L->stride == 2 ? k->dwconv3x3s2p1 : k->dwconv3x3s1p1)(cn, L->h, L->w, x + c0 * xcs, xcs, L->wt + c0 * 9, bias,
                                                               L->y_index ? y : y + c0 * ycs, ycs,
                                                               L->y_index ? L->y_index + c0 : NULL, L->out_min,
                                                               L->out_max);
        break;
    case VGS__MAXPOOL3X3: k->maxpool3x3s2p1(cn, L->h, L->w, x + c0 * xcs, xcs, y + c0 * ycs, ycs); break;
    case VGS__AVGPOOL3X3: k->avgpool3x3s2p1(cn, L->h, L->w, x + c0 * xcs, xcs, y + c0 * ycs, ycs); break;
    case VGS__GAVGPOOL: k->global_avgpool(cn, L->h * L->w, x + c0 * xcs, xcs, y + c0 * ycs); break;
    case VGS__MAXPOOL2X2: k->maxpool2x2s2(cn, L->h, L->w, x + c0 * xcs, xcs, y + c0 * ycs, ycs); break;
    case VGS__ADAPTIVE_AVGPOOL:
        k->adaptive_avgpool(cn, L->h, L->w, x + c0 * xcs, xcs, L->oh, L->ow, y + c0 * ycs, ycs);
        break;
    default: break;
    }
}

/* A task with denormals flushed on the thread that runs it (a pool's or the host's). */
static void vgs__task(void *arg, size_t t)
{
    const uint64_t fp = vgs_fp_flush_denormals();
    vgs__task_run(arg, t);
    vgs_fp_restore(fp);
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
    if (n > SIZE_MAX / net->tensors[VGS__IN].floats) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_forward: n = %zu images do not fit in memory", n);
    }
    if (__atomic_exchange_n(&net->busy, 1, __ATOMIC_ACQUIRE)) {
        return vgs__fail(VGS_ERR_BUSY, "vgs_net_forward: this net is already running a forward pass (in another "
                                       "thread); a net runs one pass at a time: use one net per thread");
    }
    const vgs_kernels *k = vgs_kernels_current();
    if (net->kernel_isa != (int)k->isa) vgs__name_kernels(net, k);
    net->run_k = k;
    const size_t image = net->tensors[VGS__IN].floats, ncls = (size_t)net->num_classes;
    for (size_t i0 = 0; i0 < n; i0 += net->max_batch) {
        const size_t nb = n - i0 < net->max_batch ? n - i0 : net->max_batch;
        net->base[VGS__IN] = (float *)(uintptr_t)(x + i0 * image); /* read only */
        net->base[VGS__OUT] = logits + i0 * ncls;
        net->run_n = nb;
        for (size_t i = 0; i < net->n_layers; i++) {
            vgs__layer *L = &net->layers[i];
            const size_t tasks = L->kind == VGS__LINEAR ? L->tasks : L->tasks * nb;
            const double t0 = vgs__now_ms();
            net->run_layer = L;
            if (L->panel_floats) { /* no slot holds this layer's panels yet (vgs__slot_panels) */
                for (size_t s = 0; s < net->n_slots; s++) net->slot_panels[s] = SIZE_MAX;
            }
            if (net->parallel_for) net->parallel_for(net->parallel_ctx, tasks, vgs__task, net);
            else vgs__pool_run(&net->pool, vgs__task, net, tasks);
            L->ms = vgs__now_ms() - t0;
        }
        net->last_n = nb;
    }
    __atomic_store_n(&net->busy, 0, __ATOMIC_RELEASE);
    return VGS_OK;
}

int vgs_net_num_classes(const vgs_net *net) { return net ? net->num_classes : 0; }
size_t vgs_net_workspace_size(const vgs_net *net) { return net ? net->arena_bytes : 0; }
size_t vgs_net_memory_size(const vgs_net *net) { return net ? net->alloc_bytes : 0; }
int vgs_net_num_threads(const vgs_net *net) { return net ? net->pool.nthreads : 0; }
const vgs_preprocess *vgs_net_preprocess(const vgs_net *net) { return net ? &net->pp : NULL; }
size_t vgs_net_num_layers(const vgs_net *net) { return net ? net->n_layers : 0; }

void vgs_net_input_shape(const vgs_net *net, int *c, int *h, int *w)
{
    if (c) *c = net ? net->in_c : 0;
    if (h) *h = net ? net->in_h : 0;
    if (w) *w = net ? net->in_w : 0;
}

vgs_status vgs_net_layer_info(const vgs_net *net, size_t index, vgs_layer_info *out)
{
    if (!net || !out || index >= net->n_layers) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_layer_info: NULL or index %zu out of range", index);
    }
    const vgs__layer *L = &net->layers[index];
    const double n = (double)net->last_n;
    memset(out, 0, sizeof *out);
    out->name = L->name;
    out->kind = vgs__kind_names[L->kind];
    out->kernel = L->kernel;
    out->n = (int)net->last_n, out->c = (int)L->cout, out->h = (int)L->oh, out->w = (int)L->ow;
    out->tasks = L->tasks;
    out->flops = n * L->flops;
    out->bytes_read = n * L->rd + (L->kind == VGS__LINEAR ? (net->last_n ? 1.0 : 0.0) : n) * L->wbytes;
    out->bytes_written = n * L->wr;
    out->ms = L->ms;
    return VGS_OK;
}

/* ==========================================================================================
 *  Weights into a net: tensors taken by name with shape checks, BatchNorm folded
 * ========================================================================================== */

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
        return vgs__fail(VGS_ERR_FORMAT, "weights: tensor '%s' is %s, expected F32 (the nets take float32 weights: "
                                         "save them from a float32 model, e.g. after model.float() in PyTorch)",
                         name, vgs_dtype_name(t.dtype));
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
    char name[160]; /* the builders' names are at most 80 bytes, plus ".running_mean" */
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

/* The input size the options ask for (default: the model's), and the other options' range. */
static vgs_status vgs__check_options(const vgs_net_options *o, int *h, int *w)
{
    *h = *w = 224;
    if (!o) return VGS_OK;
    if (o->num_threads < 0 || o->input_height < 0 || o->input_width < 0 || o->max_batch < 0) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "negative value in vgs_net_options");
    }
    if (o->num_threads > VGS__MAX_THREADS) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "num_threads %d: at most %d", o->num_threads, VGS__MAX_THREADS);
    }
    if (o->winograd != 0 && o->winograd != -1 && o->winograd != 2 && o->winograd != 4 && o->winograd != 6) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "winograd %d: 0 (by shape), -1 (direct), 2, 4 or 6", o->winograd);
    }
    if (o->fc_weights != VGS_FC_F32 && o->fc_weights != VGS_FC_BF16 && o->fc_weights != VGS_FC_F16) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "fc_weights %d: VGS_FC_F32 (0), VGS_FC_BF16 (1) or VGS_FC_F16 (2)",
                         o->fc_weights);
    }
    if (o->conv_maxpool < -1 || o->conv_maxpool > 1) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "conv_maxpool %d: 0 (where it pays), 1 (fused) or -1 (two layers)",
                         o->conv_maxpool);
    }
    if (o->input_height) *h = o->input_height;
    if (o->input_width) *w = o->input_width;
    if (*h < 32 || *w < 32 || *h > 4096 || *w > 4096) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "input size %dx%d outside 32..4096", *h, *w);
    }
    return VGS_OK;
}

/* The steps every model family's create shares: the options, a new net with the family's
 * preprocessing (pp: colour order, scale, mean and std; the crop is the input size and the
 * short side is resized to 256/224 of it), the family's build over a loader of the weights, the
 * plan; the net is destroyed on any error.  build takes the family's config. */
typedef vgs_status (*vgs__build_fn)(vgs__loader *ld, const void *config, vgs_net *net);

static vgs_status vgs__net_create(vgs__build_fn build, const void *config, int num_classes, vgs_preprocess pp,
                                  const vgs_weights *weights, const vgs_net_options *options, vgs_net **out)
{
    int h, w;
    vgs_status st = vgs__check_options(options, &h, &w);
    if (st != VGS_OK) return st;
    vgs_net *net = vgs__net_new(num_classes, 3, h, w);
    if (!net) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    pp.resize_short = (int)((h > w ? h : w) * 256.0 / 224.0 + 0.5), pp.crop_height = h, pp.crop_width = w;
    net->pp = pp;
    vgs__loader ld = {weights, net, NULL, 0, 0};
    st = build(&ld, config, net);
    free((void *)ld.taken);
    if (st == VGS_OK) st = vgs__net_plan(net, options);
    if (st != VGS_OK) {
        vgs_net_destroy(net);
        return st;
    }
    *out = net;
    return VGS_OK;
}

/* ==========================================================================================
 *  Model families: one builder file each (nets/), on the runtime above
 * ========================================================================================== */
#include "nets/shufflenet_v1.h"
#include "nets/vgg.h"
#include "nets/shufflenet_v2.h"

/* ==========================================================================================
 *  Networks by name
 * ========================================================================================== */

/* A model family as vgs_net_create knows it: its names parsed into its config, and its
 * builder's entry point. */
typedef union vgs__config {
    vgs_shufflenet_v1_config sv1;
    vgs_shufflenet_v2_config sv2;
    vgs_vgg_config vgg;
} vgs__config;

static vgs_status vgs__create_sv1(const vgs__config *c, const vgs_weights *w, const vgs_net_options *o, vgs_net **out)
{
    return vgs_shufflenet_v1_create(&c->sv1, w, o, out);
}
static int vgs__parse_sv1(const char *model, vgs__config *c) { return vgs__sv1_parse_name(model, &c->sv1); }
static vgs_status vgs__create_vgg(const vgs__config *c, const vgs_weights *w, const vgs_net_options *o, vgs_net **out)
{
    return vgs_vgg_create(&c->vgg, w, o, out);
}
static int vgs__parse_vgg(const char *model, vgs__config *c) { return vgs__vgg_parse_name(model, &c->vgg); }
static vgs_status vgs__create_sv2(const vgs__config *c, const vgs_weights *w, const vgs_net_options *o, vgs_net **out)
{
    return vgs_shufflenet_v2_create(&c->sv2, w, o, out);
}
static int vgs__parse_sv2(const char *model, vgs__config *c) { return vgs__sv2_parse_name(model, &c->sv2); }

static const struct {
    int (*parse)(const char *model, vgs__config *c);
    vgs_status (*create)(const vgs__config *c, const vgs_weights *w, const vgs_net_options *o, vgs_net **out);
} vgs__families[] = {
    {vgs__parse_sv1, vgs__create_sv1},
    {vgs__parse_sv2, vgs__create_sv2},
    {vgs__parse_vgg, vgs__create_vgg},
};

vgs_status vgs_net_create(const char *model, const char *weights_path, const vgs_net_options *options,
                          vgs_net **out)
{
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_create: out is NULL");
    *out = NULL;
    if (!model || !weights_path) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_net_create: NULL model or path");
    vgs__config cfg;
    size_t f = 0;
    while (f < sizeof vgs__families / sizeof vgs__families[0] && !vgs__families[f].parse(model, &cfg)) f++;
    if (f == sizeof vgs__families / sizeof vgs__families[0]) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "unknown model '%.*s%s' (known: shufflenet_v1_gG_xW, G in 1,2,3,4,8, W such as 0_5, 1_0, 1_5, "
                         "2_0; shufflenet_v2_x0_5, _x1_0, _x1_5, _x2_0; vgg11, vgg13, vgg16, vgg19 and their _bn variants)",
                         VGS__CLIPPED(model));
    }
    vgs_weights *w;
    vgs_status st = vgs_weights_open(weights_path, &w);
    if (st != VGS_OK) return st;
    st = vgs__families[f].create(&cfg, w, options, out);
    vgs_weights_close(w);
    if (st == VGS_ERR_SHAPE || st == VGS_ERR_MISSING_TENSOR || st == VGS_ERR_UNKNOWN_TENSOR || st == VGS_ERR_FORMAT) {
        /* the file is named here (the loader knows only the tensors); a FORMAT error at this
         * point is a tensor that is not float32, the file itself having been read */
        char why[sizeof vgs__error];
        snprintf(why, sizeof why, "%s", vgs_last_error());
        vgs__fail(st, "%s as %s: %s%s", weights_path, model, why,
                  st == VGS_ERR_FORMAT ? "" : " (are these weights of that model?)");
    }
    return st;
}

/* ==========================================================================================
 *  Preprocessing
 * ========================================================================================== */

/* Source coordinate and weight of destination index d for OpenCV's INTER_LINEAR:
 * half-pixel centres, clamped at the borders.  d is 64-bit: a resized side may pass INT_MAX. */
static void vgs__linear_coord(int64_t d, double scale, int n, int *i0, int *i1, float *f)
{
    const double s = ((double)d + 0.5) * scale - 0.5, fl = floor(s);
    double t = s - fl;
    int i;
    if (fl < 0) i = 0, t = 0;
    else if (fl >= n - 1) i = n - 1, t = 0;
    else i = (int)fl;
    *i0 = i;
    *i1 = i + 1 < n ? i + 1 : n - 1;
    *f = (float)t;
}

/* Python's round() (half to even), used by torchvision's CenterCrop for the offsets. */
static int64_t vgs__round_half_even(double v)
{
    double r = floor(v + 0.5);
    if (r - v == 0.5 && fmod(r, 2.0) != 0.0) r -= 1.0;
    return (int64_t)r;
}

vgs_status vgs_preprocess_rgb8(const uint8_t *rgb, int width, int height, size_t stride,
                               const vgs_preprocess *pp, float *out)
{
    if (!rgb || !pp || !out) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: NULL %s", !rgb ? "image" : !pp ? "settings" : "output");
    }
    if (width <= 0 || height <= 0 || stride < (size_t)width * 3) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: image %dx%d with rows %zu bytes apart (sizes "
                         "must be positive, rows at least 3 x width bytes)", width, height, stride);
    }
    if (pp->bgr != 0 && pp->bgr != 1) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: bgr = %d, expected 0 or 1", pp->bgr);
    }
    for (int c = 0; c < 3; c++) { /* (x - mean) / std: a zero or non-finite std or mean gives no numbers */
        if (!(pp->std[c] != 0.0f && isfinite(pp->std[c]) && isfinite(pp->mean[c]) && isfinite(pp->scale))) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: channel %d: scale %g, mean %g, std %g "
                             "(std must be non-zero, all finite)", c, (double)pp->scale, (double)pp->mean[c],
                             (double)pp->std[c]);
        }
    }
    if (pp->crop_height <= 0 || pp->crop_width <= 0 || pp->resize_short < 1) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: crop %dx%d / resize %d must be positive",
                         pp->crop_height, pp->crop_width, pp->resize_short);
    }
    /* Megvii's OpencvResize: the short side becomes S, the long one int(S / short * long + 0.5).
     * In 64 bits: a 1 x 9000000 image resizes to 256 x 2304000000 (at most 2^31 * 2^31 here). */
    int64_t rw, rh;
    if (height < width) rh = pp->resize_short, rw = (int64_t)((double)pp->resize_short / height * width + 0.5);
    else rw = pp->resize_short, rh = (int64_t)((double)pp->resize_short / width * height + 0.5);
    if (pp->crop_height > rh || pp->crop_width > rw) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_preprocess_rgb8: crop %dx%d exceeds the resized image %lldx%lld",
                         pp->crop_height, pp->crop_width, (long long)rh, (long long)rw);
    }
    const int64_t top = vgs__round_half_even((double)(rh - pp->crop_height) / 2.0);
    const int64_t left = vgs__round_half_even((double)(rw - pp->crop_width) / 2.0);
    const size_t plane = (size_t)pp->crop_height * (size_t)pp->crop_width;
    for (int y = 0; y < pp->crop_height; y++) {
        int y0, y1, x0, x1;
        float fy, fx;
        vgs__linear_coord(y + top, (double)height / rh, height, &y0, &y1, &fy);
        for (int x = 0; x < pp->crop_width; x++) {
            vgs__linear_coord(x + left, (double)width / rw, width, &x0, &x1, &fx);
            for (int c = 0; c < 3; c++) {
                const uint8_t *r0 = rgb + (size_t)y0 * stride + c, *r1 = rgb + (size_t)y1 * stride + c;
                const size_t c0 = (size_t)x0 * 3, c1 = (size_t)x1 * 3;
                const float top_v = r0[c0] + fx * (r0[c1] - r0[c0]);
                const float bot_v = r1[c0] + fx * (r1[c1] - r1[c0]);
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
