/* tests/fuzz/fuzz_weights.c — libFuzzer target: bytes -> the safetensors loader -> every tensor
 * view (vgs_fuzz_load of tests/fuzz/fuzz_driver.h).  Built by meson -Dfuzz=true with clang and
 * -fsanitize=fuzzer,address,undefined; run by tools/fuzz.sh. */
#include "fuzz_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vgs_weights_close(vgs_fuzz_load(data, size));
    return 0;
}
