/* nets/shufflenet_v1.h — the ShuffleNet V1 family's builder: weights (Megvii ShuffleNet-Series
 * names) and layers for the runtime of vggshuffle.h, which includes this file in its
 * implementation.  Zhang et al., "ShuffleNet", CVPR 2018, as Megvii trained it:
 *   stem: conv3x3/s2 + BN + ReLU, max-pool 3x3/s2;
 *   stages of 4, 8, 4 units, the first of each stride 2; unit: 1x1 conv (groups g; dense in
 *   the net's very first unit) + BN + ReLU -> depthwise 3x3 (stride s) + BN -> channel
 *   shuffle (g) -> 1x1 conv (groups g) + BN; stride 1: ReLU(x + branch); stride 2:
 *   concat(avgpool3x3/s2(x), ReLU(branch));
 *   head: global average pool, linear (no bias).
 * Zero-copy: the shuffle is the depthwise layer's store permutation; the concat is two
 * layers (the average pool and the branch's 1x1) writing their channel ranges of one tensor;
 * BN is folded into the convolutions, ReLU and the residual into the 1x1 GEMM's store. */

/* Stage output channels at width 1.0 (Zhang et al. 2018, Table 1), groups 1, 2, 3, 4, 8. */
static int vgs__sv1_base(int groups)
{
    switch (groups) {
    case 1: return 144;
    case 2: return 200;
    case 3: return 240;
    case 4: return 272;
    case 8: return 384;
    default: return 0;
    }
}

/* Channel counts of the Megvii ShuffleNet-Series models, derived otherwise: stage 2 output =
 * base * width rounded to a multiple of 4 * groups (so the bottleneck out/4 splits into the
 * groups), stages 3 and 4 twice and four times that; the stem = 24 * width rounded to a
 * multiple of 4 (ties up), but Megvii's values where they published a model (g3: 12, 24, 24,
 * 48 and g8: 16, 24, 24, 48 for 0.5x .. 2.0x), raised to the next value for which stage 2's
 * branch (out - stem) splits into the groups.  Explicit counts from the config override. */
static vgs_status vgs__sv1_channels(const vgs_shufflenet_v1_config *cfg, int *stem, int out[3])
{
    const int g = cfg->groups, base = vgs__sv1_base(g);
    if (!base) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V1: groups must be 1, 2, 3, 4 or 8, not %d", g);
    const float width = cfg->stage_channels[0] && cfg->width == 0.0f ? 1.0f : cfg->width;
    if (!(width >= 0.25f && width <= 4.0f)) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V1: width %g outside 0.25 .. 4", cfg->width);
    }
    if (cfg->stage_channels[0]) {
        for (int i = 0; i < 3; i++) out[i] = cfg->stage_channels[i];
    } else {
        const int q = 4 * g;
        const int c2 = (int)((base * width + q / 2) / q) * q;
        out[0] = c2 < q ? q : c2;
        out[1] = 2 * out[0];
        out[2] = 4 * out[0];
    }
    for (int i = 0; i < 3; i++) {
        if (out[i] <= 0 || out[i] % 4 || (out[i] / 4) % g) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                             "ShuffleNet V1: stage %d has %d channels; out/4 must split into %d groups", i + 2, out[i], g);
        }
        if (i > 0 && (out[i] <= out[i - 1] || (out[i] - out[i - 1]) % g)) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                             "ShuffleNet V1: stage %d's stride-2 branch (%d - %d channels) must be > 0 and split into %d groups",
                             i + 2, out[i], out[i - 1], g);
        }
    }
    static const float widths[4] = {0.5f, 1.0f, 1.5f, 2.0f};
    static const int megvii[2][4] = {{12, 24, 24, 48}, {16, 24, 24, 48}};
    int s = (int)(24 * width / 4 + 0.5f) * 4;
    for (int i = 0; i < 4; i++) {
        if (width == widths[i] && (g == 3 || g == 8)) s = megvii[g == 8][i];
    }
    if (s < 4) s = 4;
    while (s < out[0] && (out[0] - s) % g) s++;
    *stem = cfg->stem_channels ? cfg->stem_channels : s;
    if (*stem <= 0 || *stem >= out[0] || (out[0] - *stem) % g) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "ShuffleNet V1: stem %d channels: stage 2's branch (%d - %d) must be > 0 and split into %d groups",
                         *stem, out[0], *stem, g);
    }
    return VGS_OK;
}

