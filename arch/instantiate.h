/* arch/instantiate.h — instantiates every kernel family for the ISA whose arch/ISA/vec.h was
 * just included (inside that ISA's target region), and defines its kernel table.
 * The including file defines VGS_ISA_ID (a vgs_isa) and VGS_GEMM_NAME (the GEMM's XNNPACK-
 * style name, which carries the tile size).  No include guard: included once per ISA. */

#include "../kernels/window3x3.h"
#include "../kernels/lanes3x3.h"
#include "../kernels/flat3x3.h"
#include "../kernels/gemm.h"
#include "../kernels/conv3x3.h"
#include "../kernels/dwconv3x3.h"
#include "../kernels/pool3x3.h"
#include "../kernels/gavgpool.h"
#include "../kernels/fc.h"
#include "../kernels/softmax.h"
#include "../kernels/peak.h"
#include "../kernels/pool2x2.h"
#include "../kernels/winograd3x3.h"

#define VGS__STR2(x) #x
#define VGS__STR(x) VGS__STR2(x)

static const vgs_kernels VGS_FN(vgs__kernels) = {
    VGS_ISA_ID,
    VGS_VW,
    VGS__STR(VGS_GEMM_NAME),
    VGS_GEMM_NAME,
    VGS_FN(vgs_f32_conv3x3s1p1),
    VGS_FN(vgs_f32_conv3x3s2p1),
    VGS_FN(vgs_f32_dwconv3x3s1p1),
    VGS_FN(vgs_f32_dwconv3x3s2p1),
    VGS_FN(vgs_f32_maxpool3x3s2p1),
    VGS_FN(vgs_f32_avgpool3x3s2p1),
    VGS_FN(vgs_f32_gavgpool),
    VGS_FN(vgs_f32_fc),
    VGS_FN(vgs_f32_softmax),
    VGS_FN(vgs_f32_fma_peak),
    VGS_FN(vgs_f32_winograd3x3_f23),
    VGS_FN(vgs_f32_winograd3x3_f43),
    VGS_FN(vgs_f32_winograd3x3_f63),
    VGS_FN(vgs_f32_maxpool2x2s2),
    VGS_FN(vgs_f32_adaptive_avgpool),
    VGS_FN(vgs_f32_fc_bf16w),
    VGS_FN(vgs_f32_fc_f16w),
    VGS_FN(vgs_f32_gemm_pack_b),
    VGS_FN(vgs_f32_gemm_packed),
};

#undef VGS__STR2
#undef VGS__STR
#undef VGS_ISA_ID
#undef VGS_GEMM_NAME
#undef VGS_STRIP
#undef VGS_STRIP_ROW
#undef VGS_WIN_ROWS
#undef VGS_WIN_RING
#undef VGS_LANES_TILE
#undef VGS_LANES_OUT
#undef VGS_LANES_NARROW_LO
#undef VGS_LANES_NARROW_HI
#undef VGS_FLAT_PX
#undef VGS_FLAT_S2
#include "undef.h"
