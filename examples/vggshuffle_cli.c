/* vggshuffle — command-line front end of vggshuffle.h.
 *
 *   vggshuffle classify --model M --weights W.safetensors [--labels FILE] [--top K] IMAGE...
 *   vggshuffle run --model M --weights W --input x.f32 --shape N,C,H,W --output y.f32
 *   vggshuffle preprocess --model M --weights W --output x.f32 IMAGE...
 *   vggshuffle bench --model M --weights W [--runs R] [--batch N]
 *   vggshuffle info
 *
 * Images are decoded with stb_image (PNG, JPEG, ...; the system's libstb).  VGS_ISA=scalar|avx2|avx512|neon
 * forces a tier; it is checked here so that a bad value is an error, not a silent fallback. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vggshuffle.h"

#include <stb_image.h> /* Debian libstb-dev: pkg-config stb */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The labels file used when --labels is not given: VGS_LABELS, else ../shared/labels next to
 * the source tree this program was built from (meson defines VGS_DEFAULT_LABELS). */
#ifndef VGS_DEFAULT_LABELS
#define VGS_DEFAULT_LABELS "../shared/labels/imagenet_classes.txt"
#endif

static int usage_to(FILE *f, int status)
{
    fprintf(f,
            "usage:\n"
            "  vggshuffle classify --model M --weights W.safetensors [--labels FILE] [--top K] IMAGE...\n"
            "  vggshuffle run --model M --weights W --input x.f32 --shape N,C,H,W --output y.f32\n"
            "  vggshuffle preprocess --model M --weights W --output x.f32 IMAGE...\n"
            "  vggshuffle bench --model M --weights W [--runs R] [--batch N]\n"
            "  vggshuffle info\n"
            "models: shufflenet_v1_gG_xW, G in 1,2,3,4,8, W such as 0_5, 1_0, 1_5, 2_0;\n"
            "        shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0\n"
            "options: --top K (classes printed, 5), --runs R (bench, 20), --batch N (bench, 1),\n"
            "         --labels FILE (class names; default $VGS_LABELS or %s)\n"
            "environment: VGS_ISA=scalar|avx2|avx512|neon forces a kernel tier\n", VGS_DEFAULT_LABELS);
    return status;
}

static int usage(void) { return usage_to(stderr, 2); }

/* A usage error: what was wrong, then the usage. */
static int bad_usage(const char *what)
{
    fprintf(stderr, "vggshuffle: %s\n", what);
    return usage();
}

/* Apply VGS_ISA strictly: unknown or unsupported is an error for the CLI. */
static int select_isa(void)
{
    const char *env = getenv("VGS_ISA");
    if (!env || !*env) return 0;
    vgs_isa isa;
    if (vgs_isa_parse(env, &isa) != VGS_OK || vgs_isa_force(isa) != VGS_OK) {
        fprintf(stderr, "vggshuffle: VGS_ISA: %s\n", vgs_last_error());
        return 1;
    }
    return 0;
}

typedef struct args {
    const char *model, *weights, *labels, *input, *output, *shape;
    int top, runs, batch;
    const char **files;
    int n_files;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->top = 5, a->runs = 20, a->batch = 1;
    a->labels = getenv("VGS_LABELS") && *getenv("VGS_LABELS") ? getenv("VGS_LABELS") : VGS_DEFAULT_LABELS;
    a->files = (const char **)calloc((size_t)argc, sizeof *a->files);
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char **dst = !strcmp(o, "--model") ? &a->model : !strcmp(o, "--weights") ? &a->weights
                         : !strcmp(o, "--labels") ? &a->labels : !strcmp(o, "--input") ? &a->input
                         : !strcmp(o, "--output") ? &a->output : !strcmp(o, "--shape") ? &a->shape : NULL;
        int *num = !strcmp(o, "--top") ? &a->top : !strcmp(o, "--runs") ? &a->runs : !strcmp(o, "--batch") ? &a->batch : NULL;
        if ((dst || num) && i + 1 >= argc) {
            fprintf(stderr, "vggshuffle: %s needs a value\n", o);
            return 1;
        }
        if (dst) *dst = argv[++i];
        else if (num) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0 || v > 1000000) {
                fprintf(stderr, "vggshuffle: %s: '%s' is not a positive number\n", o, argv[i]);
                return 1;
            }
            *num = (int)v;
        } else if (o[0] == '-' && o[1] == '-') {
            fprintf(stderr, "vggshuffle: unknown option %s\n", o);
            return 1;
        } else a->files[a->n_files++] = o;
    }
    if (!a->model || !a->weights) {
        fprintf(stderr, "vggshuffle: --model and --weights are required\n");
        return 1;
    }
    return 0;
}

