#!/usr/bin/env node
// tools/ort_profile.js MODEL.onnx [--threads T] [--runs R] — where ONNX Runtime's time goes, per
// node: its CPU provider (settings as ../shared/peers/bench_ort.js: graph optimization 'all', T
// intra-op threads, sequential) with profiling on, R runs (default 200; the first quarter
// dropped as warm-up), on MODEL.in.f32 beside the model when it fits, else a fixed
// pseudo-random input.  Prints each node's median kernel time in run order (us, op, name), then
// the sums per op type, to set against `vggshuffle bench --layers` of the same model measured
// right after (this VM's speed drifts: compare kinds in one sitting, not across minutes).
// Profiling adds a few us to every node, so the many small layout nodes (Reorder*, Transpose,
// Concat, Split, Reshape) weigh more here than in an unprofiled run.
// onnxruntime-node from $VGS_PEERS_DIR/node_modules (default ~/.cache/vgs-peers;
// ../shared/peers/setup.sh installs it).
'use strict';
const fs = require('fs'), os = require('os'), path = require('path');
const usage = 'usage: ort_profile.js MODEL.onnx [--threads T] [--runs R]';
function fail(msg) { console.error(`ort_profile: ${msg}`); process.exit(1); }
const opt = { threads: 1, runs: 200 };
let model = null;
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '-h' || a === '--help') { console.log(usage); process.exit(0); }
  if (a.startsWith('--')) {
    const k = a.slice(2), v = Number(process.argv[++i]);
    if (!(k in opt)) fail(`unknown option ${a}\n${usage}`);
    if (!Number.isInteger(v) || v < 1) fail(`${a} needs a positive integer`);
    opt[k] = v;
  } else if (model === null) model = a;
  else fail(`unexpected argument ${a}\n${usage}`);
}
if (model === null) fail(usage);
if (!fs.existsSync(model)) fail(`${model}: no such file`);
const dir = process.env.VGS_PEERS_DIR || path.join(os.homedir(), '.cache', 'vgs-peers');
let ort;
try {
  ort = require(path.join(dir, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  fail(`cannot load onnxruntime-node from ${dir}/node_modules (run ../shared/peers/setup.sh): ${e.message.split('\n')[0]}`);
}
const median = (s) => { s = s.slice().sort((a, b) => a - b); const n = s.length; return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2; };

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ort_profile-'));
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: opt.threads,
    interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3, enableProfiling: true,
    profileFilePrefix: path.join(tmp, 'profile') });
  const meta = sess.inputMetadata && sess.inputMetadata[0];
  const shape = meta && meta.shape && meta.shape.length ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 224, 224];
  const count = shape.reduce((a, b) => a * b, 1);
  const stem = model.replace(/\.onnx$/, '');
  let data = null;
  if (fs.existsSync(stem + '.in.f32')) {
    const b = fs.readFileSync(stem + '.in.f32');
    if (b.length === 4 * count) data = new Float32Array(b.buffer, b.byteOffset, count);
  }
  if (data === null) {
    data = new Float32Array(count);
    for (let i = 0, s = 12345; i < count; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = s / 2 ** 31 - 1; }
  }
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < opt.runs; i++) await sess.run(feeds);
  await sess.endProfiling();
  const file = fs.readdirSync(tmp).find((f) => f.endsWith('.json'));
  if (!file) fail('ONNX Runtime wrote no profile');
  const events = JSON.parse(fs.readFileSync(path.join(tmp, file), 'utf8'));
  fs.rmSync(tmp, { recursive: true, force: true });
  const times = new Map(), ops = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const n = e.name.slice(0, -'_kernel_time'.length);
    if (!times.has(n)) times.set(n, []);
    times.get(n).push(e.dur);
    ops.set(n, e.args && e.args.op_name);
  }
  const skip = Math.floor(opt.runs / 4), kinds = new Map();
  let total = 0;
  console.log(`# ${path.basename(model)}: ONNX Runtime ${opt.threads} thread(s), median of runs ${skip + 1}..${opt.runs} per node (us)`);
  for (const [n, t] of times) {
    const m = median(t.length > skip ? t.slice(skip) : t);
    total += m;
    kinds.set(ops.get(n), (kinds.get(ops.get(n)) || 0) + m);
    console.log(`${m.toFixed(1).padStart(9)}  ${String(ops.get(n)).padEnd(14)} ${n}`);
  }
  console.log(`# per op type (us), sum of the node medians ${total.toFixed(1)}`);
  for (const [k, v] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`${v.toFixed(1).padStart(9)}  ${k}`);
})().catch((e) => fail(e.message));
