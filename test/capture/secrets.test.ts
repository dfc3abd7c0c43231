// Secrets in a real capture: command lines with 8 kinds of argv secrets and an
// environment with 5 secret variables whose names were once missed. Every
// default output (tree, tree --env, tree --json, stats, info, export jsonl and
// arrow, otel --dump-otel with --env and -a, db) is searched for each secret
// value, byte for byte: none is found. With the opt-out flags they are.

import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { ptraceSync } from '../helpers/cli.ts';
import { captureSync, realCaptureTest, TEST_ENV, tempDir } from '../helpers/real-capture.ts';

const GHP = `ghp_${'Q7xK2mP9vR4tW8yZ1bC3dF5gH6jL0nS4uE2a'.slice(0, 36)}`;

/** Argument secrets, each distinct and found nowhere else in the capture. */
const ARGV_SECRETS = {
  curlUser: 'CurlPw-7f3a91',
  urlPassword: 'UrlPw-91c2e7',
  mysql: 'MysqlPw-55aa0b',
  tokenOption: 'TokenVal-3e8d44',
  githubPat: GHP,
  gitUrlPat: 'GitPatVal-6d0c12',
  bearer: 'BearerVal-c0de99',
  passwordOption: 'PasswordVal-b33f07',
};

const ENV_SECRETS: Record<string, string> = {
  MYSQL_PWD: 'EnvMysqlPwd-1a2b',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0FAKE/B0FAKE/EnvSlackHook-3c4d',
  GH_PAT: 'EnvGhPat-5e6f',
  PGPASS: 'EnvPgPass-7a8b',
  CI_JOB_JWT: 'EnvCiJobJwt-9c0d',
};

/** What must not leak from the env: the values (the webhook's secret path is enough to use it). */
const ENV_VALUES = [...Object.values(ENV_SECRETS).filter((v) => !v.startsWith('https:')), 'EnvSlackHook-3c4d'];
const ALL = [...Object.values(ARGV_SECRETS), ...ENV_VALUES];

