// `ptrace redact` on a real capture of the commands of issue 12: none of the
// secrets is left in the redacted file's bytes (plain, .gz or .zst), and the
// copy replays like the original apart from the markers.

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import type { ExecutionContext } from 'ava';
import { RULESET_VERSION } from '../../analyze/secrets/index.ts';
import type { InfoReport } from '../../formats/summary.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { captureSync, realCaptureTest, TEST_ENV, tempDir } from '../helpers/real-capture.ts';

const GH_PAT = 'ghp_Fake0123456789abcdefghijklmnopqrstuv';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjaS1qb2IiLCJuYW1lIjoiQ0kifQ.c2lnbmF0dXJlUGFydE9mVGhlSnd0MTIz';

/** Secret values the capture holds: in argv, then in the environment. */
const ARGV_SECRETS = [
  'curlPassword1',
  'urlPassword5',
  'SECRETmysql6',
  'tokenValue9',
  'ghp_Fake9876543210zyxwvutsrqponmlkjihgfe',
  'bearerToken16abc',
];
const ENV: Record<string, string> = {
  MYSQL_PWD: 'mysqlEnvPw77',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0FAKE000/B0FAKE000/slackHookSecret88',
  GH_PAT,
  PGPASS: 'pgPassFile99',
  CI_JOB_JWT: JWT,
};
/** A variable with a secret name loses its whole value: the values, and the secret part of the webhook. */
const ENV_SECRETS = [...Object.values(ENV), 'slackHookSecret88'];
const ALL_SECRETS = [...ARGV_SECRETS, ...ENV_SECRETS].sort((a, b) => b.length - a.length);

const SCRIPT = `
curl -s -m 1 -u alice:curlPassword1 http://127.0.0.1:9/ || true
curl -s -m 1 http://bob:urlPassword5@127.0.0.1:9/ || true
mysql -pSECRETmysql6 -h db app
ls /home/alice/project/.netrc > /dev/null 2>&1 || true
/bin/true --token=tokenValue9 --verbose
GIT_TERMINAL_PROMPT=0 git ls-remote https://ghp_Fake9876543210zyxwvutsrqponmlkjihgfe@127.0.0.1:9/acme/app.git 2>/dev/null || true
curl -s -m 1 -H 'Authorization: Bearer bearerToken16abc' http://127.0.0.1:9/ || true
cat /etc/hostname > /dev/null
`;

const MARKER = /‹redacted:[a-z0-9-]+:[a-z2-7]{6}›/g;

/** A real capture of the commands (mysql is a stand-in script) with the secret environment. */
function captureSecrets(dir: string): string {
  const bin = join(dir, 'bin');
  writeFileSync(join(dir, 'script.sh'), SCRIPT);
  const mysql = join(bin, 'mysql');
  mkdirSync(bin);
  writeFileSync(mysql, '#!/bin/sh\nexit 0\n');
  chmodSync(mysql, 0o755);
  const { status, file } = captureSync(['sh', join(dir, 'script.sh')], {
    cwd: dir,
    env: { ...TEST_ENV, ...ENV, PATH: `${bin}:/usr/bin:/bin`, HOME: '/home/alice', USER: 'alice' },
    file: join(dir, 'secrets.raw'),
  });
  if (status !== 0) throw new Error(`capture exited ${status}`);
  return file;
}

/** The secrets of ALL_SECRETS found in `bytes`. */
const found = (bytes: Buffer): string[] => ALL_SECRETS.filter((s) => bytes.includes(s));

/** A command's output with every secret and every marker replaced by one placeholder, and the file name neutral. */
function masked(t: ExecutionContext, args: string[], file: string, cwd: string): string {
  const r = ptraceSync([...args, file], { cwd });
  t.is(r.code, 0, `${args.join(' ')} ${file}: ${r.stderr}`);
  let out = r.stdout.replaceAll(file, 'FILE').replace(MARKER, '‹X›');
  for (const s of ALL_SECRETS) out = out.replaceAll(s, '‹X›');
  // a string holding a masked value is masked whole: summaries cut long commands in the middle,
  // and a marker is longer than most secrets, so the cut falls elsewhere
  return out.replaceAll('***', '‹X›').replace(/"(?:[^"\\]|\\.)*"/g, (s) => (s.includes('‹') ? '"‹X›"' : s));
}

