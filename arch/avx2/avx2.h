/* arch/avx2/avx2.h — the AVX2 + FMA tier (x86-64): every kernel family compiled for
 * target("avx2,fma,f16c") without any -m flag, in a push/pop target region (F16C: the fp16
 * FC weights' VCVTPH2PS).  Selected at run time only if CPUID has AVX2, FMA and F16C and
 * XGETBV shows YMM state enabled. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx,avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx,avx2,fma,f16c")
#endif

#include "vec.h"
#define VGS_ISA_ID VGS_ISA_AVX2
#define VGS_GEMM_NAME vgs_f32_gemm_6x16__avx2
#define VGS_GEMM_NV 2 /* vectors of columns a GEMM tile (kernels/gemm.h) */
#include "../instantiate.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
