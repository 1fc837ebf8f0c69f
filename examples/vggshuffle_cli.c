/* vggshuffle — command-line front end of vggshuffle.h.
 *
 *   vggshuffle classify --model M --weights W.safetensors [--labels FILE] [--top K] [--threads T] IMAGE...
 *   vggshuffle run --model M --weights W --input x.f32 --shape N,C,H,W --output y.f32 [--threads T]
 *   vggshuffle preprocess --model M --weights W --output x.f32 IMAGE...
 *   vggshuffle bench --model M --weights W [--runs R] [--batch N] [--threads T] [--layers] [--json] [--plot F.svg]
 *   vggshuffle info
 *   vggshuffle [COMMAND] --help | -h | --version
 *
 * Options take `--opt value` or `--opt=value`; `--` ends them.  Every number is checked (no
 * wrap-around), every allocation and size product too: a bad value is an error, never a crash.
 * Images are decoded with stb_image (PNG, JPEG, ...; the system's libstb).  VGS_ISA=scalar|avx2|avx512|neon
 * forces a tier; it is checked here so that a bad value is an error, not a silent fallback. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vggshuffle.h"

#include <stb_image.h> /* Debian libstb-dev: pkg-config stb */

#include "layer_table.h"

/* The labels file used when --labels is not given: VGS_LABELS, else ../shared/labels next to
 * the source tree this program was built from (meson defines VGS_DEFAULT_LABELS). */
#ifndef VGS_DEFAULT_LABELS
#define VGS_DEFAULT_LABELS "../shared/labels/imagenet_classes.txt"
#endif

/* The commands: name, the options each takes (besides --help and --version), synopsis, and
 * what it does (its --help). */
typedef struct command {
    const char *name, *options, *synopsis, *help;
} command;

