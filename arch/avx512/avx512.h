/* arch/avx512/avx512.h — the AVX-512 tier (x86-64, F + BW + DQ + VL): every kernel family
 * compiled for those targets without any -m flag, in a push/pop target region.
 * Selected at run time only if CPUID has all four and XGETBV shows opmask + ZMM state. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl")
/* GCC 12's avx512fintrin.h trips -Wmaybe-uninitialized on its own _mm512_undefined_ps()
 * when compiled as C++ (GCC PR 105593, fixed in 13): not our code, silenced here only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized" /* the same, from the unpack / shuffle intrinsics */
#endif

#include "vec.h"
#define VGS_ISA_ID VGS_ISA_AVX512
#define VGS__AVX512_GEMM vgs_f32_gemm_6x64__avx512 /* also in halves.h's table */
#define VGS_GEMM_NAME VGS__AVX512_GEMM
#define VGS_GEMM_NV 4 /* vectors of columns a GEMM tile (kernels/gemm.h) */
#include "../instantiate.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif

/* The table for processors that run 512-bit operations as two halves (plain code: it only
 * chooses between this tier's kernels and AVX2's) */
#include "halves.h"