interface OtlpDoc {
  resourceSpans: { scopeSpans: { spans: { attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[];
}

interface Captured {
  dir: string;
  raw: string;
}

let captured: Captured | null = null;

function capture(t: ExecutionContext): Captured {
  if (captured !== null) return captured;
  const dir = tempDir('ptrace-secrets-');
  // Stand-ins with the real names (tool rules go by executable name): exec'd, they exit at once.
  for (const name of ['curl', 'mysql', 'git', 'deploy']) {
    writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, name), 0o755);
  }
  const s = ARGV_SECRETS;
  const script = join(dir, 'run.sh');
  writeFileSync(
    script,
    [
      'set -e',
      `cd ${dir}`,
      `./curl -u alice:${s.curlUser} https://api.example.com/`,
      `./curl http://bob:${s.urlPassword}@host.example/x`,
      `./mysql -p${s.mysql} -h db app`,
      `./deploy --token=${s.tokenOption} --verbose`,
      `./git clone https://${s.githubPat}@github.com/acme/app.git`,
      `./git clone https://oauth2:${s.gitUrlPat}@gitlab.example.com/acme/app.git`,
      `./curl -H 'Authorization: Bearer ${s.bearer}' https://api.example.com/`,
      `./deploy --password ${s.passwordOption} --to prod`,
      '',
    ].join('\n'),
  );
  const raw = join(dir, 'secrets.raw');
  const r = captureSync(['bash', script], { env: { ...TEST_ENV, ...ENV_SECRETS }, file: raw });
  t.is(r.status, 0, r.stderr);
  // The test can only fail if the secrets are there to find.
  const bytes = readFileSync(raw);
  for (const v of ALL) t.true(bytes.includes(v), `the raw file holds ${v}`);
  captured = { dir, raw };
  return captured;
}

function run(t: ExecutionContext, args: string[]): string {
  const r = ptraceSync(args);
  t.is(r.code, 0, `ptrace ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The secrets among `values` that `out` contains. */
const leaked = (out: string | Buffer, values: readonly string[]): string[] => values.filter((v) => out.includes(v));

realCaptureTest('no secret of argv or env in any default output; the opt-out flags show them', (t) => {
  const { dir, raw } = capture(t);
  chmodSync(raw, 0o644); // so the database's mode shows where it comes from
  const envNames = Object.keys(ENV_SECRETS).join(',');

  const outputs: [string, string | Buffer][] = [
    ['tree', run(t, ['tree', raw, '--full'])],
    ['tree --env', run(t, ['tree', raw, '--full', '--env'])],
    ['tree --env --json', run(t, ['tree', raw, '--env', '--json'])],
    ['stats', run(t, ['stats', raw])],
    ['stats --json', run(t, ['stats', raw, '--json'])],
    ['info', run(t, ['info', raw])],
    ['info --json', run(t, ['info', raw, '--json'])],
    ['export jsonl', run(t, ['export', raw, '--format', 'jsonl'])],
    ['otel --dump-otel', run(t, ['otel', raw, '--dump-otel', '-', '--env', envNames, '-a', 'cmd=cmdline'])],
  ];
  run(t, ['export', raw, '--format', 'arrow', '-o', join(dir, 'out.arrow')]);
  outputs.push(['export arrow', readFileSync(join(dir, 'out.arrow'))]);
  const db = ptraceSync(['db', raw, '-o', join(dir, 'out.sqlite')]);
  t.is(db.code, 0, db.stderr);
  t.is(db.stderr, '');
  outputs.push(['db', readFileSync(join(dir, 'out.sqlite'))]);
  t.is(statSync(join(dir, 'out.sqlite')).mode & 0o777, 0o644 & ~process.umask(), 'redacted: the raw file’s mode');

  for (const [name, out] of outputs) t.deepEqual(leaked(out, ALL), [], `${name} leaks nothing`);

  // Markers stand where the secrets were, under the rule that found each.
  const tree = String(outputs[1]![1]);
  for (const rule of [
    'curl-user',
    'url-password',
    'mysql-password',
    'name-token',
    'github-token',
    'authorization-header',
  ]) {
    t.true(tree.includes(`‹redacted:${rule}›`), `tree shows ${rule}`);
  }
  for (const [name, rule] of [
    ['MYSQL_PWD', 'name-pwd'],
    ['GH_PAT', 'name-pat'],
    ['PGPASS', 'name-password'],
    ['CI_JOB_JWT', 'name-jwt'],
    ['SLACK_WEBHOOK_URL', 'name-webhook'],
  ]) {
    t.true(tree.includes(`${name}=‹redacted:${rule}›`), `tree --env masks ${name}`);
  }
  const otel = String(outputs.find(([n]) => n === 'otel --dump-otel')![1]);
  t.regex(otel, /‹redacted:name-pwd:[a-z2-7]{6}›/, 'otel: keyed markers');
  const cmds = (JSON.parse(otel) as OtlpDoc).resourceSpans
    .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
    .flatMap((span) => span.attributes.filter((a) => a.key === 'cmd').map((a) => a.value.stringValue ?? ''));
  t.true(
    cmds.some((c) => /^\/bin\/sh \.\/mysql -p‹redacted:mysql-password:[a-z2-7]{6}› -h db app$/.test(c)),
    '-a sees the redacted command line',
  );

  // Opting out shows them again.
  const shown: [string, string | Buffer, readonly string[]][] = [
    ['tree --show-secrets', run(t, ['tree', raw, '--full', '--env', '--show-secrets']), ALL],
    ['stats --show-secrets', run(t, ['stats', raw, '--show-secrets', '--json']), Object.values(ARGV_SECRETS)],
    ['export --no-redact', run(t, ['export', raw, '--format', 'jsonl', '--no-redact']), Object.values(ARGV_SECRETS)],
    [
      'otel --no-redact',
      run(t, ['otel', raw, '--dump-otel', '-', '--env', envNames, '--no-redact']),
      [...Object.values(ARGV_SECRETS), ...ENV_VALUES],
    ],
  ];
  for (const [name, out, values] of shown) t.deepEqual(leaked(out, values), values, `${name} shows them`);
  const clear = ptraceSync(['db', raw, '-o', join(dir, 'clear.sqlite'), '--no-redact']);
  t.is(clear.code, 0, clear.stderr);
  t.regex(
    clear.stderr,
    /^ptrace: .*clear\.sqlite holds the capture's secrets as captured \(--no-redact\): readable by you only \(0600\)\n$/,
  );
  t.is(statSync(join(dir, 'clear.sqlite')).mode & 0o777, 0o600);
  t.deepEqual(leaked(readFileSync(join(dir, 'clear.sqlite')), ALL), ALL, 'db --no-redact holds them');
});
