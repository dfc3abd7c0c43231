// An independent reading of protobuf files: `protoc --decode` (against a .proto)
// or `protoc --decode_raw` turns the bytes into protobuf text format, and
// parseProtoText reads that text into plain objects. Nothing here shares code
// with the protobufjs encoder that wrote the bytes.

import { spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

/** A message as text format gives it: every field a list of values (scalars as strings, messages as objects). */
export interface TextMessage {
  [field: string]: (string | TextMessage)[];
}

function protocArgs(proto: string | null, type: string | null): string[] {
  if (proto === null) return ['--decode_raw'];
  return [`--proto_path=${dirname(proto)}`, `--decode=${type}`, proto.slice(dirname(proto).length + 1)];
}

/** `protoc --decode=TYPE PROTO < file` (or `--decode_raw` when proto is null), parsed. */
export function protocDecode(file: string, proto: string | null, type: string | null = null): TextMessage {
  const r = spawnSync('protoc', protocArgs(proto, type), {
    stdio: [openSync(file, 'r'), 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
    encoding: 'latin1', // text format escapes non-ASCII bytes; keep every byte as one char
  });
  if (r.status !== 0) throw new Error(`protoc failed (${r.status}): ${r.stderr}`);
  return parseProtoText(r.stdout);
}

/** Streams protoc's text lines to `line` (for outputs too big to hold); resolves with protoc's exit code. */
export function protocLines(
  file: string,
  proto: string | null,
  type: string | null,
  line: (text: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('protoc', protocArgs(proto, type), { stdio: [openSync(file, 'r'), 'pipe', 'inherit'] });
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', line);
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92, a: 7, b: 8, f: 12, v: 11 };

/** A text-format string literal (without its quotes) → its bytes, decoded as UTF-8. */
export function unescapeProtoString(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      bytes.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const next = s[++i]!;
    if (next >= '0' && next <= '7') {
      let octal = next;
      while (octal.length < 3 && s[i + 1]! >= '0' && s[i + 1]! <= '7') octal += s[++i];
      bytes.push(Number.parseInt(octal, 8));
    } else if (next === 'x') {
      let hex = '';
      while (hex.length < 2 && /[0-9a-fA-F]/.test(s[i + 1] ?? '')) hex += s[++i];
      bytes.push(Number.parseInt(hex, 16));
    } else bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** protoc's text output → nested objects (iterative: the nesting of the data does not reach the stack). */
export function parseProtoText(text: string): TextMessage {
  const root: TextMessage = {};
  const stack: TextMessage[] = [root];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const top = stack[stack.length - 1]!;
    if (line === '}') {
      stack.pop();
      continue;
    }
    if (line.endsWith(' {')) {
      const child: TextMessage = {};
      (top[line.slice(0, -2)] ??= []).push(child);
      stack.push(child);
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon < 0) throw new Error(`unexpected text-format line: ${line}`);
    const name = line.slice(0, colon);
    let value = line.slice(colon + 2);
    if (value.startsWith('"')) value = unescapeProtoString(value.slice(1, -1));
    (top[name] ??= []).push(value);
  }
  if (stack.length !== 1) throw new Error('unbalanced text format');
  return root;
}

/** The one value of a field (undefined when absent). */
export function one(m: TextMessage, field: string): string | undefined {
  const v = m[field]?.[0];
  if (v !== undefined && typeof v !== 'string') throw new Error(`${field} is a message`);
  return v;
}

/** The one sub-message of a field (undefined when absent). */
export function sub(m: TextMessage, field: string): TextMessage | undefined {
  const v = m[field]?.[0];
  if (v !== undefined && typeof v === 'string') throw new Error(`${field} is a scalar`);
  return v;
}
