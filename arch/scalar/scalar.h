/* arch/scalar/scalar.h — the portable tier: every kernel family at one float per "vector".
 * Always compiled; the fallback when no SIMD tier is supported. */
#include "vec.h"
#define VGS_ISA_ID VGS_ISA_SCALAR
#define VGS_GEMM_NAME vgs_f32_gemm_6x2__scalar
#define VGS_GEMM_NV 2 /* vectors of columns a GEMM tile (kernels/gemm.h) */
#include "../instantiate.h"