static const command commands[] = {
    {"classify", "model weights labels top threads conv3x3 fc-weights",
     "classify --model M --weights W.safetensors [--labels FILE] [--top K] [--threads T] IMAGE...",
     "Prints the top-K classes of each image (K = 5 by default, at most the model's number of\n"
     "classes), the ISA in use and the forward time (median of 5 warm passes) on T threads\n"
     "(default: one per online core).\n"
     "Class names come from --labels, else $VGS_LABELS, else " VGS_DEFAULT_LABELS ":\n"
     "a file named by either that cannot be read or has not one line per class is an error;\n"
     "the default one falls back to class ids with a warning.\n"
     "--conv3x3 and --fc-weights as on bench (vggshuffle bench --help).\n"},
    {"run", "model weights input shape output threads conv3x3 fc-weights",
     "run --model M --weights W --input x.f32 --shape N,C,H,W --output y.f32 [--threads T]",
     "Reads raw float32 NCHW (exactly N*C*H*W values; C,H,W the model's input) and writes the\n"
     "raw float32 logits (N x classes), on T threads (default: one per online core; the\n"
     "logits are bit-identical for every T).\n"
     "--conv3x3 and --fc-weights as on bench (vggshuffle bench --help).\n"},
    {"preprocess", "model weights output", "preprocess --model M --weights W --output x.f32 IMAGE...",
     "Decodes and preprocesses the images as the model wants into one raw float32 NCHW tensor\n"
     "(N = the number of images): the --input of `run`, byte for byte.\n"},
    {"bench", "model weights runs batch threads layers json conv3x3 fc-weights plot",
     "bench --model M --weights W [--runs R] [--batch N] [--threads T] [--layers] [--json] [--plot F.svg]",
     "Median, min and max forward time of R passes (20 by default) over a batch of N synthetic\n"
     "images (1 by default; the net runs them through every layer together) on T threads\n"
     "(default: one per online core); R and N at most 1000000, T at most 256.\n"
     "--layers: the per-layer table (median time, GFLOP/s and % of the FMA peak, GB/s and % of\n"
     "the read bandwidth, both measured here first; that bandwidth is main memory's, so a layer\n"
     "whose data sit in cache passes 100 %).  --json: the same as JSON lines.\n"
     "--plot F.svg: the per-layer roofline as an SVG picture (x: FLOP per byte, y: GFLOP/s,\n"
     "both logarithmic; the measured FMA peak and read bandwidth as the roofs; one point per\n"
     "layer, its name and figures in a tooltip).\n"
     "--conv3x3 auto|direct|f23|f43|f63: the 3x3 convolutions' algorithm (VGG; default auto:\n"
     "chosen per layer by shape), also on classify and run.\n"
     "--fc-weights f32|bf16|f16: the fully connected layers' weights as given (default) or\n"
     "rounded at load to bfloat16 or IEEE half (half the bytes; see bench/README.md for the\n"
     "accuracy; f16 fails on a weight beyond +-65504), also on classify and run.\n"},
    {"info", "", "info", "Prints the version, the detected ISA and the compiled tiers with their GEMM microkernels.\n"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

/* The environment variables the library reads (vggshuffle.h, "Environment variable"), for the
 * help texts. */
#define ENV_HELP                                                                                         \
    "environment: VGS_ISA=scalar|avx2|avx512|neon forces a kernel tier; VGS_NUM_THREADS=N (1..256)\n"    \
    "             the threads when --threads is not given; VGS_AVX512_HALVES=0|1 overrides whether\n"   \
    "             this processor runs 512-bit operations in halves; VGS_LABELS=FILE the class names\n"

static int usage_to(FILE *f, int status)
{
    fprintf(f, "usage:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  vggshuffle %s\n", commands[i].synopsis);
    fprintf(f,
            "  vggshuffle [COMMAND] --help | --version\n"
            "models: shufflenet_v1_gG_xW, G in 1,2,3,4,8, W such as 0_5, 1_0, 1_5, 2_0;\n"
            "        shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0;\n"
            "        vgg11, vgg13, vgg16, vgg19 and vgg11_bn .. vgg19_bn\n"
            "weights: .safetensors (convert PyTorch checkpoints with tools/torch2safetensors.py IN OUT)\n"
            "options: --opt value or --opt=value (`--` ends them): --top K (classes printed, 5),\n"
            "         --runs R (bench, 20), --batch N (bench, 1), --threads T (default: all cores),\n"
            "         --layers, --json, --plot F.svg (bench: per-layer profile, roofline picture),\n"
            "         --conv3x3 auto|direct|f23|f43|f63, --fc-weights f32|bf16|f16,\n"
            "         --labels FILE (class names; default $VGS_LABELS or %s)\n"
            ENV_HELP, VGS_DEFAULT_LABELS);
    return status;
}

static int usage(void) { return usage_to(stderr, 2); }

/* A usage error: what was wrong, then the usage. */
static int bad_usage(const char *what)
{
    fprintf(stderr, "vggshuffle: %s\n", what);
    return usage();
}

static int command_help(const command *c)
{
    printf("usage: vggshuffle %s\n\n%s", c->synopsis, c->help);
    if (*c->options) printf("(options as --opt value or --opt=value; `--` ends them)\n");
    printf(ENV_HELP);
    return 0;
}

/* VGS_NUM_THREADS and VGS_AVX512_HALVES with a value the library ignores (it records why in
 * vgs_last_error(), which a later call overwrites): said on stderr, the run goes on.  The
 * tests are the library's own (vgs__net_plan: strtol, 1..256 like OMP_NUM_THREADS, so " 2"
 * and "+2" count; vgs_x86_avx512_halves: exactly "0" or "1"), not parse_count's stricter
 * rule for options. */
static void warn_ignored_env(void)
{
    const char *h = getenv("VGS_AVX512_HALVES"), *t = getenv("VGS_NUM_THREADS");
    if (h && *h && strcmp(h, "0") != 0 && strcmp(h, "1") != 0)
        fprintf(stderr, "vggshuffle: warning: VGS_AVX512_HALVES='%s' is not 0 or 1: ignored\n", h);
    if (t && *t) {
        char *end;
        errno = 0;
        const long n = strtol(t, &end, 10);
        if (*end || errno || n < 1 || n > 256)
            fprintf(stderr, "vggshuffle: warning: VGS_NUM_THREADS='%s' is not a count from 1 to 256: ignored\n", t);
    }
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
    const char *model, *weights, *labels, *input, *output, *shape, *conv3x3, *fc_weights, *plot;
    const char *labels_default; /* labels when neither --labels nor $VGS_LABELS named a file */
    int top, runs, batch, threads, layers, json;
    int winograd, fc; /* --conv3x3 and --fc-weights as vgs_net_options.winograd and .fc_weights */
    int done; /* --help or --version answered: exit 0 */
    const char **files;
    int n_files;
} args;

/* A decimal integer in 1..max, nothing else (no sign, space, or overflow); 0 on success. */
static int parse_count(const char *s, long max, int *out)
{
    char *end;
    if (*s < '0' || *s > '9') return 1;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < 1 || v > max) return 1;
    *out = (int)v;
    return 0;
}

/* "N,C,H,W": four integers in 1..INT_MAX; 0 on success. */
static int parse_shape(const char *s, int dims[4])
{
    char field[32];
    for (int i = 0; i < 4; i++) {
        const size_t len = strcspn(s, ",");
        if (len >= sizeof field || s[len] != (i < 3 ? ',' : '\0')) return 1;
        memcpy(field, s, len);
        field[len] = 0;
        if (parse_count(field, INT_MAX, &dims[i])) return 1;
        s += len + 1;
    }
    return 0;
}

/* a * b into *out, unless it overflows size_t (then 1). */
static int mul_size(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b) return 1;
    *out = a * b;
    return 0;
}

