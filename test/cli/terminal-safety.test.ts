// No text renderer lets a control, format or bidi character from a raw file
// reach the terminal; JSON outputs keep every string exact.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { shellQuote, terminalText } from '../../analyze/format.ts';
import { HOSTILE_STRINGS, hostileScenario } from '../../testkit/synth.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin/ptrace.js');
const work = mkdtempSync(join(tmpdir(), 'ptrace-hostile-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const raw = join(work, 'hostile.raw');
writeFileSync(raw, hostileScenario().buffer());

/** What must never reach a terminal (defined here independently of the code under test): C0 but LF, DEL, C1, bidi and invisible format characters, line separators. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN =
  /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;
/** The renderer's own colours (SGR) are the only escape sequences allowed with colour on. */
// eslint-disable-next-line no-control-regex
const OWN_COLOURS = /\x1b\[[0-9;]*m/g;

function offending(text: string): string | null {
  const m = FORBIDDEN.exec(text);
  if (m === null) return null;
  return JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 40));
}

function ptrace(args: string[], color: boolean): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: color ? '' : '1', FORCE_COLOR: color ? '1' : '' },
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('terminalText shows every control, format and bidi character as an escape; safe text is unchanged', (t) => {
  for (const s of HOSTILE_STRINGS) {
    const shown = terminalText(s);
    t.is(offending(shown), null, JSON.stringify(s));
    t.false(shown.includes('\n'), 'one line');
    t.is(offending(shellQuote(s)), null);
    t.false(shellQuote(s).includes('\n'));
  }
  t.is(terminalText('\x1b[2J'), '\\x1b[2J');
  t.is(terminalText('a\nb\tc\rd'), 'a\\nb\\tc\\rd');
  t.is(terminalText('x\u202ey\u009bz'), 'x\\u202ey\\x9bz');
  t.is(terminalText('tag\u{e0041}'), 'tag\\U000e0041');
  t.is(terminalText('plain ünïcødé → ✓ 漢字 \ufffd'), 'plain ünïcødé → ✓ 漢字 \ufffd');
  t.is(shellQuote('rtl\u202e'), "$'rtl\\u202e'");
  t.is(shellQuote("it's\x1b"), "$'it\\'s\\x1b'");
  t.is(shellQuote("it's"), `'it'\\''s'`);
});

// Every text renderer and flag family, without and with colour.
const TEXT_RUNS: string[][] = [
  ['info', 'hostile.raw'],
  ['tree', 'hostile.raw'],
  ['tree', 'hostile.raw', '--full'],
  ['tree', 'hostile.raw', '--env', '--files', '--net', '--resources'],
  ['tree', 'hostile.raw', '--env', '--files', '--net', '--full'],
  ['tree', 'hostile.raw', '--dedup', '--env', '--files', '--net'],
  ['tree', 'hostile.raw', '--failed', '--depth', '1'],
  ['stats', 'hostile.raw'],
];

// The same over the committed real capture (samples/hostile.raw, from samples/hostile.c).
const SAMPLE = join(root, 'samples/hostile.raw');
for (const args of [...TEXT_RUNS]) TEXT_RUNS.push([args[0]!, SAMPLE, ...args.slice(2)]);

for (const color of [false, true]) {
  for (const args of TEXT_RUNS) {
    test(`${args.join(' ').replace(`${root}/`, '')}${color ? ' (FORCE_COLOR)' : ''}: no control, format or bidi character reaches the terminal`, (t) => {
      const r = ptrace(args, color);
      t.is(r.code, 0, r.stderr);
      const out = color ? r.stdout.replace(OWN_COLOURS, '') : r.stdout;
      t.is(offending(out), null, 'stdout');
      t.is(offending(r.stderr.replace(OWN_COLOURS, '')), null, 'stderr');
      if (!color) t.false(r.stdout.includes('\x1b'), 'no colour codes without colour');
      t.true(r.stdout.length > 200);
    });
  }
}

