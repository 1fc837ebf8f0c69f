/* bench/ab/variant.c — one build of the library behind two plain functions, for tools/ab.sh:
 * compiled once per tree with -DVARIANT=abA or abB and every other global symbol made local
 * (objcopy --keep-global-symbol), so that two versions of vggshuffle.h link into one program. */
#include <string.h>
#define VGS_IMPLEMENTATION
#include "vggshuffle.h"

#define AB_CAT2(a, b) a##b
#define AB_CAT(a, b) AB_CAT2(a, b)

int AB_CAT(VARIANT, _create)(const char *model, const char *weights, int threads, void **out)
{
    vgs_net_options o;
    memset(&o, 0, sizeof o);
    o.num_threads = threads;
    return (int)vgs_net_create(model, weights, &o, (vgs_net **)out);
}

int AB_CAT(VARIANT, _forward)(void *net, const float *x, float *logits, size_t n_logits)
{
    return (int)vgs_net_forward((vgs_net *)net, x, 1, logits, n_logits);
}

/* Floats of one input image and of its logits */
void AB_CAT(VARIANT, _sizes)(void *net, size_t *in, size_t *out)
{
    int c, h, w;
    vgs_net_input_shape((const vgs_net *)net, &c, &h, &w);
    *in = (size_t)c * (size_t)h * (size_t)w;
    *out = (size_t)vgs_net_num_classes((const vgs_net *)net);
}

const char *AB_CAT(VARIANT, _error)(void) { return vgs_last_error(); }

/* The kernel table of the tier in use (VGS_ISA or the best one), for bench/ab/ab_gemm.c; A and
 * B must agree on struct vgs_kernels' layout (the driver reads it with its own header). */
const void *AB_CAT(VARIANT, _kernels)(void) { return vgs_kernels_current(); }

/* vgs_gemm_pack_a, for bench/ab/ab_gemm.c's weights (A's: the packed layout is the API's) */
void AB_CAT(VARIANT, _pack_a)(size_t m, size_t k, const float *a, size_t a_stride, float *packed, size_t dst_stride)
{
    vgs_gemm_pack_a(m, k, a, a_stride, packed, dst_stride);
}
