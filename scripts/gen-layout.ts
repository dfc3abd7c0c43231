// Generates formats/layout.generated.ts from bpf/ptrace.h, the one definition
// of the wire layout. The names (structs and their fields, enums and their
// members, #defines) are read from the header; every number (offset, size,
// signedness, value) comes from the C compiler: a small C program is written,
// compiled against the header and run.
//
//   npm run gen:layout            rewrites formats/layout.generated.ts
//   node scripts/gen-layout.ts F  writes to F instead (the staleness test does)
//
// Only this script needs a C compiler; the generated file is committed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HEADER = join(root, 'bpf', 'ptrace.h');
const OUTPUT = join(root, 'formats', 'layout.generated.ts');

/** The struct that holds one record: its members are the head and the payload structs. */
const RECORD_STRUCT = 'pt_event';

interface CMember {
  name: string;
  /** `struct pt_x` member: the struct's name. */
  struct: string | null;
  isArray: boolean;
}

interface HeaderNames {
  /** #define names, string-valued ones apart. */
  defines: string[];
  stringDefines: string[];
  enums: { name: string; members: string[] }[];
  structs: { name: string; members: CMember[] }[];
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** The text between the brace at `open` and its match. */
function braceBody(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`unbalanced braces in ${HEADER}`);
}

function parseMember(decl: string): CMember {
  const m = /^(.*?)\b(\w+)\s*((?:\[[^\]]*\]\s*)*)$/.exec(decl.trim());
  if (!m) throw new Error(`cannot read the struct member "${decl.trim()}" in ${HEADER}`);
  const struct = /^struct\s+(\w+)\s*$/.exec(m[1]!);
  return { name: m[2]!, struct: struct ? struct[1]! : null, isArray: m[3]!.length > 0 };
}

