/* tests/check_api.c — API rules outside the kernels (filled below). */
#include "checks.h"

const vgs_check_case vgs_api_checks[] = {
    {NULL, NULL, NULL, 1},
};
const size_t vgs_api_checks_count = 0;
