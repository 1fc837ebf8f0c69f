/* nets/shufflenet_v2.h — the ShuffleNet V2 builder: weights (torchvision names) and layers for
 * the runtime of vggshuffle.h, which includes this file in its implementation.  Ma et al.,
 * "ShuffleNet V2", ECCV 2018, as torchvision 0.14 defines it (models/shufflenetv2.py):
 *   stem: conv1 = conv3x3/s2 + BN + ReLU, max-pool 3x3/s2/p1;
 *   stages 2, 3, 4 of 4, 8, 4 units, the first of each stride 2, B = out / 2 channels a branch;
 *   stride 2: out = shuffle2(concat(branch1(x), branch2(x))),
 *             branch1 = dw3x3/s2 + BN, 1x1 + BN + ReLU;
 *   stride 1: x1, x2 = split(x);  out = shuffle2(concat(x1, branch2(x2))),
 *             branch2 = 1x1 + BN + ReLU, dw3x3/s + BN, 1x1 + BN + ReLU;
 *   head: conv5 = 1x1 + BN + ReLU, mean over H and W, fc (with bias).
 * shuffle2 = reshape (2, C/2), transpose, flatten: out[2j] = cat[j], out[2j+1] = cat[C/2 + j].
 *
 * Zero copy.  A stage's activations live in ONE tensor of C planes for the whole stage, and
 * the builder tracks where each logical channel is: channel l in plane perm[l].
 *   - A stride-2 unit writes a new tensor in logical order (perm = identity): branch1's last
 *     1x1 writes channels 2j (plane stride 2 planes), branch2's writes 2j + 1 (offset one
 *     plane).  Its inputs read all planes of the previous tensor in physical order: the 1x1
 *     weights' input columns and the depthwise weights are permuted at load time instead.
 *   - A stride-1 unit runs in place.  x1 never moves.  The branch reads x2 = logical
 *     [C/2, C) through perm (the GEMM's B-row gather index) and its last 1x1 writes branch
 *     channel j into plane perm[C/2 + j], x2[j]'s own plane, dead by then (the GEMM's C-row
 *     scatter index).  Then (vgs_channel_split_shuffle_map) perm'[2j] = perm[j],
 *     perm'[2j+1] = perm[C/2 + j].  After two units x2's planes are no longer a contiguous
 *     range, hence the indexes (e.g. C = 8: perm 0..7 -> 0 4 1 5 2 6 3 7 -> 0 2 4 6 1 5 3 7;
 *     x2 = planes 1 5 3 7).
 *   - conv5 reads all planes: its weight columns are permuted.
 * So no layer only moves data; BN is folded into the convolutions, ReLU into their stores. */

/* torchvision's _stage_out_channels: stem, stages 2..4, conv5, for x0.5, x1.0, x1.5, x2.0. */
static const float vgs__sv2_widths[4] = {0.5f, 1.0f, 1.5f, 2.0f};
static const int vgs__sv2_table[4][5] = {
    {24, 48, 96, 192, 1024}, {24, 116, 232, 464, 1024}, {24, 176, 352, 704, 1024}, {24, 244, 488, 976, 2048}};

vgs_status vgs_channel_split_shuffle_map(size_t channels, const int32_t *perm, int32_t *next)
{
    if (!perm || !next || channels == 0 || channels % 2 || channels > (size_t)INT32_MAX || perm == next) {
        return vgs__fail(VGS_ERR_INVALID_ARGUMENT,
                         "vgs_channel_split_shuffle_map: NULL or aliased maps, or %zu channels (must be even, > 0)", channels);
    }
    const size_t half = channels / 2;
    for (size_t j = 0; j < half; j++) next[2 * j] = perm[j], next[2 * j + 1] = perm[half + j];
    return VGS_OK;
}