/* malloc of count elements of size bytes, or NULL with the reason printed (overflow included). */
static void *alloc_array(const char *who, size_t count, size_t size)
{
    size_t bytes;
    void *p = mul_size(count, size, &bytes) ? NULL : malloc(bytes ? bytes : 1);
    if (!p) fprintf(stderr, "%s: out of memory for %zu x %zu bytes\n", who, count, size);
    return p;
}

/* Whether the space-separated list holds word. */
static int has_word(const char *list, const char *word)
{
    const size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n])) return 1;
    return 0;
}

/* The command's options (argv[2...]); 0 to go on, else the exit status (a->done: answered). */
static int parse_args(const command *c, int argc, char **argv, args *a)
{
    /* str: takes a string; num: a count in 1..max; neither: a flag that sets *num to 1 */
    const struct { const char *name; const char **str; int *num; long max; } opts[] = {
        {"model", &a->model, NULL, 0}, {"weights", &a->weights, NULL, 0},  {"labels", &a->labels, NULL, 0},
        {"input", &a->input, NULL, 0}, {"output", &a->output, NULL, 0},    {"shape", &a->shape, NULL, 0},
        {"top", NULL, &a->top, 1000000}, {"runs", NULL, &a->runs, 1000000}, {"batch", NULL, &a->batch, 1000000},
        {"threads", NULL, &a->threads, 256}, {"layers", NULL, &a->layers, 0}, {"json", NULL, &a->json, 0},
        {"conv3x3", &a->conv3x3, NULL, 0}, {"fc-weights", &a->fc_weights, NULL, 0}, {"plot", &a->plot, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    int only_files = 0;
    memset(a, 0, sizeof *a);
    a->top = 5, a->runs = 20, a->batch = 1;
    const char *env_labels = getenv("VGS_LABELS");
    a->labels = env_labels && *env_labels ? env_labels : VGS_DEFAULT_LABELS;
    a->labels_default = env_labels && *env_labels ? NULL : a->labels;
    a->files = (const char **)alloc_array("vggshuffle", (size_t)argc, sizeof *a->files);
    if (!a->files) return 1;
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        if (only_files || o[0] != '-' || !o[1]) {
            a->files[a->n_files++] = o;
            continue;
        }
        if (!strcmp(o, "--")) {
            only_files = 1;
            continue;
        }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            a->done = 1;
            return command_help(c);
        }
        if (!strcmp(o, "--version")) {
            a->done = 1;
            printf("vggshuffle %s\n", VGS_VERSION_STRING);
            return 0;
        }
        /* --name value or --name=value, name one of this command's options */
        const char *eq = strchr(o, '='), *name = o + 2;
        const size_t len = eq ? (size_t)(eq - name) : strlen(name);
        size_t k = 0;
        while (k < n_opts && !(o[1] == '-' && strlen(opts[k].name) == len && !strncmp(opts[k].name, name, len))) k++;
        if (k == n_opts || !has_word(c->options, opts[k].name)) {
            fprintf(stderr, "vggshuffle %s: unknown option %.*s (vggshuffle %s --help lists them)\n", c->name,
                    (int)(eq ? (size_t)(eq - o) : strlen(o)), o, c->name);
            return 2;
        }
        if (opts[k].num && opts[k].max == 0) { /* a flag */
            if (eq) {
                fprintf(stderr, "vggshuffle %s: --%s takes no value\n", c->name, opts[k].name);
                return 2;
            }
            *opts[k].num = 1;
            continue;
        }
        const char *value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value) {
            fprintf(stderr, "vggshuffle %s: %s needs a value\n", c->name, o);
            return 2;
        }
        if (opts[k].str) {
            *opts[k].str = value;
        } else if (parse_count(value, opts[k].max, opts[k].num)) {
            fprintf(stderr, "vggshuffle %s: --%s: '%s' is not an integer from 1 to %ld\n", c->name,
                    opts[k].name, value, opts[k].max);
            return 2;
        }
    }
    if (*c->options && (!a->model || !a->weights)) {
        fprintf(stderr, "vggshuffle %s: --model and --weights are required (vggshuffle %s --help)\n", c->name,
                c->name);
        return 2;
    }
    if (a->n_files && strcmp(c->name, "classify") && strcmp(c->name, "preprocess")) {
        fprintf(stderr, "vggshuffle %s: unexpected argument '%s'\n", c->name, a->files[0]);
        return 2;
    }
    static const char *const algos[5] = {"auto", "direct", "f23", "f43", "f63"};
    static const int winograd[5] = {0, -1, 2, 4, 6};
    int k = 0;
    while (a->conv3x3 && k < 5 && strcmp(a->conv3x3, algos[k])) k++;
    if (k == 5) {
        fprintf(stderr, "vggshuffle %s: --conv3x3 %s: one of auto, direct, f23, f43, f63\n", c->name, a->conv3x3);
        return 2;
    }
    a->winograd = winograd[k];
    static const char *const fcs[3] = {"f32", "bf16", "f16"}; /* vgs_fc_weights 0, 1, 2 */
    while (a->fc_weights && a->fc < 3 && strcmp(a->fc_weights, fcs[a->fc])) a->fc++;
    if (a->fc == 3) {
        fprintf(stderr, "vggshuffle %s: --fc-weights %s: f32, bf16 or f16\n", c->name, a->fc_weights);
        return 2;
    }
    return 0;
}

