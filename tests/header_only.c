/* tests/header_only.c — what a user's file looks like: the implementation compiled from the
 * header alone.  tests/header_only.sh compiles it with plain `cc -O2 -c` (no -m flag), as
 * C++, with clang, and for aarch64, so a target-region or intrinsic mistake breaks the build. */
#define VGS_IMPLEMENTATION
#include "../vggshuffle.h"

int vgs_user_function(void);
int vgs_user_function(void)
{
    float x[3] = {1.0f, 2.0f, 3.0f};
    vgs_softmax(x, 3, x);
    return vgs_isa_current() < VGS_ISA_COUNT && x[2] > x[1] ? 0 : 1;
}
