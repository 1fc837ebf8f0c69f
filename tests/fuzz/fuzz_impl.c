/* tests/fuzz/fuzz_impl.c — the implementation, compiled once (with the sanitizers, and the
 * ignore lists of tests/fuzz/meson.build) into the static library both fuzz targets link. */
#define VGS_IMPLEMENTATION
#include "vggshuffle.h"
