/* tests/fuzz/fuzz_driver.h — one input through the safetensors loader and every network
 * builder, as a hostile file would go through a program using the public API:
 * vgs_weights_from_memory, every tensor view (vgs_fuzz_load), then vgs_shufflenet_v1_create
 * with each of the VGS_FUZZ_CONFIGS (one per group count: the seed corpus holds valid weights
 * for some of them) and vgs_vgg_create with VGS_FUZZ_VGG, for a 32 x 32 input, and a forward
 * pass of every net that was built
 * (vgs_fuzz_one).
 *
 * Used by the libFuzzer targets (fuzz_weights.c: the loader, small inputs, fast;
 * fuzz_nets.c: loader + builders + forward; behind meson -Dfuzz=true) and by
 * tests/check_api.c, which replays the seed corpus and every regression input
 * (tests/fuzz/regressions/) in the ordinary test suite, on every build.  A broken invariant
 * (an error without a message, *out not NULL after an error, a view that does not match its
 * find(), a forward pass that fails on a net that was built) abort()s, which libFuzzer
 * reports as a crash; memory errors are for ASan and UBSan. */
#ifndef VGS_FUZZ_DRIVER_H
#define VGS_FUZZ_DRIVER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vggshuffle.h"

/* groups, width (0: from the channels), order, classes, stem, stages 2-4: small enough to
 * fuzz fast (a 32 x 32 forward pass takes microseconds) */
static const vgs_shufflenet_v1_config VGS_FUZZ_CONFIGS[] = {
    {1, 0.0f, VGS_SHUFFLE_PAPER, 3, 1, {4, 8, 12}},
    {2, 0.0f, VGS_SHUFFLE_MEGVII, 3, 2, {8, 16, 24}},
    {3, 0.0f, VGS_SHUFFLE_PAPER, 3, 3, {12, 24, 36}},
    {4, 0.0f, VGS_SHUFFLE_MEGVII, 3, 4, {16, 32, 48}},
    {8, 0.0f, VGS_SHUFFLE_PAPER, 3, 8, {32, 64, 96}},
};
#define VGS_FUZZ_NCONFIGS (sizeof VGS_FUZZ_CONFIGS / sizeof VGS_FUZZ_CONFIGS[0])
/* a VGG-11 of 2 channels a block, hidden width 4, 3 classes (a seed holds its weights) */
static const vgs_vgg_config VGS_FUZZ_VGG = {11, 0, 3, {2, 2, 2, 2, 2}, 4};
#define VGS_FUZZ_HW 32

static void vgs_fuzz_require(int ok, const char *what)
{
    if (ok) return;
    fprintf(stderr, "fuzz driver: invariant broken: %s (last error: '%s')\n", what, vgs_last_error());
    abort();
}

/* The loader and every view of what it accepted; NULL if it rejected the input. */
static vgs_weights *vgs_fuzz_load(const uint8_t *data, size_t size)
{
    vgs_weights *w = (vgs_weights *)&w; /* must be reset */
    vgs_status st = vgs_weights_from_memory(data, size, "fuzz", &w);
    if (st != VGS_OK) {
        vgs_fuzz_require(w == NULL && vgs_last_error()[0] != '\0', "loader error without message or with *out set");
        return NULL;
    }
    /* every view: consistent with find(), its bytes readable (ASan checks the range) */
    unsigned sum = 0;
    for (size_t i = 0; i < vgs_weights_count(w); i++) {
        vgs_tensor_view v, f;
        vgs_fuzz_require(vgs_weights_at(w, i, &v) == VGS_OK, "vgs_weights_at in range failed");
        vgs_fuzz_require(vgs_weights_find(w, v.name, &f) == VGS_OK && f.data == v.data && f.nbytes == v.nbytes,
                         "find(name of a view) differs from the view");
        for (size_t b = 0; b < v.nbytes; b++) sum += ((const unsigned char *)v.data)[b];
    }
    (void)sum;
    return w;
}

/* vgs_fuzz_load, then every builder on what it accepted.  Returns -1 if the loader rejected
 * the input, else the number of configs that built a net. */
static inline int vgs_fuzz_one(const uint8_t *data, size_t size)
{
    static float x[3 * VGS_FUZZ_HW * VGS_FUZZ_HW];
    vgs_weights *w = vgs_fuzz_load(data, size);
    if (!w) return -1;
    int built = 0;
    for (size_t c = 0; c <= VGS_FUZZ_NCONFIGS; c++) { /* every V1 config, then the VGG one */
        vgs_net_options opt;
        memset(&opt, 0, sizeof opt);
        opt.num_threads = 1, opt.input_height = opt.input_width = VGS_FUZZ_HW;
        vgs_net *net = (vgs_net *)&net;
        const vgs_status st = c < VGS_FUZZ_NCONFIGS ? vgs_shufflenet_v1_create(&VGS_FUZZ_CONFIGS[c], w, &opt, &net)
                                                    : vgs_vgg_create(&VGS_FUZZ_VGG, w, &opt, &net);
        if (st != VGS_OK) {
            vgs_fuzz_require(net == NULL && vgs_last_error()[0] != '\0', "create error without message or with *out set");
            continue;
        }
        built++;
        const size_t nc = (size_t)vgs_net_num_classes(net);
        float *logits = (float *)malloc(nc * sizeof *logits); /* exact size: ASan sees a store past it */
        for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = (float)(i % 17) / 16.0f - 0.5f;
        vgs_fuzz_require(logits != NULL, "out of memory in the driver");
        vgs_fuzz_require(vgs_net_forward(net, x, 1, logits, nc) == VGS_OK, "forward of a built net failed");
        free(logits);
        vgs_net_destroy(net);
    }
    vgs_weights_close(w);
    return built;
}

#endif
