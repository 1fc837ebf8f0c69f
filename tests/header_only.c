/* tests/header_only.c — what a user's program looks like: the implementation compiled from the
 * header alone.  tests/header_only.sh builds it with plain `cc -O2` (no -m flag), with clang,
 * as C++, and for aarch64 (compile only), links it against SLEEF and runs it, so that a
 * target-region, intrinsic or linkage mistake breaks the build or the run.  The same for the
 * single-file header (build/single/vggshuffle.h). */
#define VGS_IMPLEMENTATION
#include "vggshuffle.h" /* -I the source tree, or the single-file header beside it */

#include <stdio.h>

int main(void)
{
    float x[3] = {1.0f, 2.0f, 3.0f};
    if (vgs_softmax(x, 3, x) != VGS_OK) return 1;
    /* softmax(1, 2, 3) = (0.0900306, 0.2447285, 0.6652410) */
    const int ok = x[0] > 0.09f && x[0] < 0.0901f && x[2] > 0.6652f && x[2] < 0.6653f;
    printf("isa %s, softmax %s\n", vgs_isa_name(), ok ? "right" : "WRONG");
    return ok ? 0 : 1;
}