/* Stem, stages 2..4 and conv5 channels of a config. */
static vgs_status vgs__sv2_channels(const vgs_shufflenet_v2_config *cfg, int ch[5])
{
    if (cfg->stage_channels[0]) {
        ch[0] = cfg->stem_channels ? cfg->stem_channels : 24;
        for (int i = 0; i < 3; i++) ch[1 + i] = cfg->stage_channels[i];
        ch[4] = cfg->last_channels ? cfg->last_channels : 1024;
    } else {
        int k = -1;
        for (int i = 0; i < 4; i++) {
            if (cfg->width == vgs__sv2_widths[i]) k = i;
        }
        if (k < 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V2: width %g is not 0.5, 1.0, 1.5 or 2.0", cfg->width);
        for (int i = 0; i < 5; i++) ch[i] = vgs__sv2_table[k][i];
        if (cfg->stem_channels) ch[0] = cfg->stem_channels;
        if (cfg->last_channels) ch[4] = cfg->last_channels;
    }
    if (ch[0] <= 0 || ch[4] <= 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V2: stem %d / conv5 %d channels", ch[0], ch[4]);
    for (int i = 1; i < 4; i++) {
        if (ch[i] <= 0 || ch[i] % 2) {
            return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "ShuffleNet V2: stage %d has %d channels (must be even, > 0)", i + 1, ch[i]);
        }
    }
    return VGS_OK;
}

/* An index array owned by the net. */
static int32_t *vgs__sv2_ints(vgs_net *net, size_t n) { return (int32_t *)(void *)vgs__net_alloc(net, n); }

/* Conv weights w (o rows of c input columns) reading logical channel l from plane perm[l]:
 * column l moves to column perm[l].  tmp: c floats. */
static void vgs__sv2_permute_columns(float *w, size_t o, size_t c, const int32_t *perm, float *tmp)
{
    for (size_t i = 0; i < o; i++) {
        float *row = w + i * c;
        for (size_t l = 0; l < c; l++) tmp[perm[l]] = row[l];
        memcpy(row, tmp, c * sizeof *row);
    }
}

/* Depthwise weights (c x 9) and bias of logical channel l move to plane perm[l]. */
static void vgs__sv2_permute_depthwise(float *w, float *b, size_t c, const int32_t *perm, float *tmp)
{
    for (size_t l = 0; l < c; l++) memcpy(tmp + (size_t)perm[l] * 9, w + l * 9, 9 * sizeof *w);
    memcpy(w, tmp, c * 9 * sizeof *w);
    for (size_t l = 0; l < c; l++) tmp[perm[l]] = b[l];
    memcpy(b, tmp, c * sizeof *b);
}

/* "stage2.0.branch2.5" and friends; conv index j, its BN j + 1. */
static vgs_status vgs__sv2_conv_bn(vgs__loader *ld, const char *unit, int j, int64_t o, int64_t i, int64_t k, float **w,
                                   float **b, char *conv)
{
    char bn[96];
    snprintf(conv, 80, "%s.%d", unit, j);
    snprintf(bn, sizeof bn, "%s.%d", unit, j + 1);
    return vgs__conv_bn(ld, conv, bn, o, i, k, w, b);
}

/* One unit: input tensor t (c_in planes, logical channel l in plane perm[l]) of h x w;
 * writes *t_out (c_out planes) and its perm (c_out entries, in `perm`, which has room). */
static vgs_status vgs__sv2_unit(vgs__loader *ld, vgs_net *net, const char *unit, int stride, size_t c_in, size_t c_out,
                                size_t h, size_t w, int t, int32_t *perm, int *t_out, float *tmp)
{
    const size_t bf = c_out / 2, hw = h * w, oh = stride == 2 ? (h + 1) / 2 : h, ow = stride == 2 ? (w + 1) / 2 : w;
    const size_t ohw = oh * ow;
    char pre[64], conv[80];
    float *w1, *b1, *wd, *bd, *w2, *b2;
    vgs_status st;
    snprintf(pre, sizeof pre, "%s.branch2", unit);
    const int t1 = vgs__net_tensor(net, bf * hw), t2 = vgs__net_tensor(net, bf * ohw);
    if (t1 < 0 || t2 < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    if (stride == 2) {
        const int to = vgs__net_tensor(net, c_out * ohw), tb = vgs__net_tensor(net, c_in * ohw);
        if (to < 0 || tb < 0) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        char pre1[64];
        snprintf(pre1, sizeof pre1, "%s.branch1", unit);
        /* branch1: every input plane in physical order, weights permuted to match */
        if ((st = vgs__sv2_conv_bn(ld, pre1, 0, (int64_t)c_in, 1, 3, &wd, &bd, conv)) != VGS_OK) return st;
        vgs__sv2_permute_depthwise(wd, bd, c_in, perm, tmp);
        if ((st = vgs__add_dwconv3x3(net, conv, 2, c_in, h, w, vgs__v(t, 0, hw), vgs__v(tb, 0, ohw), NULL, wd, bd, 0)) !=
            VGS_OK) {
            return st;
        }
        if ((st = vgs__sv2_conv_bn(ld, pre1, 2, (int64_t)bf, (int64_t)c_in, 1, &w1, &b1, conv)) != VGS_OK) return st;
        vgs__sv2_permute_columns(w1, bf, c_in, perm, tmp);
        if ((st = vgs__add_conv1x1(net, conv, 1, c_in, bf, oh, ow, vgs__v(tb, 0, ohw), vgs__v(to, 0, 2 * ohw), vgs__none,
                                   w1, b1, 1)) != VGS_OK) {
            return st;
        }
        /* branch2 */
        if ((st = vgs__sv2_conv_bn(ld, pre, 0, (int64_t)bf, (int64_t)c_in, 1, &w1, &b1, conv)) != VGS_OK) return st;
        vgs__sv2_permute_columns(w1, bf, c_in, perm, tmp);
        if ((st = vgs__add_conv1x1(net, conv, 1, c_in, bf, h, w, vgs__v(t, 0, hw), vgs__v(t1, 0, hw), vgs__none, w1, b1,
                                   1)) != VGS_OK) {
            return st;
        }
        if ((st = vgs__sv2_conv_bn(ld, pre, 3, (int64_t)bf, 1, 3, &wd, &bd, conv)) != VGS_OK ||
            (st = vgs__add_dwconv3x3(net, conv, 2, bf, h, w, vgs__v(t1, 0, hw), vgs__v(t2, 0, ohw), NULL, wd, bd, 0)) !=
                VGS_OK ||
            (st = vgs__sv2_conv_bn(ld, pre, 5, (int64_t)bf, (int64_t)bf, 1, &w2, &b2, conv)) != VGS_OK ||
            (st = vgs__add_conv1x1(net, conv, 1, bf, bf, oh, ow, vgs__v(t2, 0, ohw), vgs__v(to, ohw, 2 * ohw), vgs__none,
                                   w2, b2, 1)) != VGS_OK) {
            return st;
        }
        for (size_t l = 0; l < c_out; l++) perm[l] = (int32_t)l;
        *t_out = to;
        return VGS_OK;
    }
    /* stride 1, in place: x2 = logical [bf, 2 bf) read through perm, the branch's channel j
     * written to x2[j]'s plane */
    int32_t *x2 = vgs__sv2_ints(net, bf), *next = (int32_t *)(void *)tmp;
    if (!x2) return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    memcpy(x2, perm + bf, bf * sizeof *x2);
    if ((st = vgs__sv2_conv_bn(ld, pre, 0, (int64_t)bf, (int64_t)bf, 1, &w1, &b1, conv)) != VGS_OK ||
        (st = vgs__add_conv1x1_indexed(net, conv, bf, bf, h, w, vgs__v(t, 0, hw), x2, vgs__v(t1, 0, hw), NULL, w1, b1,
                                       1)) != VGS_OK ||
        (st = vgs__sv2_conv_bn(ld, pre, 3, (int64_t)bf, 1, 3, &wd, &bd, conv)) != VGS_OK ||
        (st = vgs__add_dwconv3x3(net, conv, 1, bf, h, w, vgs__v(t1, 0, hw), vgs__v(t2, 0, hw), NULL, wd, bd, 0)) !=
            VGS_OK ||
        (st = vgs__sv2_conv_bn(ld, pre, 5, (int64_t)bf, (int64_t)bf, 1, &w2, &b2, conv)) != VGS_OK ||
        (st = vgs__add_conv1x1_indexed(net, conv, bf, bf, h, w, vgs__v(t2, 0, hw), NULL, vgs__v(t, 0, hw), x2, w2, b2,
                                       1)) != VGS_OK ||
        (st = vgs_channel_split_shuffle_map(c_in, perm, next)) != VGS_OK) {
        return st;
    }
    memcpy(perm, next, c_in * sizeof *perm);
    *t_out = t;
    return VGS_OK;
}

/* The layers of one net: stem, 16 units, head; weights taken from ld (BN folded). */
static vgs_status vgs__sv2_build(vgs__loader *ld, const void *config, vgs_net *net)
{
    const vgs_shufflenet_v2_config *cfg = (const vgs_shufflenet_v2_config *)config;
    static const int repeats[3] = {4, 8, 4};
    int ch[5];
    vgs_status st = vgs__sv2_channels(cfg, ch);
    if (st != VGS_OK) return st;
    size_t cmax = (size_t)ch[0];
    for (int i = 1; i < 5; i++) cmax = (size_t)ch[i] > cmax ? (size_t)ch[i] : cmax;
    /* builder scratch: the perm and a permutation buffer (9 floats a channel) */
    int32_t *perm = (int32_t *)malloc(cmax * sizeof *perm);
    float *tmp = (float *)malloc(cmax * 9 * sizeof *tmp);
    if (!perm || !tmp) {
        free(perm), free(tmp);
        return vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    }
    float *w, *b;
    size_t h = (size_t)net->in_h, wd = (size_t)net->in_w, c = (size_t)ch[0];
    const size_t sh = (h + 1) / 2, sw = (wd + 1) / 2;
    const int t_stem = vgs__net_tensor(net, c * sh * sw);
    h = (sh + 1) / 2, wd = (sw + 1) / 2;
    int t = vgs__net_tensor(net, c * h * wd);
    if (t_stem < 0 || t < 0) st = vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == VGS_OK && (st = vgs__conv_bn(ld, "conv1.0", "conv1.1", ch[0], 3, 3, &w, &b)) == VGS_OK &&
        (st = vgs__add_conv3x3(net, "conv1.0", 2, 3, c, (size_t)net->in_h, (size_t)net->in_w,
                               vgs__v(VGS__IN, 0, (size_t)net->in_h * (size_t)net->in_w), vgs__v(t_stem, 0, sh * sw), w, b,
                               1)) == VGS_OK) {
        st = vgs__add_pool(net, VGS__MAXPOOL3X3, "maxpool", c, sh, sw, vgs__v(t_stem, 0, sh * sw), vgs__v(t, 0, h * wd));
    }
    for (size_t l = 0; l < c; l++) perm[l] = (int32_t)l;
    for (int s = 0; s < 3 && st == VGS_OK; s++) {
        for (int r = 0; r < repeats[s] && st == VGS_OK; r++) {
            char unit[32];
            snprintf(unit, sizeof unit, "stage%d.%d", s + 2, r);
            const int stride = r == 0 ? 2 : 1;
            st = vgs__sv2_unit(ld, net, unit, stride, c, (size_t)ch[s + 1], h, wd, t, perm, &t, tmp);
            c = (size_t)ch[s + 1];
            if (stride == 2) h = (h + 1) / 2, wd = (wd + 1) / 2;
        }
    }
    /* head: conv5 over every plane (columns permuted), mean, fc */
    const size_t last = (size_t)ch[4];
    const int t5 = vgs__net_tensor(net, last * h * wd), t_pool = vgs__net_tensor(net, last);
    if (st == VGS_OK && (t5 < 0 || t_pool < 0)) st = vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
    if (st == VGS_OK && (st = vgs__conv_bn(ld, "conv5.0", "conv5.1", ch[4], (int64_t)c, 1, &w, &b)) == VGS_OK) {
        float *row = (float *)malloc(c * sizeof *row);
        if (!row) st = vgs__fail(VGS_ERR_OUT_OF_MEMORY, "out of memory");
        else vgs__sv2_permute_columns(w, last, c, perm, row);
        free(row);
    }
    const int64_t fc_shape[2] = {cfg->num_classes, ch[4]};
    float *fb;
    if (st == VGS_OK &&
        (st = vgs__add_conv1x1(net, "conv5.0", 1, c, last, h, wd, vgs__v(t, 0, h * wd), vgs__v(t5, 0, h * wd), vgs__none,
                               w, b, 1)) == VGS_OK &&
        (st = vgs__take(ld, "fc.weight", 2, fc_shape, &w)) == VGS_OK &&
        (st = vgs__take(ld, "fc.bias", 1, fc_shape, &fb)) == VGS_OK &&
        (st = vgs__add_pool(net, VGS__GAVGPOOL, "mean", last, h, wd, vgs__v(t5, 0, h * wd), vgs__v(t_pool, 0, 1))) ==
            VGS_OK &&
        (st = vgs__add_linear(net, "fc", last, (size_t)cfg->num_classes, vgs__v(t_pool, 0, 1), vgs__v(VGS__OUT, 0, 1), w,
                              fb, 0)) == VGS_OK) {
        st = vgs__check_unknown(ld);
    }
    free(perm);
    free(tmp);
    return st;
}

vgs_status vgs_shufflenet_v2_create(const vgs_shufflenet_v2_config *cfg, const vgs_weights *weights,
                                    const vgs_net_options *options, vgs_net **out)
{
    if (!out) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_shufflenet_v2_create: out is NULL");
    *out = NULL;
    if (!cfg || !weights) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "vgs_shufflenet_v2_create: NULL config or weights");
    if (cfg->num_classes <= 0) return vgs__fail(VGS_ERR_INVALID_ARGUMENT, "num_classes must be > 0");
    /* torchvision's ImageNet preprocessing: Resize(256) (short side), CenterCrop(224), RGB,
     * /255, ImageNet mean / std; for another input size the crop is that size and the resize
     * keeps the 256/224 ratio.  (torchvision resizes with PIL's antialiased bilinear filter,
     * vgs_preprocess_rgb8 with OpenCV's INTER_LINEAR: close, not bit-identical.) */
    const vgs_preprocess pp = {0, 0, 0, 0, 1.0f / 255.0f, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
    return vgs__net_create(vgs__sv2_build, cfg, cfg->num_classes, pp, weights, options, out);
}

/* "shufflenet_v2_x0_5" .. "shufflenet_v2_x2_0" -> width; 0 if it is not one of them. */
static int vgs__sv2_parse_name(const char *model, vgs_shufflenet_v2_config *cfg)
{
    static const char *const names[4] = {"shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                                         "shufflenet_v2_x2_0"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(model, names[i]) == 0) {
            memset(cfg, 0, sizeof *cfg);
            cfg->width = vgs__sv2_widths[i];
            cfg->num_classes = 1000;
            return 1;
        }
    }
    return 0;
}
