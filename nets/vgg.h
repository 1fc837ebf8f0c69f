/* nets/vgg.h — the VGG family's builder (Simonyan & Zisserman 2015, as torchvision 0.14
 * defines it): weights with torchvision's names, layers for the runtime of vggshuffle.h,
 * which includes this file in its implementation.
 *   features: five blocks of 3x3 convolutions (padding 1, bias) [+ BatchNorm] + ReLU, each
 *   block ended by a 2x2/s2 max-pool; configurations A (VGG-11: 1,1,2,2,2 convolutions a
 *   block), B (13: 2,2,2,2,2), D (16: 2,2,3,3,3), E (19: 2,2,4,4,4), channels 64, 128, 256,
 *   512, 512;
 *   avgpool: AdaptiveAvgPool2d((7, 7)) (nothing to do for a 224 x 224 input);
 *   classifier: linear 25088 -> 4096 + ReLU, linear 4096 -> 4096 + ReLU, linear -> classes
 *   (dropout is the identity at inference).
 * Tensor names: features.N.{weight,bias} for the convolutions, features.N+1.{weight, bias,
 * running_mean, running_var} for their BatchNorm (the _bn variants: N counts the modules:
 * conv, bn, relu, ..., pool), classifier.{0,3,6}.{weight,bias}.  BN is folded at load; the
 * runtime picks each convolution's algorithm (direct or Winograd F(2,3) / F(4,3) / F(6,3))
 * and fuses a block's max-pool into a Winograd convolution's store. */

static const int vgs__vgg_convs[4][5] = {{1, 1, 2, 2, 2}, {2, 2, 2, 2, 2}, {2, 2, 3, 3, 3}, {2, 2, 4, 4, 4}};

/* Convolution `name` (weight o x i x 3 x 3 and bias o), with BatchNorm `bn` (or NULL) folded:
 * w' = w s, b' = (b - mean) s + beta, s = gamma / sqrt(var + 1e-5), in double. */
static vgs_status vgs__vgg_conv(vgs__loader *ld, const char *name, const char *bn, int64_t o, int64_t i, float **w,
                                float **b)
{
    char key[96];
    const int64_t wshape[4] = {o, i, 3, 3};
    vgs_status st;
    snprintf(key, sizeof key, "%s.weight", name);
    if ((st = vgs__take(ld, key, 4, wshape, w)) != VGS_OK) return st;
    snprintf(key, sizeof key, "%s.bias", name);
    if ((st = vgs__take(ld, key, 1, &o, b)) != VGS_OK || !bn) return st;
    float *p[4];
    const char *parts[4] = {"weight", "bias", "running_mean", "running_var"};
    for (int j = 0; j < 4; j++) {
        snprintf(key, sizeof key, "%s.%s", bn, parts[j]);
        if ((st = vgs__take(ld, key, 1, &o, &p[j])) != VGS_OK) return st;
    }
    const size_t per = (size_t)i * 9;
    for (int64_t c = 0; c < o; c++) {
        const double s = p[0][c] / sqrt((double)p[3][c] + 1e-5);
        for (size_t j = 0; j < per; j++) (*w)[c * per + j] = (float)((*w)[c * per + j] * s);
        (*b)[c] = (float)(((double)(*b)[c] - p[2][c]) * s + p[1][c]);
    }
    return VGS_OK;
}

