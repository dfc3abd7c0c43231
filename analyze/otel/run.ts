// `ptrace otel`: everything between the parsed flags and the outputs, so the
// command stays thin and the benchmark can drive the same code.

import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { UserError } from '../../formats/errors.ts';
import { terminalText } from '../format.ts';
import { checkOutput, printWarnings, secretsAwareMode, writeError, writeFileAtomic } from '../output.ts';
import { load } from '../replay/load.ts';
import type { Redactor } from '../secrets/redactor.ts';
import { type BuiltTrace, buildTrace } from './build.ts';
import { type ExporterConfig, type ExporterFlags, resolveExporter } from './config.ts';
import { jsonDocumentChunks, loadSerializers } from './encode.ts';
import { type CompiledAttribute, compileAttribute } from './expr.ts';
import { parseTraceIdFlag } from './ids.ts';
import { buildResource } from './resource.ts';
import type { InstrumentationScope, Resource } from './span.ts';
import { formatMs, type UploadResult, upload } from './upload.ts';

export interface OtelOptions extends ExporterFlags {
  file: string;
  /** FILE, or - for stdout. */
  dump?: string;
  force?: boolean;
  serviceName?: string;
  traceId?: string;
  attributes?: string[];
  /** --env values (comma-separated lists). */
  env?: string[];
  quiet?: boolean;
  version: string;
  /** The replaying process's environment. */
  environ: NodeJS.ProcessEnv;
  /** stderr lines (without the `ptrace: ` prefix). */
  log?: (line: string) => void;
  /** Secrets replaced in everything exported (spans, attributes, what -a sees); null or absent: as captured. */
  redact?: Redactor | null;
}

export interface OtelResult {
  trace: BuiltTrace;
  upload: UploadResult | null;
}

/** --env NAME,... → names (validated). */
export function parseEnvNames(values: readonly string[] | undefined): string[] {
  const names: string[] = [];
  for (const v of values ?? []) {
    for (const raw of v.split(',')) {
      const n = raw.trim();
      if (n === '') continue;
      if (n.includes('=') || /[\s\0]/.test(n)) throw new UserError(`bad --env name "${n}": expected NAME[,NAME...]`);
      if (!names.includes(n)) names.push(n);
    }
  }
  return names;
}

/** An existing path that is not a regular file (a FIFO, /dev/stdout, /dev/null): written in place, never renamed over. */
function isSpecialFile(path: string): boolean {
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

function writeToDevice(path: string, chunks: Iterable<Buffer>): void {
  try {
    const fd = openSync(path, 'w');
    try {
      for (const buf of chunks) {
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      }
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw writeError(path, err);
  }
}

let stdoutBroken = false;
let epipeHandler = false;

/** Whether a --dump-otel - reader went away (the caller then exits without flushing stdout, which would wait forever). */
export function stdoutWasBroken(): boolean {
  return stdoutBroken;
}

/** Writes to stdout with back-pressure; a reader that goes away (EPIPE: `| head`) just ends the output. */
async function writeStdoutChunks(chunks: Iterable<Buffer>): Promise<void> {
  if (!epipeHandler) {
    epipeHandler = true;
    // Stays installed: writes still queued when the pipe breaks fail later.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      stdoutBroken = true;
    });
  }
  const out = process.stdout;
  for (const c of chunks) {
    if (stdoutBroken || out.destroyed) return;
    if (!out.write(c) && !out.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.stdout.off('drain', done).off('close', done).off('error', done);
          resolve();
        };
        process.stdout.on('drain', done).on('close', done).on('error', done);
      });
    }
  }
}

export async function runOtel(o: OtelOptions): Promise<OtelResult> {
  await loadSerializers();
  // Lines can hold a server's error text: through terminalText like every other untrusted string.
  const log = o.log ?? ((line: string) => process.stderr.write(`ptrace: ${terminalText(line)}\n`));
  const warn = (m: string): void => log(`warning: ${m}`);

  // Everything that can be wrong with the flags is reported before the file is read.
  const traceId = o.traceId === undefined ? undefined : parseTraceIdFlag(o.traceId);
  const attributes: CompiledAttribute[] = (o.attributes ?? []).map(compileAttribute);
  const seen = new Set<string>();
  for (const a of attributes) {
    if (seen.has(a.name)) throw new UserError(`--attribute ${a.name} is given twice`);
    seen.add(a.name);
  }
  const envNames = parseEnvNames(o.env);
  const exporter: ExporterConfig | null = resolveExporter(o, o.environ, warn);
  if (o.dump === undefined && exporter === null) {
    throw new UserError(
      'nothing to do: give --dump-otel FILE (or -) and/or --endpoint URL (or set OTEL_EXPORTER_OTLP_ENDPOINT)',
    );
  }
  const dumpToDevice = o.dump !== undefined && o.dump !== '-' && isSpecialFile(o.dump);
  if (o.dump !== undefined && o.dump !== '-' && !dumpToDevice) checkOutput(o.dump, o.force ?? false);

  const loaded = load(o.file, { env: envNames.length > 0 || attributes.some((a) => a.usesEnv), redact: o.redact });
  printWarnings(loaded.warnings);
  const trace = buildTrace(loaded, { traceId, attributes, envNames, warn });
  const attributeWarnings = (): void => {
    for (const a of attributes) {
      if (a.errors > 0) warn(`--attribute ${a.name}: no value on ${a.errors} span(s): ${a.firstError}`);
      a.errors = 0;
    }
  };
  const resource: Resource = {
    attributes: buildResource(loaded.header, {
      serviceName: o.serviceName,
      env: o.environ,
      warn,
      ptraceVersion: o.version,
    }),
  };
  const scope: InstrumentationScope = { name: 'ptrace', version: o.version };

  // With both outputs, make the spans once (same spans, -a evaluated once); else stream them.
  const spans = o.dump !== undefined && exporter !== null ? [...trace.spans()] : null;
  if (o.dump !== undefined) {
    const chunks = jsonDocumentChunks(spans ?? trace.spans(), resource, scope);
    if (o.dump === '-') await writeStdoutChunks(chunks);
    else if (dumpToDevice) writeToDevice(o.dump, chunks);
    else {
      const mode = secretsAwareMode(o.file, o.dump, (o.redact ?? null) !== null);
      writeFileAtomic(o.dump, o.force ?? false, mode, (put) => {
        for (const c of chunks) put(c);
      });
      if (!o.quiet) log(`wrote ${trace.spanCount} spans of trace ${trace.traceId} to ${o.dump}`);
    }
    attributeWarnings();
  }

  let sent: UploadResult | null = null;
  if (exporter !== null) {
    try {
      sent = await upload(spans ?? trace.spans(), trace.spanCount, resource, scope, exporter, {
        log,
        userAgent: `ptrace/${o.version}`,
      });
    } finally {
      attributeWarnings();
    }
    if (!o.quiet) {
      const retries = sent.retries === 0 ? '' : `, ${sent.retries} ${sent.retries === 1 ? 'retry' : 'retries'}`;
      log(
        `sent ${sent.spans} spans of trace ${trace.traceId} in ${sent.batches} ${sent.batches === 1 ? 'batch' : 'batches'} ` +
          `to ${exporter.url.href} in ${formatMs(sent.elapsedMs)} (${exporter.protocol}${exporter.compression === 'gzip' ? ', gzip' : ''}${retries})`,
      );
    }
  }
  return { trace, upload: sent };
}
