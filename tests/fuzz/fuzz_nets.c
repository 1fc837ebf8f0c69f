/* tests/fuzz/fuzz_nets.c — libFuzzer target: bytes -> the safetensors loader -> every network
 * builder (ShuffleNet V1, one config per group count) -> a forward pass of each net built
 * (vgs_fuzz_one of tests/fuzz/fuzz_driver.h).  Slower per input than fuzz_weights (the seeds
 * are whole networks' weights).  Built by meson -Dfuzz=true; run by tools/fuzz.sh. */
#include "fuzz_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vgs_fuzz_one(data, size);
    return 0;
}
