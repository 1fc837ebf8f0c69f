/* The library object meson builds: the implementation of vggshuffle.h, compiled once.
 * (Users of the header alone do the same in one of their own files.) */
#define VGS_IMPLEMENTATION
#include "../vggshuffle.h"
