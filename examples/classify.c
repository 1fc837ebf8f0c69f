/* examples/classify.c — a whole user program: classify one photo with the single-file header
 * and nothing else of this project (tests/single_header.sh builds and runs it exactly so).
 *
 *   mkdir app && cp build/single/vggshuffle.h examples/classify.c app/ && cd app   (nothing else)
 *   cc -O2 classify.c -o classify -lsleef -lm -lpthread -lstb
 *   ./classify shufflenet_v1_g3_x0_5 g3.safetensors chelsea.png
 *
 * Photos are decoded by stb_image (Debian's libstb-dev ships it compiled: -lstb). */
#define VGS_IMPLEMENTATION
#include "vggshuffle.h"

#include <stdio.h>
#include <stdlib.h>

#include <stb/stb_image.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL WEIGHTS.safetensors IMAGE\n", argv[0]);
        return 2;
    }
    int width, height, channels, c, h, w, top[5], rc = 1;
    unsigned char *rgb = stbi_load(argv[3], &width, &height, &channels, 3);
    if (!rgb) {
        fprintf(stderr, "%s: %s\n", argv[3], stbi_failure_reason());
        return 1;
    }
    vgs_net *net;
    if (vgs_net_create(argv[1], argv[2], NULL, &net) != VGS_OK) {
        fprintf(stderr, "%s\n", vgs_last_error()); /* errors are values, never aborts */
        stbi_image_free(rgb);
        return 1;
    }
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t classes = (size_t)vgs_net_num_classes(net);
    float *x = (float *)malloc(sizeof(float) * (size_t)c * h * w);
    float *logits = (float *)malloc(sizeof(float) * classes), *prob = (float *)malloc(sizeof(float) * classes);
    if (!x || !logits || !prob) {
        fprintf(stderr, "out of memory\n");
    } else if (vgs_preprocess_rgb8(rgb, width, height, (size_t)width * 3, vgs_net_preprocess(net), x) != VGS_OK ||
               vgs_net_forward(net, x, 1, logits, classes) != VGS_OK || vgs_softmax(logits, classes, prob) != VGS_OK ||
               vgs_topk(prob, classes, 5, top) != VGS_OK) {
        fprintf(stderr, "%s\n", vgs_last_error());
    } else {
        printf("%s: %s (isa %s)\n", argv[3], argv[1], vgs_isa_name());
        for (int k = 0; k < 5; k++) printf("  class %4d  p = %.4f\n", top[k], prob[top[k]]);
        rc = 0;
    }
    free(x), free(logits), free(prob);
    stbi_image_free(rgb);
    vgs_net_destroy(net);
    return rc;
}
