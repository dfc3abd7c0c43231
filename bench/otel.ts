// `ptrace otel` throughput on a synthetic make-like build (testkit/writer.ts):
//   node bench/otel.ts [--spans N] [--runs N]
// 1. --dump-otel: the real CLI (`node bin/ptrace.js otel big.raw --dump-otel
//    FILE`), end to end (start-up, reading the raw file, model, spans,
//    OTLP/JSON, atomic write with fsync); best and median of the runs, plus
//    an in-process split of the phases. Target: 100,000 spans in < 3 s.
// 2. Upload: the CLI sending to an OTLP/HTTP receiver on 127.0.0.1 (in this
//    process, draining bodies and answering 200), protobuf and JSON, with and
//    without gzip; spans/s over the upload itself (from the CLI's summary)
//    and end to end.

import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTrace } from '../analyze/otel/build.ts';
import { encodeProtobuf, jsonDocumentChunks, loadSerializers, slices, views } from '../analyze/otel/encode.ts';
import { buildResource } from '../analyze/otel/resource.ts';
import { load } from '../analyze/replay/load.ts';
import { writeBigBuild } from '../testkit/otel/synthetic.ts';

const { values } = parseArgs({
  options: { spans: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } },
});
const wantSpans = Number(values.spans);
const runs = Number(values.runs);
const BIN = fileURLToPath(new URL('../bin/ptrace.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-otel-'));
const raw = join(dir, 'big.raw');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const MB = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function cli(args: string[]): Promise<{ ms: number; code: number; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
    const p = spawn(process.execPath, [BIN, 'otel', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ ms: performance.now() - started, code: code ?? 1, stderr }));
  });
}

// ---- synthesize
let t = performance.now();
const fd = openSync(raw, 'w');
const { spans } = writeBigBuild(fd, Math.max(1, Math.round((wantSpans - 2) / 2)));
closeSync(fd);
console.log(
  `synthetic capture: ${spans.toLocaleString('en-US')} spans, raw file ${MB(statSync(raw).size)}, written in ${fmtS(performance.now() - t)}`,
);

// ---- --dump-otel, end to end
const out = join(dir, 'trace.json');
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const r = await cli([raw, '--dump-otel', out, '--force', '--quiet']);
  if (r.code !== 0) throw new Error(`ptrace otel failed: ${r.stderr}`);
  times.push(r.ms);
}
const best = Math.min(...times);
console.log(
  `--dump-otel (CLI, end to end): best ${fmtS(best)}, median ${fmtS(median(times))} over ${runs} runs ` +
    `→ ${Math.round(spans / (best / 1000)).toLocaleString('en-US')} spans/s, OTLP/JSON ${MB(statSync(out).size)}` +
    `  [target: 100,000 spans < 3 s: ${spans >= 100_000 && best < 3000 ? 'met' : spans >= 100_000 ? 'NOT met' : 'n/a'}]`,
);

// ---- in-process phases
t = performance.now();
const lap = (): string => {
  const now = performance.now();
  const s = fmtS(now - t);
  t = now;
  return s;
};
const loaded = load(raw);
const tLoad = lap();
const trace = buildTrace(loaded);
const tBuild = lap(); // skeletons only: attributes are made while encoding
const resource = { attributes: buildResource(loaded.header, { env: {}, warn: () => {}, ptraceVersion: '0.1.0' }) };
const scope = { name: 'ptrace', version: '0.1.0' };
await loadSerializers();
let jsonBytes = 0;
for (const c of jsonDocumentChunks(trace.spans(), resource, scope)) jsonBytes += c.length;
const tJson = lap();
let pbBytes = 0;
for (const batch of slices(trace.spans(), 512)) pbBytes += encodeProtobuf(views(batch, resource, scope)).length;
const tPb = lap();
console.log(
  `phases (in process): read + model ${tLoad}, span tree ${tBuild}, attributes + OTLP/JSON ${tJson} (${MB(jsonBytes)}), ` +
    `attributes + protobuf in batches of 512 ${tPb} (${MB(pbBytes)})`,
);

// ---- upload to a loopback receiver
let received = 0;
let requests = 0;
const server = http.createServer((req, res) => {
  req.on('data', (c: Buffer) => (received += c.length));
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
    res.end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
for (const [label, extra] of [
  ['http/protobuf', []],
  ['http/protobuf + gzip', ['--compression', 'gzip']],
  ['http/json', ['--protocol', 'http/json']],
  ['http/protobuf, batches of 4096', ['--batch-size', '4096']],
] as const) {
  received = 0;
  requests = 0;
  const r = await cli([raw, '--endpoint', url, ...extra]);
  if (r.code !== 0) throw new Error(`upload failed: ${r.stderr}`);
  const m = /in (\d+(?:\.\d+)?)(ms|s) \(/.exec(r.stderr);
  const uploadMs = m === null ? NaN : Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  console.log(
    `upload ${label}: ${requests} requests, ${MB(received)} sent; upload ${fmtS(uploadMs)} → ` +
      `${Math.round(spans / (uploadMs / 1000)).toLocaleString('en-US')} spans/s; end to end ${fmtS(r.ms)}`,
  );
}
await new Promise<void>((r) => server.close(() => r()));
rmSync(dir, { recursive: true, force: true });