/** Names of everything the header defines (anonymous unions are flattened into their struct, as C does). */
export function headerNames(source: string): HeaderNames {
  const text = stripComments(source);
  const defines: string[] = [];
  const stringDefines: string[] = [];
  for (const m of text.matchAll(/^#define\s+(PT_\w+)[ \t]+(\S.*)$/gm)) {
    (m[2]!.startsWith('"') ? stringDefines : defines).push(m[1]!);
  }
  const enums: HeaderNames['enums'] = [];
  for (const m of text.matchAll(/\benum\s+(\w+)\s*\{/g)) {
    const body = braceBody(text, m.index + m[0].length - 1);
    const members = body
      .split(',')
      .map((s) => s.split('=')[0]!.trim())
      .filter((s) => s.length > 0);
    enums.push({ name: m[1]!, members });
  }
  const structs: HeaderNames['structs'] = [];
  for (const m of text.matchAll(/\bstruct\s+(\w+)\s*\{/g)) {
    const body = braceBody(text, m.index + m[0].length - 1).replace(/\bunion\s*\{|\}/g, ' ');
    const members = body
      .split(';')
      .filter((d) => d.trim().length > 0)
      .map(parseMember);
    structs.push({ name: m[1]!, members });
  }
  return { defines, stringDefines, enums, structs };
}

/** The C program printing one line per number: D name value | E enum name value | S struct size base | F struct field off size signed | M name hex. */
function cProgram(names: HeaderNames): string {
  const record = names.structs.find((s) => s.name === RECORD_STRUCT);
  if (!record) throw new Error(`${HEADER} has no struct ${RECORD_STRUCT}`);
  const inRecord = new Map(record.members.filter((m) => m.struct !== null).map((m) => [m.struct!, m.name]));
  const lines: string[] = [];
  for (const d of names.stringDefines) {
    lines.push(
      `{ const char s[] = ${d}; printf("M ${d} "); for (size_t i = 0; i + 1 < sizeof(s); i++) printf("%02x", (unsigned char)s[i]); printf("\\n"); }`,
    );
  }
  for (const d of names.defines) lines.push(`printf("D ${d} %lld\\n", (long long)(${d}));`);
  for (const e of names.enums) {
    for (const m of e.members) lines.push(`printf("E ${e.name} ${m} %lld\\n", (long long)(${m}));`);
  }
  for (const s of names.structs) {
    // Payload structs: offsets from the record start; any other struct: from its own start.
    const member = inRecord.get(s.name);
    const container = member ? `struct ${RECORD_STRUCT}` : `struct ${s.name}`;
    const path = member ? `${member}.` : '';
    const base = member ? `offsetof(struct ${RECORD_STRUCT}, ${member})` : '0';
    lines.push(`printf("S ${s.name} %zu %zu\\n", sizeof(struct ${s.name}), (size_t)(${base}));`);
    for (const f of s.members) {
      const scalar = !f.isArray && f.struct === null;
      const signed = scalar ? `IS_SIGNED(struct ${s.name}, ${f.name})` : '0';
      lines.push(
        `printf("F ${s.name} ${f.name} %zu %zu %d\\n", offsetof(${container}, ${path}${f.name}), SIZEOF_MEMBER(struct ${s.name}, ${f.name}), ${signed});`,
      );
    }
  }
  return `#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include ${JSON.stringify(HEADER)}
#define SIZEOF_MEMBER(T, m) sizeof(((T *)0)->m)
#define IS_SIGNED(T, m) (((__typeof__(((T *)0)->m))-1 > (__typeof__(((T *)0)->m))0) ? 0 : 1)
int main(void)
{
${lines.map((l) => `\t${l}`).join('\n')}
\treturn 0;
}
`;
}

function compileAndRun(program: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-gen-layout-'));
  try {
    const source = join(dir, 'layout.c');
    const exe = join(dir, 'layout');
    writeFileSync(source, program);
    execFileSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, source], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return execFileSync(exe, { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CStruct {
  size: number;
  base: number;
  fields: [string, { off: number; size: number; signed: boolean }][];
}

/** Every member found must tile the struct: a member the parser missed shows as a gap. */
function checkTiling(name: string, s: CStruct): void {
  if (name === RECORD_STRUCT) return; // a union: its members overlap
  const own = s.fields.map(([, f]) => f.size).reduce((a, b) => a + b, 0);
  if (own !== s.size)
    throw new Error(
      `struct ${name}: members found add up to ${own} bytes, sizeof is ${s.size} (a member not read from ${HEADER}, or implicit padding)`,
    );
}

function render(output: string): string {
  const strings: string[] = [];
  const defines: string[] = [];
  const enums = new Map<string, [string, number][]>();
  const structs = new Map<string, CStruct>();
  for (const line of output.trim().split('\n')) {
    const [tag, ...w] = line.split(' ');
    if (tag === 'M')
      strings.push(`export const ${w[0]} = ${JSON.stringify(Buffer.from(w[1]!, 'hex').toString('latin1'))};`);
    else if (tag === 'D') defines.push(`export const ${w[0]} = ${w[1]};`);
    else if (tag === 'E') enums.set(w[0]!, [...(enums.get(w[0]!) ?? []), [w[1]!, Number(w[2])]]);
    else if (tag === 'S') structs.set(w[0]!, { size: Number(w[1]), base: Number(w[2]), fields: [] });
    else if (tag === 'F')
      structs.get(w[0]!)!.fields.push([w[1]!, { off: Number(w[2]), size: Number(w[3]), signed: w[4] === '1' }]);
    else throw new Error(`unexpected line from the layout program: ${line}`);
  }
  const out: string[] = [
    '// Generated by scripts/gen-layout.ts (npm run gen:layout) from bpf/ptrace.h',
    '// with the C compiler. Do not edit: change the header and regenerate.',
    '// test/formats/layout.test.ts fails when this file is stale.',
    '',
    ...strings,
    ...defines,
  ];
  for (const [name, members] of enums) {
    const prefix = commonPrefix(members.map(([m]) => m));
    out.push('', `/** enum ${name} */`, `export const ${name} = {`);
    for (const [m, v] of members) out.push(`  ${m.slice(prefix.length)}: ${v},`);
    out.push('} as const;');
  }
  for (const [name, s] of structs) {
    checkTiling(name, s);
    const from = s.base === 0 && name !== 'pt_head' ? 'its own start' : 'the record start';
    out.push('', `/** struct ${name}: ${s.size} bytes; field offsets from ${from}. */`, `export const ${name} = {`);
    for (const [f, d] of s.fields) out.push(`  ${f}: ${d.off},`);
    out.push('} as const;');
  }
  out.push(
    '',
    "/** Every struct: size, offset in its record (0 for the others), and each field's offset, size and signedness. */",
  );
  out.push('export const STRUCTS = {');
  for (const [name, s] of structs) {
    out.push(`  ${name}: {`, `    size: ${s.size},`, `    base: ${s.base},`, '    fields: {');
    for (const [f, d] of s.fields) out.push(`      ${f}: { off: ${d.off}, size: ${d.size}, signed: ${d.signed} },`);
    out.push('    },', '  },');
  }
  out.push('} as const;', '');
  return out.join('\n');
}

/** The longest prefix ending in '_' shared by every name (PT_TCP_CONNECTED, PT_TCP_FAILED → PT_TCP_). */
function commonPrefix(names: string[]): string {
  let prefix = names[0]!.slice(0, names[0]!.lastIndexOf('_') + 1);
  while (prefix.length > 0 && !names.every((n) => n.startsWith(prefix) && n.length > prefix.length)) {
    prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('_') + 1);
  }
  return prefix;
}

/** The text of formats/layout.generated.ts for the header as it is now. */
export function generateLayout(): string {
  return render(compileAndRun(cProgram(headerNames(readFileSync(HEADER, 'utf8')))));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    writeFileSync(process.argv[2] ?? OUTPUT, generateLayout());
  } catch (err) {
    process.stderr.write(`gen-layout: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
