/* arch/neon/neon.h — the NEON tier (aarch64 Advanced SIMD, baseline there: no target region
 * needed).  Every kernel family instantiated at 4 floats per vector. */
#include "vec.h"
#define VGS_ISA_ID VGS_ISA_NEON
#define VGS_GEMM_NAME vgs_f32_gemm_6x16__neon
#define VGS_GEMM_NV 4 /* vectors of columns a GEMM tile (kernels/gemm.h): 6 x 4 accumulators of the 32 registers */
#include "../instantiate.h"