/* n class names, one per line; NULL (with a warning) unless the file has exactly n lines. */
static char **read_labels(const char *path, int n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "vggshuffle: warning: labels %s: %s; printing class ids\n", path, strerror(errno));
        return NULL;
    }
    char **l = (char **)calloc((size_t)n + 1, sizeof *l);
    char line[512];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (count < n) l[count] = strdup(line);
        count++;
    }
    fclose(f);
    if (count != n) {
        fprintf(stderr, "vggshuffle: warning: labels %s has %d lines, the model %d classes; printing class ids\n",
                path, count, n);
        for (int i = 0; i < n; i++) free(l[i]);
        free(l);
        return NULL;
    }
    return l;
}

/* Decode an image to 8-bit RGB, or say why not. */
static unsigned char *load_rgb(const char *who, const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
        return NULL;
    }
    int c;
    unsigned char *rgb = stbi_load_from_file(f, w, h, &c, 3);
    fclose(f);
    if (!rgb) {
        const char *why = stbi_failure_reason();
        fprintf(stderr, "%s: %s: cannot decode (%s)\n", who, path, why && *why ? why : "truncated or not an image");
    }
    return rgb;
}

/* Decode `path` (its size into *iw, *ih) and preprocess it as the net wants into x (the
 * net's input shape); 0 on success. */
static int image_to_tensor(const char *who, const vgs_net *net, const char *path, float *x, int *iw, int *ih)
{
    unsigned char *rgb = load_rgb(who, path, iw, ih);
    if (!rgb) return 1;
    const int rc = vgs_preprocess_rgb8(rgb, *iw, *ih, (size_t)*iw * 3, vgs_net_preprocess(net), x) != VGS_OK;
    if (rc) fprintf(stderr, "%s: %s: %s\n", who, path, vgs_last_error());
    stbi_image_free(rgb);
    return rc;
}

static vgs_net *open_net(const args *a)
{
    vgs_net *net;
    if (vgs_net_create(a->model, a->weights, NULL, &net) != VGS_OK) {
        fprintf(stderr, "vggshuffle: %s\n", vgs_last_error());
        return NULL;
    }
    return net;
}