/* Whether the open stream f is a directory (which fopen opens for reading on Linux: its first
 * read fails with EISDIR); f is rewound, errno set to EISDIR if so. */
static int opened_dir(FILE *f)
{
    char probe;
    const int dir = fread(&probe, 1, 1, f) == 0 && ferror(f);
    rewind(f);
    if (dir) errno = EISDIR;
    return dir;
}

/* n class names, one per line; NULL unless the file has exactly n lines: with a warning for
 * the default file (class ids are printed instead), an error for one the user named (*bad). */
static char **read_labels(const char *path, int n, int named, int *bad)
{
    const char *how = named ? "vggshuffle classify:" : "vggshuffle: warning:";
    const char *then = named ? "" : "; printing class ids";
    *bad = 0;
    FILE *f = fopen(path, "r");
    if (!f || opened_dir(f)) {
        fprintf(stderr, "%s labels %s: %s%s\n", how, path, strerror(errno), then);
        if (f) fclose(f);
        *bad = named;
        return NULL;
    }
    char **l = (char **)calloc((size_t)n + 1, sizeof *l);
    char line[512];
    int count = 0, nomem = !l;
    while (!nomem && count <= n && fgets(line, sizeof line, f)) { /* at most n + 1 lines read */
        line[strcspn(line, "\r\n")] = 0;
        if (count < n && !(l[count] = strdup(line))) nomem = 1;
        count++;
    }
    fclose(f);
    if (nomem || count != n) {
        if (nomem) fprintf(stderr, "%s labels %s: out of memory%s\n", how, path, then);
        else
            fprintf(stderr, "%s labels %s has %s%d lines, the model %d classes%s\n", how, path,
                    count > n ? "more than " : "", count > n ? n : count, n, then);
        *bad = named;
        for (int i = 0; l && i < n; i++) free(l[i]);
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

/* The net on --threads (0: one per core), planned for batches of max_batch images. */
static vgs_net *open_net(const args *a, int max_batch)
{
    vgs_net *net;
    vgs_net_options o;
    memset(&o, 0, sizeof o);
    o.num_threads = a->threads, o.max_batch = max_batch;
    o.winograd = a->winograd, o.fc_weights = a->fc;
    if (vgs_net_create(a->model, a->weights, &o, &net) != VGS_OK) {
        fprintf(stderr, "vggshuffle: %s\n", vgs_last_error());
        return NULL;
    }
    return net;
}

static int cmd_classify(const args *a)
{
    if (a->n_files == 0) return bad_usage("classify: no image given");
    vgs_net *net = open_net(a, 1);
    if (!net) return 1;
    const int nc = vgs_net_num_classes(net);
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    if (a->top > nc) {
        fprintf(stderr, "vggshuffle classify: --top %d: the model has %d classes\n", a->top, nc);
        vgs_net_destroy(net);
        return 2;
    }
    int bad_labels;
    char **labels = read_labels(a->labels, nc, a->labels != a->labels_default, &bad_labels);
    if (bad_labels) {
        vgs_net_destroy(net);
        return 1;
    }
    const char *who = "vggshuffle classify";
    float *x = (float *)alloc_array(who, (size_t)c * h * w, sizeof(float));
    float *logits = (float *)alloc_array(who, (size_t)nc, sizeof(float)), *prob = (float *)alloc_array(who, (size_t)nc, sizeof(float));
    int *top = (int *)alloc_array(who, (size_t)a->top, sizeof(int));
    const int nomem = !x || !logits || !prob || !top;
    int rc = nomem;
    for (int i = 0; !nomem && i < a->n_files; i++) {
        int iw, ih;
        if (image_to_tensor("vggshuffle", net, a->files[i], x, &iw, &ih)) {
            rc = 1;
            continue;
        }
        /* the median of 5 forward passes after one warm-up (page faults of the workspace) */
        double t[5];
        if (vgs_net_forward(net, x, 1, logits, (size_t)nc) != VGS_OK) {
            fprintf(stderr, "%s: %s: %s\n", who, a->files[i], vgs_last_error());
            rc = 1;
            continue;
        }
        for (int r = 0; r < 5; r++) {
            const double t0 = bench_now_ms();
            vgs_net_forward(net, x, 1, logits, (size_t)nc);
            t[r] = bench_now_ms() - t0;
        }
        const double ms = bench_median(t, 5);
        vgs_softmax(logits, (size_t)nc, prob);
        vgs_topk(prob, (size_t)nc, (size_t)a->top, top);
        printf("%s (%dx%d): %s, isa %s, forward %.2f ms (median of 5, %d thread%s)\n", a->files[i], iw, ih, a->model,
               vgs_isa_name(), ms, vgs_net_num_threads(net), vgs_net_num_threads(net) == 1 ? "" : "s");
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
    int dims[4], nc_, hh, ww;
    if (!a->input || !a->output || !a->shape) return bad_usage("run: needs --input, --output and --shape N,C,H,W");
    if (parse_shape(a->shape, dims)) {
        fprintf(stderr, "vggshuffle run: --shape '%s' is not four integers N,C,H,W from 1 to %d\n", a->shape, INT_MAX);
        return 2;
    }
    const int n = dims[0], c = dims[1], h = dims[2], w = dims[3];
    vgs_net *net = open_net(a, n < 16 ? n : 16);
    if (!net) return 1;
    vgs_net_input_shape(net, &nc_, &hh, &ww);
    if (c != nc_ || h != hh || w != ww) {
        fprintf(stderr, "vggshuffle run: --shape %s: the model takes N,%d,%d,%d\n", a->shape, nc_, hh, ww);
        vgs_net_destroy(net);
        return 1;
    }
    /* N * C*H*W values in, N * classes out: C*H*W and classes are the model's, N < 2^31 */
    const size_t ncls = (size_t)vgs_net_num_classes(net);
    size_t count = 0, ny = 0;
    const int too_big = mul_size((size_t)n, (size_t)c * h * w, &count) || mul_size((size_t)n, ncls, &ny);
    FILE *f = too_big ? NULL : fopen(a->input, "rb");
    int open_errno = errno;
    if (f && opened_dir(f)) {
        open_errno = EISDIR;
        fclose(f);
        f = NULL;
    }
    long fsize = -1; /* the input's size, checked before allocating (when it can be known) */
    if (f && fseek(f, 0, SEEK_END) == 0) fsize = ftell(f);
    if (f && fseek(f, 0, SEEK_SET) != 0) fsize = -2;
    const int size_wrong = fsize >= 0 && (count > (size_t)LONG_MAX / sizeof(float) || (size_t)fsize != count * sizeof(float));
    float *x = NULL, *y = NULL;
    if (f && !size_wrong) {
        x = (float *)alloc_array("vggshuffle run", count, sizeof(float));
        y = (float *)alloc_array("vggshuffle run", ny, sizeof(float));
    }
    size_t got = x && y ? fread(x, sizeof(float), count, f) : 0;
    const int extra = x && y && fgetc(f) != EOF;
    if (f) fclose(f);
    int rc = 0;
    if (too_big) {
        fprintf(stderr, "vggshuffle run: --shape %s: too many values for this machine\n", a->shape);
        rc = 1;
    } else if (!f) {
        fprintf(stderr, "vggshuffle run: %s: %s\n", a->input, strerror(open_errno));
        rc = 1;
    } else if (size_wrong) {
        fprintf(stderr, "vggshuffle run: %s: expected exactly %zu float32 values (%s), the file has %ld bytes\n",
                a->input, count, a->shape, fsize);
        rc = 1;
    } else if (!x || !y) {
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
    vgs_net *net = open_net(a, 1);
    if (!net) return 1;
    int c, h, w, rc = 0;
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t img = (size_t)c * h * w;
    float *x = (float *)alloc_array("vggshuffle preprocess", img, sizeof(float));
    FILE *o = x ? fopen(a->output, "wb") : NULL;
    if (!x) {
        rc = 1;
    } else if (!o) {
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
    const char *who = "vggshuffle bench";
    FILE *plot = NULL; /* opened first: a bad path is an error before any work */
    if (a->plot && !(plot = fopen(a->plot, "w"))) {
        fprintf(stderr, "%s: --plot %s: cannot write: %s\n", who, a->plot, strerror(errno));
        return 1;
    }
    vgs_net *net = open_net(a, a->batch);
    if (!net) {
        if (plot) fclose(plot), remove(a->plot);
        return 1;
    }
    const int per_layer = a->layers || plot;
    int c, h, w;
    vgs_net_input_shape(net, &c, &h, &w);
    const size_t n = (size_t)a->batch, ncls = (size_t)vgs_net_num_classes(net), img = (size_t)c * h * w;
    const size_t nl = vgs_net_num_layers(net);
    size_t nx = 0, ny = 0;
    const int too_big = mul_size(n, img, &nx) || mul_size(n, ncls, &ny);
    float *x = too_big ? NULL : (float *)alloc_array(who, nx, sizeof(float));
    float *y = x ? (float *)alloc_array(who, ny, sizeof(float)) : NULL;
    double *t = y ? (double *)alloc_array(who, (size_t)a->runs, sizeof(double)) : NULL;
    double *lms = t && per_layer ? (double *)alloc_array(who, (size_t)a->runs * nl, sizeof(double)) : NULL;
    int rc = !t || (per_layer && !lms);
    if (too_big) fprintf(stderr, "%s: --batch %d: too many values for this machine\n", who, a->batch);
    const layer_peaks pk = per_layer && !rc ? measure_peaks() : (layer_peaks){0.0, 0.0};
    if (!rc) {
        for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 2654435761u) % 256);
        rc = vgs_net_forward(net, x, n, y, ny) != VGS_OK; /* warm-up */
        for (int r = 0; !rc && r < a->runs; r++) {
            const double t0 = bench_now_ms();
            rc = vgs_net_forward(net, x, n, y, ny) != VGS_OK;
            t[r] = bench_now_ms() - t0;
            for (size_t i = 0; lms && i < nl; i++) {
                vgs_layer_info li;
                vgs_net_layer_info(net, i, &li);
                lms[(size_t)r * nl + i] = li.ms;
            }
        }
        if (rc) fprintf(stderr, "%s: %s\n", who, vgs_last_error());
    }
    if (!rc) {
        const int threads = vgs_net_num_threads(net);
        if (a->layers) print_layers(net, a->model, threads, a->batch, lms, a->runs, a->json, pk);
        if (plot && write_roofline_svg(plot, net, a->model, threads, a->batch, lms, a->runs, pk)) {
            fprintf(stderr, "%s: out of memory for the plot\n", who);
            rc = 1;
        }
        qsort(t, (size_t)a->runs, sizeof *t, bench_cmp);
        if (a->json) {
            printf("{\"model\":\"%s\",\"isa\":\"%s\",\"threads\":%d,\"batch\":%zu,\"runs\":%d,\"median_ms\":%.6f,"
                   "\"min_ms\":%.6f,\"max_ms\":%.6f,\"images_per_s\":%.3f,\"workspace_bytes\":%zu,\"memory_bytes\":%zu}\n",
                   a->model, vgs_isa_name(), threads, n, a->runs, t[a->runs / 2], t[0], t[a->runs - 1],
                   1e3 * (double)n / t[a->runs / 2], vgs_net_workspace_size(net), vgs_net_memory_size(net));
        } else {
            printf("%s batch %zu isa %s: median %.3f ms, min %.3f ms, max %.3f ms over %d runs (%d thread%s), "
                   "%.1f images/s, memory %.1f MiB (workspace %.1f MiB)\n", a->model, n, vgs_isa_name(), t[a->runs / 2],
                   t[0], t[a->runs - 1], a->runs, threads, threads == 1 ? "" : "s", 1e3 * (double)n / t[a->runs / 2],
                   vgs_net_memory_size(net) / 1048576.0, vgs_net_workspace_size(net) / 1048576.0);
        }
    }
    if (plot && fclose(plot) != 0 && !rc) {
        fprintf(stderr, "%s: --plot %s: cannot write: %s\n", who, a->plot, strerror(errno));
        rc = 1;
    }
    if (plot && rc) remove(a->plot); /* no partial picture left behind */
    if (plot && !rc && !a->json) printf("roofline written to %s\n", a->plot);
    free(x), free(y), free(t), free(lms);
    vgs_net_destroy(net);
    return rc;
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
        if (k && i == VGS_ISA_AVX512 && vgs_isa_supported(VGS_ISA_AVX512))
            printf("          %s\n", vgs_x86_avx512_halves()
                                        ? "512-bit operations run in two halves here (AMD Zen 4): some shapes go to avx2"
                                        : "512-bit operations run whole here");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return bad_usage("no command given");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) return usage_to(stdout, 0);
    if (!strcmp(cmd, "--version")) {
        printf("vggshuffle %s\n", VGS_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "help")) { /* help [COMMAND] */
        const command *c = argc > 2 ? find_command(argv[2]) : NULL;
        if (argc > 3 || (argc == 3 && !c)) return bad_usage("help: takes at most one COMMAND, one of the above");
        return c ? command_help(c) : usage_to(stdout, 0);
    }
    const command *c = find_command(cmd);
    if (!c) {
        fprintf(stderr, "vggshuffle: unknown command '%s'\n", cmd);
        return usage();
    }
    args a;
    int rc = parse_args(c, argc, argv, &a);
    if (rc == 0 && !a.done) {
        warn_ignored_env();
        if (!strcmp(cmd, "info")) {
            if (select_isa()) printf("(VGS_ISA is not usable here: see above)\n");
            rc = cmd_info();
        } else if (select_isa()) {
            rc = 1;
        } else {
            rc = !strcmp(cmd, "classify") ? cmd_classify(&a) : !strcmp(cmd, "run") ? cmd_run(&a)
               : !strcmp(cmd, "preprocess") ? cmd_preprocess(&a) : cmd_bench(&a);
        }
    }
    free(a.files);
    return rc;
}
