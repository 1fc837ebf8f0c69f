/* arch/neon/neon.h — the NEON tier (aarch64 Advanced SIMD, baseline there: no target region
 * needed).  Every kernel family instantiated at 4 floats per vector. */
#include "vec.h"
#define VGS_ISA_ID VGS_ISA_NEON
#define VGS_GEMM_NAME vgs_f32_gemm_6x8__neon
#define VGS_GEMM_NV 2 /* vectors of columns a GEMM tile (kernels/gemm.h) */
#include "../instantiate.h"