static int cmp_double(const void *p, const void *q)
{
    const double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

static int cmd_classify(const args *a)
{
    if (a->n_files == 0) return bad_usage("classify: no image given");
    vgs_net *net = open_net(a);
    if (!net) return 1;
    const int nc = vgs_net_num_classes(net);
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    char **labels = read_labels(a->labels, nc);
    float *x = (float *)malloc(sizeof(float) * (size_t)(c * h * w));
    float *logits = (float *)malloc(sizeof(float) * (size_t)nc), *prob = (float *)malloc(sizeof(float) * (size_t)nc);
    int *top = (int *)malloc(sizeof(int) * (size_t)a->top), rc = 0;
    for (int i = 0; i < a->n_files; i++) {
        int iw, ih;
        if (image_to_tensor("vggshuffle", net, a->files[i], x, &iw, &ih)) {
            rc = 1;
            continue;
        }
        /* the median of 5 forward passes after one warm-up (page faults of the workspace) */
        double t[5];
        vgs_net_forward(net, x, 1, logits, (size_t)nc);
        for (int r = 0; r < 5; r++) {
            const double t0 = now_ms();
            vgs_net_forward(net, x, 1, logits, (size_t)nc);
            t[r] = now_ms() - t0;
        }
        qsort(t, 5, sizeof *t, cmp_double);
        const double ms = t[2];
        vgs_softmax(logits, (size_t)nc, prob);
        vgs_topk(prob, (size_t)nc, (size_t)a->top, top);
        printf("%s (%dx%d): %s, isa %s, forward %.2f ms (median of 5, 1 thread)\n", a->files[i], iw, ih, a->model,
               vgs_isa_name(), ms);
        for (int k = 0; k < a->top && k < nc; k++) {
            printf("  %d. %4d %-30s %.4f\n", k + 1, top[k], labels && labels[top[k]] ? labels[top[k]] : "?", prob[top[k]]);
        }
    }
    if (labels) {
        for (int i = 0; i < nc; i++) free(labels[i]);
        free(labels);
    }
    free(x), free(logits), free(prob), free(top);
    vgs_net_destroy(net);
    return rc;
}

static int cmd_run(const args *a)
{
    int n, c, h, w, nc_, hh, ww, used = 0;
    if (!a->input || !a->output || !a->shape) return bad_usage("run: needs --input, --output and --shape N,C,H,W");
    if (sscanf(a->shape, "%d,%d,%d,%d%n", &n, &c, &h, &w, &used) != 4 || a->shape[used] || n <= 0 || c <= 0 || h <= 0 ||
        w <= 0) {
        fprintf(stderr, "vggshuffle run: --shape '%s' is not four positive integers N,C,H,W\n", a->shape);
        return 2;
    }
    vgs_net *net = open_net(a);
    if (!net) return 1;
    vgs_net_input_shape(net, &nc_, &hh, &ww);
    if (c != nc_ || h != hh || w != ww) {
        fprintf(stderr, "vggshuffle run: --shape %s: the model takes N,%d,%d,%d\n", a->shape, nc_, hh, ww);
        vgs_net_destroy(net);
        return 1;
    }
    const size_t count = (size_t)n * c * h * w, ncls = (size_t)vgs_net_num_classes(net);
    float *x = (float *)malloc(count * sizeof(float)), *y = (float *)malloc((size_t)n * ncls * sizeof(float));
    FILE *f = fopen(a->input, "rb");
    const int open_errno = errno;
    size_t got = f ? fread(x, sizeof(float), count, f) : 0;
    const int extra = f && fgetc(f) != EOF;
    if (f) fclose(f);
    int rc = 0;
    if (!f) {
        fprintf(stderr, "vggshuffle run: %s: %s\n", a->input, strerror(open_errno));
        rc = 1;
    } else if (got != count || extra) {
        fprintf(stderr, "vggshuffle run: %s: expected exactly %zu float32 values (%s), found %s%zu\n", a->input,
                count, a->shape, extra ? "more than " : "", got);
        rc = 1;
    } else if (vgs_net_forward(net, x, (size_t)n, y, (size_t)n * ncls) != VGS_OK) {
        fprintf(stderr, "vggshuffle run: %s\n", vgs_last_error());
        rc = 1;
    } else {
        FILE *o = fopen(a->output, "wb");
        if (!o || fwrite(y, sizeof(float), (size_t)n * ncls, o) != (size_t)n * ncls) {
            fprintf(stderr, "vggshuffle run: cannot write %s: %s\n", a->output, strerror(errno));
            rc = 1;
        }
        if (o) fclose(o);
    }
    free(x), free(y);
    vgs_net_destroy(net);
    return rc;
}

/* Decode and preprocess IMAGE... with the model's preprocessing (vgs_net_preprocess) into one
 * raw float32 NCHW tensor of N = the number of images: the --input of `run`, byte for byte. */
static int cmd_preprocess(const args *a)
{
    if (a->n_files == 0 || !a->output) {
        fprintf(stderr, "vggshuffle preprocess: needs --output and at least one IMAGE\n");
        return 2;
    }
    vgs_net *net = open_net(a);
    if (!net) return 1;
    int c, h, w, rc = 0;
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t img = (size_t)c * h * w;
    float *x = (float *)malloc(img * sizeof(float));
    FILE *o = fopen(a->output, "wb");
    if (!x || !o) {
        fprintf(stderr, "vggshuffle preprocess: cannot write %s\n", a->output);
        rc = 1;
    }
    for (int i = 0; !rc && i < a->n_files; i++) {
        int iw, ih;
        if (image_to_tensor("vggshuffle preprocess", net, a->files[i], x, &iw, &ih)) {
            rc = 1;
        } else if (fwrite(x, sizeof(float), img, o) != img) {
            fprintf(stderr, "vggshuffle preprocess: cannot write %s\n", a->output);
            rc = 1;
        }
    }
    if (o && fclose(o) != 0 && !rc) {
        fprintf(stderr, "vggshuffle preprocess: cannot write %s\n", a->output);
        rc = 1;
    }
    if (rc && o) remove(a->output); /* no partial tensor left behind */
    if (!rc) printf("%s: %d,%d,%d,%d float32 (%s)\n", a->output, a->n_files, c, h, w, a->model);
    free(x);
    vgs_net_destroy(net);
    return rc;
}


static int cmd_bench(const args *a)
{
    vgs_net *net = open_net(a);
    if (!net) return 1;
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t n = (size_t)a->batch, ncls = (size_t)vgs_net_num_classes(net), img = (size_t)c * h * w;
    float *x = (float *)malloc(n * img * sizeof(float)), *y = (float *)malloc(n * ncls * sizeof(float));
    double *t = (double *)malloc((size_t)a->runs * sizeof(double));
    for (size_t i = 0; i < n * img; i++) x[i] = (float)((i * 2654435761u) % 256);
    vgs_net_forward(net, x, n, y, n * ncls); /* warm-up */
    for (int r = 0; r < a->runs; r++) {
        const double t0 = now_ms();
        vgs_net_forward(net, x, n, y, n * ncls);
        t[r] = now_ms() - t0;
    }
    qsort(t, (size_t)a->runs, sizeof *t, cmp_double);
    printf("%s batch %zu isa %s: median %.3f ms, min %.3f ms, max %.3f ms over %d runs (1 thread)\n", a->model, n,
           vgs_isa_name(), t[a->runs / 2], t[0], t[a->runs - 1], a->runs);
    free(x), free(y), free(t);
    vgs_net_destroy(net);
    return 0;
}

static int cmd_info(void)
{
    printf("vggshuffle %s\n", VGS_VERSION_STRING);
    printf("isa in use: %s (best supported: %s)\n", vgs_isa_name(), vgs_isa_to_string(vgs_isa_best()));
    for (int i = 0; i < VGS_ISA_COUNT; i++) {
        const vgs_kernels *k = vgs_kernels_for((vgs_isa)i);
        printf("  %-7s %s\n", vgs_isa_to_string((vgs_isa)i),
               !k ? "not compiled in" : vgs_isa_supported((vgs_isa)i) ? "supported" : "compiled in, not supported by this CPU");
        if (k) printf("          gemm microkernel %s, %zu floats per vector\n", k->gemm_name, k->vector_width);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return bad_usage("no command given");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) return usage_to(stdout, 0);
    if (!strcmp(cmd, "info")) {
        if (select_isa()) printf("(VGS_ISA is not usable here: see above)\n");
        return cmd_info();
    }
    if (strcmp(cmd, "classify") && strcmp(cmd, "run") && strcmp(cmd, "preprocess") && strcmp(cmd, "bench")) {
        fprintf(stderr, "vggshuffle: unknown command '%s'\n", cmd);
        return usage();
    }
    if (select_isa()) return 1;
    args a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0) {
        rc = !strcmp(cmd, "classify") ? cmd_classify(&a) : !strcmp(cmd, "run") ? cmd_run(&a)
           : !strcmp(cmd, "preprocess") ? cmd_preprocess(&a) : cmd_bench(&a);
    }
    free(a.files);
    return rc;
}