test('the escapes show what the strings hold: tree --env --files --net names each hostile string in escaped form', (t) => {
  const out = ptrace(['tree', 'hostile.raw', '--env', '--files', '--net', '--full'], false).stdout;
  for (const s of HOSTILE_STRINGS) {
    t.true(out.includes(terminalText(`/etc/${s}`.replace(/\/+/g, '/'))), `open path ${JSON.stringify(s)}`);
    t.true(out.includes(`exec /usr/local/bin/${terminalText(s)}: ENOENT`), `failed exec ${JSON.stringify(s)}`);
    t.true(out.includes(`=${terminalText(s)}`), `env value ${JSON.stringify(s)}`);
  }
  t.true(out.includes('FAKE: root exit 0'), 'the fake line is there, on the line of its variable');
  t.false(
    out.split('\n').some((l) => l.startsWith('FAKE')),
    'never at the start of a line of its own',
  );
  const info = ptrace(['info', 'hostile.raw'], false).stdout;
  t.regex(info, /^hostname: +host\\x1b\[2J\\x1b\[Hcleared$/m);
  t.regex(info, /^traced command: +sh \$'\\x1b\]0;pwned title\\x07' \$'line1\\nFAKE: root exit 0'$/m);
});

test('JSON outputs keep the exact strings: tree --json, stats --json, info --json', (t) => {
  const tree = JSON.parse(ptrace(['tree', 'hostile.raw', '--json', '--env', '--files', '--net'], false).stdout) as {
    capture: { command: string[] };
    roots: {
      argv: string[];
      cwd: string;
      env: { name: string; value: string }[];
      children: {
        argv: string[];
        exe: string;
        failedExecs: { path: string }[];
        opens: { pathAsGiven: string }[];
        lookups: { name: string }[];
      }[];
    }[];
  };
  const sh = tree.roots[0]!;
  t.deepEqual(sh.argv, ['sh', HOSTILE_STRINGS[1], HOSTILE_STRINGS[3]]);
  t.is(sh.cwd, `/w/${HOSTILE_STRINGS[0]}`);
  t.deepEqual(
    sh.env.filter((e) => e.name.startsWith('V')).map((e) => e.value),
    [...HOSTILE_STRINGS],
  );
  t.true(sh.env.some((e) => e.name === `N${HOSTILE_STRINGS[8]}${HOSTILE_STRINGS[4]}`));
  HOSTILE_STRINGS.forEach((s, i) => {
    const c = sh.children[i]!;
    t.deepEqual(c.argv, [`./${s}`, s, `--opt=${s}`]);
    t.is(c.exe, `/w/bin/${s}`);
    t.is(c.failedExecs[0]!.path, `/usr/local/bin/${s}`);
    t.is(c.opens[0]!.pathAsGiven, `/etc/${s}`);
    t.deepEqual(
      c.lookups.map((l) => l.name),
      [`${s}.example`, `bad${s}`],
    );
  });
  const info = JSON.parse(ptrace(['info', 'hostile.raw', '--json'], false).stdout) as {
    host: { hostname: string };
    capture: { commandArgv: string[]; traceparent: string };
  };
  t.is(info.host.hostname, `host${HOSTILE_STRINGS[0]}`);
  t.deepEqual(info.capture.commandArgv, ['sh', HOSTILE_STRINGS[1], HOSTILE_STRINGS[3]]);
  t.is(info.capture.traceparent, `00-${HOSTILE_STRINGS[2]}`);
  const stats = JSON.parse(ptrace(['stats', 'hostile.raw', '--json'], false).stdout) as {
    failedExecs: { path: string }[];
  };
  t.deepEqual(stats.failedExecs.map((f) => f.path).sort(), HOSTILE_STRINGS.map((s) => `/usr/local/bin/${s}`).sort());
});

test("otel: an OTLP server's error body is printed through terminalText", async (t) => {
  const body = `bad request ${HOSTILE_STRINGS.join(' ')}`;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const child = spawn(process.execPath, [bin, 'otel', 'hostile.raw', '--endpoint', `http://127.0.0.1:${port}`], {
      cwd: work,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.not(code, 0);
    t.true(stderr.includes('bad request'), stderr);
    t.true(stderr.includes('\\x1b]0;pwned title\\x07'), stderr);
    t.is(offending(stderr), null);
  } finally {
    server.close();
  }
});

test('samples/hostile.raw: tree --json keeps the exact argv and environment (invalid UTF-8 as U+FFFD)', (t) => {
  const doc = JSON.parse(ptrace(['tree', SAMPLE, '--json', '--env', '--files'], false).stdout) as {
    capture: { command: string[] };
    roots: {
      children: {
        kind: string;
        type: string;
        argv: string[];
        argvTruncated: boolean;
        env: { name: string; value: string }[];
        opens: { pathAsGiven: string }[];
      }[];
    }[];
  };
  t.deepEqual(doc.capture.command, ['./hostile', '300', '\x1b]0;pwned title\x07', 'line1\nFAKE: root exit 0']);
  const child = doc.roots[0]!.children.find((c) => c.type === 'exec')!;
  t.deepEqual(child.argv.slice(0, 10), [
    '/proc/self/exe',
    'child',
    '\x1b[2J\x1b[H',
    '\x1b]0;pwned title\x07',
    '\x1b]8;;http://evil.invalid/\x1b\\click me\x1b]8;;\x1b\\',
    'line1\nFAKE: root exit 0',
    'cr\rFAKE: overwritten',
    'rtl \u202eexe.txt\u202c done',
    'csi \u009b31mred',
    'raw \ufffd31m \ufffd\ufffd invalid',
  ]);
  t.true(child.argvTruncated, 'the 300 KiB argv was cut at the args limit');
  t.true(child.env.some((e) => e.name === 'NL' && e.value === 'line1\nFAKE: root exit 0'));
  t.true(
    child.env.some((e) => e.name === 'N\u202e'.replace('\u202e', 'rtl \u202eexe.txt\u202c done') && e.value === 'name'),
  );
  t.true(child.opens.some((o) => o.pathAsGiven === 'missing/\x1b]0;pwned title\x07'));
});
