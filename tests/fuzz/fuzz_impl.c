/* tests/fuzz/fuzz_impl.c — the implementation, compiled once (with the sanitizers, less
 * what tests/fuzz/kernels.ignorelist leaves out) into the static library both fuzz targets link. */
#define VGS_IMPLEMENTATION
#include "vggshuffle.h"