static vgs_status vgs__vgg_build(vgs__loader *ld, const void *config, vgs_net *net)
{
    const vgs_vgg_config *cfg = (const vgs_vgg_config *)config;
    static const int channels[5] = {64, 128, 256, 512, 512};
    const int row = cfg->depth == 11 ? 0 : cfg->depth == 13 ? 1 : cfg->depth == 16 ? 2 : 3;
    const int hidden = cfg->hidden ? cfg->hidden : 4096;
    size_t h = (size_t)net->in_h, w = (size_t)net->in_w;
    int t_in = VGS__IN, cin = 3, idx = 0;
    char name[64], bn[64];
    vgs_status st;
    for (int blk = 0; blk < 5; blk++) {
        const int cout = cfg->block_channels[0] ? cfg->block_channels[blk] : channels[blk];
        for (int j = 0; j < vgs__vgg_convs[row][blk]; j++) {
            float *wt, *b;
            snprintf(name, sizeof name, "features.%d", idx);
            snprintf(bn, sizeof bn, "features.%d", idx + 1);
            if ((st = vgs__vgg_conv(ld, name, cfg->batch_norm ? bn : NULL, cout, cin, &wt, &b)) != VGS_OK) return st;
            const int t = vgs__net_tensor(net, (size_t)cout * h * w);
            if (t < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
            if ((st = vgs__add_conv3x3(net, name, 1, (size_t)cin, (size_t)cout, h, w, vgs__v(t_in, 0, h * w),
                                       vgs__v(t, 0, h * w), wt, b, 1)) != VGS_OK) {
                return st;
            }
            idx += cfg->batch_norm ? 3 : 2, t_in = t, cin = cout;
        }
        snprintf(name, sizeof name, "features.%d", idx++);
        const int t = vgs__net_tensor(net, (size_t)cin * (h / 2) * (w / 2));
        if (t < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        if ((st = vgs__add_pool2(net, VGS__MAXPOOL2X2, name, (size_t)cin, h, w, 0, 0, vgs__v(t_in, 0, h * w),
                                 vgs__v(t, 0, (h / 2) * (w / 2)))) != VGS_OK) {
            return st;
        }
        t_in = t, h /= 2, w /= 2;
    }
    if (h != 7 || w != 7) {
        const int t = vgs__net_tensor(net, (size_t)cin * 49);
        if (t < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        if ((st = vgs__add_pool2(net, VGS__ADAPTIVE_AVGPOOL, "avgpool", (size_t)cin, h, w, 7, 7, vgs__v(t_in, 0, h * w),
                                 vgs__v(t, 0, 49))) != VGS_OK) {
            return st;
        }
        t_in = t;
    }
    /* the classifier: the pooled 512 x 7 x 7 read as one vector (torch.flatten order) */
    const int64_t widths[4] = {(int64_t)cin * 49, hidden, hidden, cfg->num_classes};
    for (int l = 0; l < 3; l++) {
        float *wt = NULL, *b = NULL;
        const int64_t shape[2] = {widths[l + 1], widths[l]};
        char key[96];
        snprintf(name, sizeof name, "classifier.%d", 3 * l);
        snprintf(key, sizeof key, "%s.weight", name);
        if ((st = vgs__take(ld, key, 2, shape, &wt)) != VGS_OK) return st;
        snprintf(key, sizeof key, "%s.bias", name);
        if ((st = vgs__take(ld, key, 1, &shape[0], &b)) != VGS_OK) return st;
        const int t = l == 2 ? VGS__OUT : vgs__net_tensor(net, (size_t)widths[l + 1]);
        if (t < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        if ((st = vgs__add_linear(net, name, (size_t)widths[l], (size_t)widths[l + 1], vgs__v(t_in, 0, 1), vgs__v(t, 0, 1),
                                  wt, b, l < 2)) != VGS_OK) {
            return st;
        }
        t_in = t;
    }
    return vgs__check_unknown(ld);
}

vgs_status vgs_vgg_create(const vgs_vgg_config *cfg, const vgs_weights *weights, const vgs_net_options *options,
                          vgs_net **out)
{
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_vgg_create: out is NULL");
    *out = NULL;
    if (!cfg || !weights) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_vgg_create: NULL config or weights");
    if (cfg->depth != 11 && cfg->depth != 13 && cfg->depth != 16 && cfg->depth != 19) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "VGG: depth %d is not 11, 13, 16 or 19", cfg->depth);
    }
    if (cfg->num_classes <= 0 || cfg->hidden < 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "VGG: classes or hidden width <= 0");
    for (int i = 0; cfg->block_channels[0] && i < 5; i++) {
        if (cfg->block_channels[i] <= 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "VGG: block %d has %d channels", i + 1, cfg->block_channels[i]);
    }
    /* torchvision's ImageNet preprocessing: resize the short side to 256, centre crop 224, RGB
     * in 0..1, normalised; another input size keeps the 256/224 ratio */
    const vgs_preprocess pp = {0, 0, 0, 0, 1.0f / 255.0f, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
    return vgs__net_create(vgs__vgg_build, cfg, cfg->num_classes, pp, weights, options, out);
}

/* "vgg11", "vgg13_bn", ...: 0 if the name is not one of the eight. */
static int vgs__vgg_parse_name(const char *model, vgs_vgg_config *cfg)
{
    static const char *const names[8] = {"vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"};
    static const int depths[4] = {11, 13, 16, 19};
    for (int i = 0; i < 8; i++) {
        if (strcmp(model, names[i]) != 0) continue;
        memset(cfg, 0, sizeof *cfg);
        cfg->depth = depths[i % 4], cfg->batch_norm = i >= 4, cfg->num_classes = 1000;
        return 1;
    }
    return 0;
}