/* The layers of one net: stem, 16 units, head; weights taken from ld (BN folded). */
static vgs_status vgs__sv1_build(vgs__loader *ld, const void *config, vgs_net *net)
{
    const vgs_shufflenet_v1_config *cfg = (const vgs_shufflenet_v1_config *)config;
    static const int repeats[3] = {4, 8, 4};
    int stem_c = 0, out[3] = {0, 0, 0};
    vgs_status st = vgs__sv1_channels(cfg, &stem_c, out);
    if (st != VGS_OK) return st;
    float *w, *b;
    size_t h = (size_t)net->in_h, wd = (size_t)net->in_w;
    if ((st = vgs__conv_bn(ld, "first_conv.0", "first_conv.1", stem_c, 3, 3, &w, &b)) != VGS_OK) return st;
    const size_t sh = (h + 1) / 2, sw = (wd + 1) / 2, c0 = (size_t)stem_c;
    const int t_stem = vgs__net_tensor(net, c0 * sh * sw);
    h = (sh + 1) / 2, wd = (sw + 1) / 2;
    int t_in = vgs__net_tensor(net, c0 * h * wd);
    if (t_stem < 0 || t_in < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    if ((st = vgs__add_conv3x3(net, "first_conv.0", 2, 3, c0, (size_t)net->in_h, (size_t)net->in_w,
                               vgs__v(VGS__IN, 0, (size_t)net->in_h * (size_t)net->in_w), vgs__v(t_stem, 0, sh * sw), w,
                               b, 1)) != VGS_OK ||
        (st = vgs__add_pool(net, VGS__MAXPOOL3X3, "maxpool", c0, sh, sw, vgs__v(t_stem, 0, sh * sw),
                            vgs__v(t_in, 0, h * wd))) != VGS_OK) {
        return st;
    }
    int in_c = stem_c, k = 0;
    for (int s = 0; s < 3; s++) {
        for (int r = 0; r < repeats[s]; r++, k++) {
            const int stride = r == 0 ? 2 : 1, out_c = out[s], mid = out_c / 4;
            const int branch = stride == 2 ? out_c - in_c : out_c;
            const int g1 = (s == 0 && r == 0) ? 1 : cfg->groups, g2 = cfg->groups; /* Megvii: first 1x1 dense */
            const size_t hw = h * wd, oh = stride == 2 ? (h + 1) / 2 : h, ow = stride == 2 ? (wd + 1) / 2 : wd;
            const size_t ohw = oh * ow;
            char conv[80], bn[80];
            float *w1, *b1, *wdw, *bdw, *w2, *b2;
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.0", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_1.1", k);
            if ((st = vgs__conv_bn(ld, conv, bn, mid, in_c / g1, 1, &w1, &b1)) != VGS_OK) return st;
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.3", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_1.4", k);
            if ((st = vgs__conv_bn(ld, conv, bn, mid, 1, 3, &wdw, &bdw)) != VGS_OK) return st;
            snprintf(conv, sizeof conv, "features.%d.branch_main_2.0", k);
            snprintf(bn, sizeof bn, "features.%d.branch_main_2.1", k);
            if ((st = vgs__conv_bn(ld, conv, bn, branch, mid / g2, 1, &w2, &b2)) != VGS_OK) return st;
            /* The shuffle (groups g, after the depthwise conv, also in the first unit) is the
             * depthwise store: dw channel src[o] is written to plane o. */
            int32_t *src = (int32_t *)vgs__net_alloc(net, (size_t)mid), *dst = (int32_t *)vgs__net_alloc(net, (size_t)mid);
            if (!src || !dst) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
            if ((st = vgs_channel_shuffle_map(cfg->order, (size_t)mid, (size_t)cfg->groups, src)) != VGS_OK) return st;
            for (int o = 0; o < mid; o++) dst[src[o]] = o;
            const int t1 = vgs__net_tensor(net, (size_t)mid * hw), t2 = vgs__net_tensor(net, (size_t)mid * ohw);
            const int t_out = vgs__net_tensor(net, (size_t)out_c * ohw);
            if (t1 < 0 || t2 < 0 || t_out < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
            const size_t off = stride == 2 ? (size_t)in_c * ohw : 0; /* the branch's channels */
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.0", k);
            if ((st = vgs__add_conv1x1(net, conv, g1, (size_t)in_c, (size_t)mid, h, wd, vgs__v(t_in, 0, hw),
                                       vgs__v(t1, 0, hw), vgs__none, w1, b1, 1)) != VGS_OK) {
                return st;
            }
            snprintf(conv, sizeof conv, "features.%d.branch_main_1.3", k);
            if ((st = vgs__add_dwconv3x3(net, conv, stride, (size_t)mid, h, wd, vgs__v(t1, 0, hw), vgs__v(t2, 0, ohw), dst,
                                         wdw, bdw, 0)) != VGS_OK) {
                return st;
            }
            snprintf(conv, sizeof conv, "features.%d.branch_main_2.0", k);
            if ((st = vgs__add_conv1x1(net, conv, g2, (size_t)mid, (size_t)branch, oh, ow, vgs__v(t2, 0, ohw),
                                       vgs__v(t_out, off, ohw), stride == 1 ? vgs__v(t_in, 0, hw) : vgs__none, w2, b2,
                                       1)) != VGS_OK) {
                return st;
            }
            if (stride == 2) {
                snprintf(conv, sizeof conv, "features.%d.branch_proj", k);
                if ((st = vgs__add_pool(net, VGS__AVGPOOL3X3, conv, (size_t)in_c, h, wd, vgs__v(t_in, 0, hw),
                                        vgs__v(t_out, 0, ohw))) != VGS_OK) {
                    return st;
                }
            }
            t_in = t_out, in_c = out_c, h = oh, wd = ow;
        }
    }
    const int64_t fc_shape[2] = {cfg->num_classes, in_c};
    const int t_pool = vgs__net_tensor(net, (size_t)in_c);
    if (t_pool < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    if ((st = vgs__take(ld, "classifier.0.weight", 2, fc_shape, &w)) != VGS_OK ||
        (st = vgs__add_pool(net, VGS__GAVGPOOL, "globalpool", (size_t)in_c, h, wd, vgs__v(t_in, 0, h * wd),
                            vgs__v(t_pool, 0, 1))) != VGS_OK ||
        (st = vgs__add_linear(net, "classifier.0", (size_t)in_c, (size_t)cfg->num_classes, vgs__v(t_pool, 0, 1),
                              vgs__v(VGS__OUT, 0, 1), w, NULL, 0)) != VGS_OK) {
        return st;
    }
    return vgs__check_unknown(ld);
}

vgs_status vgs_shufflenet_v1_create(const vgs_shufflenet_v1_config *cfg, const vgs_weights *weights,
                                    const vgs_net_options *options, vgs_net **out)
{
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_shufflenet_v1_create: out is NULL");
    *out = NULL;
    if (!cfg || !weights) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_shufflenet_v1_create: NULL config or weights");
    if (cfg->num_classes <= 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "num_classes must be > 0");
    if (cfg->order != VGS_SHUFFLE_PAPER && cfg->order != VGS_SHUFFLE_MEGVII) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "unknown shuffle order %d", (int)cfg->order);
    }
    /* Megvii's preprocessing: OpenCV bilinear resize to 256, centre crop 224, BGR, 0..255;
     * for another input size the crop is that size and the resize keeps the 256/224 ratio. */
    const vgs_preprocess pp = {0, 0, 0, 1, 1.0f, {0, 0, 0}, {1, 1, 1}};
    return vgs__net_create(vgs__sv1_build, cfg, cfg->num_classes, pp, weights, options, out);
}

/* "shufflenet_v1_gG_xI_F" -> groups G, width I.F (F one or two digits: 0_5, 0_25, 1_0),
 * Megvii order (the published weights).  Only digits, nothing after; 0 if it does not parse. */
static int vgs__sv1_parse_name(const char *model, vgs_shufflenet_v1_config *cfg)
{
    const char *p = model;
    if (strncmp(p, "shufflenet_v1_g", 15) != 0) return 0;
    p += 15;
    if (*p < '1' || *p > '9' || p[1] != '_' || p[2] != 'x') return 0;
    const int g = *p - '0';
    p += 3;
    int whole = 0, frac = 0, scale = 1, digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 2; p++, digits++) whole = whole * 10 + (*p - '0');
    if (digits == 0 || *p++ != '_') return 0;
    for (digits = 0; *p >= '0' && *p <= '9' && digits < 2; p++, digits++) frac = frac * 10 + (*p - '0'), scale *= 10;
    if (digits == 0 || *p != '\0') return 0;
    memset(cfg, 0, sizeof *cfg);
    cfg->groups = g;
    cfg->width = (float)whole + (float)frac / (float)scale;
    cfg->order = VGS_SHUFFLE_MEGVII;
    cfg->num_classes = 1000;
    return 1;
}