realCaptureTest('redact: no secret of a real capture is left in the bytes; the copy replays like the original', (t) => {
  const dir = tempDir('ptrace-redact-');
  const raw = captureSecrets(dir);
  t.deepEqual(found(readFileSync(raw)), ALL_SECRETS, 'the capture holds every secret (else this test proves nothing)');

  for (const name of ['shared.raw', 'shared.raw.gz', 'shared.raw.zst']) {
    const r = ptraceSync(['redact', raw, '-o', name], { cwd: dir });
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /^ptrace: \d+ secrets replaced \(/);
    const bytes = readFileSync(join(dir, name));
    const plain = name.endsWith('.gz') ? gunzipSync(bytes) : name.endsWith('.zst') ? zstdDecompressSync(bytes) : bytes;
    t.deepEqual(found(plain), [], `${name}: secrets left`);
    t.deepEqual(found(bytes), [], `${name}: secrets left in the compressed bytes`);
  }

  const info = ptraceSync(['info', 'shared.raw.zst'], { cwd: dir }).stdout;
  t.regex(info, /^integrity:\s+intact \(crc32 [0-9a-f]{8}\)$/m);
  t.regex(info, /^redacted:\s+rule set \d+: \d+ replaced \(.*mysql-password 1.*\)$/m);
  t.regex(info, /^redacted:.*github-token [1-9]/m);
  const json = JSON.parse(ptraceSync(['info', '--json', 'shared.raw'], { cwd: dir }).stdout) as InfoReport;
  t.is(json.redaction?.rulesetVersion, RULESET_VERSION);
  t.is(json.redaction?.counts['mysql-password'], 1);
  t.false(json.redaction?.atCapture);
  t.is(
    json.redaction?.replaced,
    Object.values(json.redaction?.counts ?? {}).reduce((a, n) => a + n, 0),
  );
  t.is(JSON.parse(ptraceSync(['info', '--json', raw], { cwd: dir }).stdout).redaction, null);

  // the same tree, counts, failures and spans apart from the replaced values
  const views = [
    ['tree', '--json', '--env', '--files', '--net'],
    ['stats', '--json'],
    ['otel', '--dump-otel', '-'],
    ['export', '--format', 'jsonl'],
  ];
  for (const args of views) {
    t.is(masked(t, args, 'shared.raw', dir), masked(t, args, 'secrets.raw', dir), args.join(' '));
  }
});

realCaptureTest(
  'redact --drop-env --anonymize-paths --keep: environments gone, home and user replaced, kept names kept',
  (t) => {
    const dir = tempDir('ptrace-redact-');
    const raw = captureSecrets(dir);
    const r = ptraceSync(['redact', raw, '-o', 'anon.raw', '--anonymize-paths', '--keep', 'PGPASS'], { cwd: dir });
    t.is(r.code, 0, r.stderr);
    const anon = readFileSync(join(dir, 'anon.raw'));
    t.deepEqual(found(anon), ['pgPassFile99'], '--keep PGPASS keeps that one');
    t.true(readFileSync(raw).includes('/home/alice/project'));
    t.false(anon.includes('alice'), 'home directory and user name (USER=alice, curl -u alice:…) replaced');
    t.true(anon.includes('/home/user1/project/.netrc'));
    t.true(anon.includes('HOME=/home/user1\0'));
    t.true(anon.includes('USER=user1\0'));

    const dropped = ptraceSync(['redact', raw, '-o', 'noenv.raw', '--drop-env'], { cwd: dir });
    t.is(dropped.code, 0, dropped.stderr);
    const tree = ptraceSync(['tree', '--json', '--env', 'noenv.raw'], { cwd: dir });
    t.is(tree.code, 0, tree.stderr);
    t.false(tree.stdout.includes('MYSQL_PWD'), 'no environment left');
    t.false(readFileSync(join(dir, 'noenv.raw')).includes('PATH='));
    t.regex(ptraceSync(['info', 'noenv.raw'], { cwd: dir }).stdout, /^redacted:.*environments removed/m);
  },
);
