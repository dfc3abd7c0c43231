// A model with its secrets replaced: what every view that redacts works on
// (tree, stats, export, otel, db). Every string that came from the capture
// goes through the redactor: argv as command lines, environment values by
// name, the capture's own command lines, and paths, names and addresses as
// text. Numbers and times are untouched, so the redacted model has the same
// rows, counts and tree as the original. Pure: the model is not modified.

import type { CaptureHeader } from '../../formats/types.ts';
import type { EnvVarRow } from '../replay/env.ts';
import type { ExecRow, MetaValue, Model, OpenRow } from '../replay/model.ts';
import type { Redactor } from './redactor.ts';

/** argv blob (every argument followed by one NUL; a cut last one without) with its secrets replaced; the same Buffer when none. */
export function redactArgvBlob(blob: Buffer, r: Redactor): Buffer {
  if (blob.length === 0) return blob;
  const cut = blob[blob.length - 1] !== 0;
  const args = blob.toString('utf8').split('\0');
  if (!cut) args.pop();
  const out = r.argv(args);
  if (out.every((a, i) => a === args[i])) return blob;
  return Buffer.from(out.join('\0') + (cut ? '' : '\0'), 'utf8');
}

function redactEnvVar(v: EnvVarRow, r: Redactor): EnvVarRow {
  if (v.raw !== null) {
    // Not valid UTF-8, or no `=`: the bytes are what views show.
    const text = v.raw.toString('utf8');
    const eq = text.indexOf('=');
    const shown = eq < 0 ? r.text(text) : `${text.slice(0, eq)}=${r.envValue(text.slice(0, eq), text.slice(eq + 1))}`;
    if (shown === text) return v;
    const value = v.value === null ? null : eq < 0 ? r.text(v.value) : r.envValue(v.name, v.value);
    return { ...v, value, raw: Buffer.from(shown, 'utf8') };
  }
  if (v.value === null) return v;
  const value = r.envValue(v.name, v.value);
  return value === v.value ? v : { ...v, value };
}

function redactExec(e: ExecRow, r: Redactor): ExecRow {
  const argv = redactArgvBlob(e.argv, r);
  const exe = r.text(e.exe);
  const filename = r.text(e.filename);
  const interp = e.interp === null ? null : r.text(e.interp);
  const cwd = r.text(e.cwd);
  const comm = r.text(e.comm);
  if (
    argv === e.argv &&
    exe === e.exe &&
    filename === e.filename &&
    interp === e.interp &&
    cwd === e.cwd &&
    comm === e.comm
  ) {
    return e;
  }
  return { ...e, argv, exe, filename, interp, cwd, comm };
}

function redactHeader(h: CaptureHeader, r: Redactor): CaptureHeader {
  return {
    ...h,
    captureArgv: r.argv(h.captureArgv),
    commandArgv: r.argv(h.commandArgv),
    hostname: r.text(h.hostname),
    traceparent: r.text(h.traceparent),
  };
}

function redactMeta(meta: readonly [string, MetaValue][], h: CaptureHeader, r: Redactor): [string, MetaValue][] {
  return meta.map(([k, v]): [string, MetaValue] => {
    if (k === 'capture.argv') return [k, JSON.stringify(h.captureArgv)];
    if (k === 'capture.command') return [k, JSON.stringify(h.commandArgv)];
    if (k === 'host.hostname') return [k, h.hostname];
    if (k === 'capture.traceparent') return [k, h.traceparent];
    return [k, typeof v === 'string' ? r.text(v) : v];
  });
}

/** `m` with every secret in its strings replaced by `r`'s markers. */
/** An open row with its secrets replaced (also for rows streamed past the model: ModelOptions.streamOpens). */
export function redactOpen(o: OpenRow, r: Redactor): OpenRow {
  const path = r.text(o.path);
  const resolved = o.resolved === null ? null : r.text(o.resolved);
  return path === o.path && resolved === o.resolved ? o : { ...o, path, resolved };
}

export function redactModel(m: Model, r: Redactor): Model {
  const header = redactHeader(m.source.header, r);
  const text = (s: string): string => r.text(s);
  const textOrNull = (s: string | null): string | null => (s === null ? null : r.text(s));
  return {
    ...m,
    source: { ...m.source, path: r.text(m.source.path), header },
    meta: redactMeta(m.meta, header, r),
    processes: m.processes.map((p) => {
      const comm = textOrNull(p.comm);
      return comm === p.comm ? p : { ...p, comm };
    }),
    execs: m.execs.map((e) => redactExec(e, r)),
    execFailures: m.execFailures.map((f) => {
      const path = text(f.path);
      return path === f.path ? f : { ...f, path };
    }),
    envVars: m.envVars.map((v) => redactEnvVar(v, r)),
    opens: m.opens.map((o) => redactOpen(o, r)),
    connections: m.connections.map((c) => {
      const peerName = textOrNull(c.peerName);
      return peerName === c.peerName ? c : { ...c, peerName };
    }),
    dnsLookups: m.dnsLookups.map((l) => {
      const name = text(l.name);
      return name === l.name ? l : { ...l, name };
    }),
    dnsQueries: m.dnsQueries.map((q) => {
      const name = text(q.name);
      const answers = q.answers.map(text);
      if (name === q.name && answers.every((a, i) => a === q.answers[i])) return q;
      // The wire messages hold the name as it was: dropped with it.
      return { ...q, name, answers, query: null, reply: null };
    }),
  };
}
