// The secret rule set on its corpus (test/fixtures/secrets-corpus.json):
// every positive example loses its secret under the expected rule, every
// negative comes out unchanged, every rule has an example, every exception
// is needed by a negative; markers, rules files and the generated docs.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  builtinRules,
  createRedactor,
  loadRulesFile,
  parseRules,
  type Redactor,
  type RuleSet,
} from '../../analyze/secrets/index.ts';
import { awsContext, parseOption } from '../../analyze/secrets/redactor.ts';
import { UserError } from '../../formats/errors.ts';
import { rulesMarkdown, SECRETS_DOC, withRules } from '../../scripts/gen-secrets-doc.ts';
import { ROOT } from '../helpers/real-capture.ts';

interface Corpus {
  env: {
    secret: [string, string, string][];
    valueSecret: [string, string, string[], string][];
    kept: [string, string][];
  };
  argv: {
    secret: { argv: string[]; secrets: string[]; rules: string[]; kept?: string[] }[];
    kept: string[][];
  };
  text: {
    secret: { text: string; secrets: string[]; rule: string; kept?: string[] }[];
    kept: string[];
  };
}

const corpus = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/secrets-corpus.json'), 'utf8')) as Corpus;
const KEY = new Uint8Array(32).fill(7);
const MARKER = /‹redacted:([a-z0-9-]+):([a-z2-7]{6})›/g;

const markerRules = (s: string): string[] => [...s.matchAll(MARKER)].map((m) => m[1]!);

test('environment: secret names replace the whole value under their rule', (t) => {
  for (const [name, value, rule] of corpus.env.secret) {
    const r = createRedactor(builtinRules(), { key: KEY });
    const out = r.envValue(name, value);
    t.regex(out, /^‹redacted:[a-z0-9-]+:[a-z2-7]{6}›$/, name);
    t.deepEqual(markerRules(out), [rule], name);
    t.is(r.counts().get(rule), 1, name);
  }
});

test('environment: secrets inside ordinary variables are found by value', (t) => {
  for (const [name, value, secrets, rule] of corpus.env.valueSecret) {
    const out = createRedactor(builtinRules()).envValue(name, value);
    for (const s of secrets) t.false(out.includes(s), `${name}: ${out}`);
    t.true(markerRules(out).includes(rule), `${name}: ${out}`);
  }
});

test('environment: ordinary variables are kept exactly (PWD, KEYMAP, sockets, paths, ids)', (t) => {
  const r = createRedactor(builtinRules());
  for (const [name, value] of corpus.env.kept) t.is(r.envValue(name, value), value, name);
  t.is(r.counts().size, 0);
});

test('argv: every secret is replaced, the rest of the command line stays', (t) => {
  for (const c of corpus.argv.secret) {
    const r = createRedactor(builtinRules());
    const out = r.argv(c.argv);
    const line = out.join('\u0000');
    t.is(out.length, c.argv.length, c.argv.join(' '));
    t.is(out[0], c.argv[0]);
    for (const s of c.secrets) t.false(line.includes(s), `${c.argv.join(' ')} → ${out.join(' ')}`);
    for (const rule of c.rules) t.true(markerRules(line).includes(rule), `${rule}: ${out.join(' ')}`);
    for (const k of c.kept ?? []) t.true(line.includes(k), `${k} kept: ${out.join(' ')}`);
    // Arguments holding no secret are unchanged.
    c.argv.forEach((a, i) => {
      if (!c.secrets.some((s) => a.includes(s)) && !c.argv[i - 1]?.startsWith('-')) t.is(out[i], a);
    });
  }
});

test('argv: command lines without secrets are kept exactly (-p of ssh/mkdir/docker run, --keyboard, key files, ids)', (t) => {
  const r = createRedactor(builtinRules());
  for (const a of corpus.argv.kept) t.deepEqual(r.argv(a), a);
  t.deepEqual([...r.counts()], []);
});

test('text: token shapes, URLs, headers, PEM blocks, assignments', (t) => {
  for (const c of corpus.text.secret) {
    const out = createRedactor(builtinRules()).text(c.text);
    for (const s of c.secrets) t.false(out.includes(s), `${c.rule}: ${out}`);
    t.true(markerRules(out).includes(c.rule), `${c.rule}: ${out}`);
    for (const k of c.kept ?? []) t.true(out.includes(k), `${k} kept: ${out}`);
  }
});

test('text: paths, hashes, UUIDs, public keys, certificates and short look-alikes are kept', (t) => {
  const r = createRedactor(builtinRules());
  for (const s of corpus.text.kept) t.is(r.text(s), s);
  t.deepEqual([...r.counts()], []);
});

test('the names the tree used to mask are still secret, with their URLs', (t) => {
  const r = createRedactor(builtinRules(), { marker: 'plain' });
  for (const n of [
    'API_TOKEN',
    'GITHUB_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'DB_PASSWORD',
    'MYSQL_PASSWD',
    'SSH_PRIVATE_KEY',
    'HTTP_AUTHORIZATION',
    'NPM_AUTH',
    'SESSION_ID',
    'GOOGLE_CREDENTIALS',
    'id_rsa_key',
  ]) {
    t.regex(r.envValue(n, 'v'), /^‹redacted:name-[a-z-]+›$/, n);
  }
  t.is(
    r.envValue('PGHOST_URL', 'postgres://app:hunter2@db:5432/x'),
    'postgres://app:‹redacted:url-password›@db:5432/x',
  );
  t.is(r.envValue('DATABASE_URL', 'postgres://app:hunter2@db:5432/x'), '‹redacted:name-database-url›');
});

test('every built-in rule has a positive example in the corpus', (t) => {
  const rules = builtinRules();
  const covered = new Set([
    ...corpus.env.secret.map((e) => e[2]),
    ...corpus.env.valueSecret.map((e) => e[3]),
    ...corpus.argv.secret.flatMap((e) => e.rules),
    ...corpus.text.secret.map((e) => e.rule),
  ]);
  const ids = [...rules.names, ...rules.values, ...rules.tools].map((r) => r.id);
  t.deepEqual(
    ids.filter((id) => !covered.has(id)),
    [],
  );
  t.is(new Set(ids).size, ids.length, 'rule ids are unique');
});

/** Whether some negative of the corpus gets redacted under `rules`. */
function someNegativeRedacted(rules: RuleSet): boolean {
  const r = createRedactor(rules);
  for (const [n, v] of corpus.env.kept) r.envValue(n, v);
  for (const a of corpus.argv.kept) r.argv(a);
  for (const s of corpus.text.kept) r.text(s);
  return r.counts().size > 0;
}

test('every "not a secret" exception is needed by a negative example', (t) => {
  const rules = builtinRules();
  t.false(someNegativeRedacted(rules));
  for (const ex of rules.notSecretNames) {
    t.true(someNegativeRedacted({ ...rules, notSecretNames: rules.notSecretNames.filter((r) => r !== ex) }), ex.id);
  }
  for (const ex of rules.notSecretOptions) {
    t.true(someNegativeRedacted({ ...rules, notSecretOptions: rules.notSecretOptions.filter((r) => r !== ex) }), ex.id);
  }
});

test('markers: equal secrets get equal markers in one redactor, different across keys; plain form', (t) => {
  const a = createRedactor(builtinRules(), { key: KEY });
  const m1 = a.envValue('API_TOKEN', 'same-value');
  t.is(a.envValue('OTHER_TOKEN', 'same-value'), m1);
  t.not(a.envValue('API_TOKEN', 'other-value'), m1);
  t.is(createRedactor(builtinRules(), { key: KEY }).envValue('API_TOKEN', 'same-value'), m1);
  const random = new Set(
    Array.from({ length: 5 }, () => createRedactor(builtinRules()).envValue('API_TOKEN', 'same-value')),
  );
  t.is(random.size, 5, 'a random key per redactor');
  t.is(createRedactor(builtinRules(), { marker: 'plain' }).envValue('API_TOKEN', 'x'), '‹redacted:name-token›');
  t.is(a.envValue('API_TOKEN', ''), '', 'empty stays empty');
  t.is(createRedactor(builtinRules(), { keep: ['API_TOKEN'] }).envValue('API_TOKEN', 'v'), 'v');
});

test('argv[0] goes through the value rules too', (t) => {
  const r = createRedactor(builtinRules(), { marker: 'plain' });
  t.deepEqual(r.argv(['/srv/https://u:pw123@h/run', '-x']), ['/srv/https://u:‹redacted:url-password›@h/run', '-x']);
});

test('counts: one per replacement, also for repeated strings', (t) => {
  const r = createRedactor(builtinRules());
  const line = ['curl', '-u', 'a:b1', '-H', 'Authorization: Bearer tok', 'https://u:p@h/'];
  r.argv(line);
  r.argv(line);
  r.text('https://u:p@h/');
  t.deepEqual(Object.fromEntries(r.counts()), { 'curl-user': 2, 'authorization-header': 2, 'url-password': 3 });
});

test('redaction is idempotent: markers are never redacted again', (t) => {
  const r = createRedactor(builtinRules());
  for (const c of corpus.text.secret) {
    const once = r.text(c.text);
    t.is(r.text(once), once);
  }
  for (const c of corpus.argv.secret) {
    const once = r.argv(c.argv);
    t.deepEqual(r.argv(once), once);
  }
});

test('hostile strings: long runs of near-matches are handled and kept', (t) => {
  const r = createRedactor(builtinRules());
  const inputs = [
    'a'.repeat(1 << 20),
    'eyJ'.repeat(100_000),
    `-----BEGIN PRIVATE KEY-----${'A'.repeat(1 << 20)}`,
    'x://'.repeat(100_000),
    'a:'.repeat(200_000),
    'A=B'.repeat(100_000),
    'Authorization:'.repeat(50_000),
    'ghp_'.repeat(100_000),
  ];
  for (const s of inputs) {
    const out = r.text(s);
    if (s.startsWith('-----BEGIN')) t.is(out, `-----BEGIN PRIVATE KEY-----${out.slice(27)}`);
    else t.true(out.length > 0);
  }
  t.is(r.argv(['x', ...Array.from({ length: 10_000 }, () => '--password')]).length, 10_001);
});

const RULES_JSON = JSON.stringify({
  names: ['ACME_SEED', 'MY_.*_CODE', 'PASSWORD_FILE'],
  values: [{ id: 'acme-key', pattern: 'acme_(?<secret>[a-z0-9]{8})', flags: 'i' }],
  options: [{ flag: '--seed' }, { flag: '-k', tools: ['acmectl'] }],
  keep: ['BUILD_SESSION'],
});

const RULES_TEXT = `# acme rules
name    ACME_SEED
name    MY_.*_CODE
name    PASSWORD_FILE
value   acme-key   acme_[A-Za-z0-9]{8}
option  --seed
option  -k  acmectl
keep    BUILD_SESSION
`;

for (const [format, text] of [
  ['JSON', RULES_JSON],
  ['line', RULES_TEXT],
] as const) {
  test(`rules file (${format}): names, values, options, keep extend the built-in rules`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ptrace-rules-'));
    const path = join(dir, `rules.${format === 'JSON' ? 'json' : 'txt'}`);
    writeFileSync(path, text);
    const rules = loadRulesFile(path);
    t.deepEqual(rules.sources, ['built-in', path]);
    const r: Redactor = createRedactor(rules);
    t.regex(r.envValue('ACME_SEED', 's'), /^‹redacted:user-name:/);
    t.regex(r.envValue('my_app_code', 's'), /^‹redacted:user-name:/);
    t.regex(r.envValue('PASSWORD_FILE', 's'), /^‹redacted:user-name:/, 'a user name wins over a built-in exception');
    t.is(r.envValue('BUILD_SESSION', 'kept'), 'kept');
    t.regex(r.envValue('API_TOKEN', 'x'), /^‹redacted:name-token:/, 'built-in rules still apply');
    t.false(r.text('id acme_AbCd1234 here').includes('AbCd1234'));
    t.deepEqual(
      r.argv(['acmectl', '-kSECRET', '--seed', 'S2', 'x']).map((a) => a.replace(/:[a-z2-7]{6}›/, '›')),
      ['acmectl', '-k‹redacted:user-option›', '--seed', '‹redacted:user-option›', 'x'],
    );
    t.deepEqual(r.argv(['other', '-kVALUE']), ['other', '-kVALUE'], '-k only for acmectl');
    t.true((r.counts().get('acme-key') ?? 0) >= 1);
  });
}

test('rules file: a bad file is one clear UserError line', (t) => {
  const bad: [string, RegExp][] = [
    ['name   acme_[', /^r:2: bad regular expression \/\^\(\?:acme_\[\)\$\/: /],
    ['frobnicate X', /^r:2: unknown rule "frobnicate" \(expected name, value, option, keep\)$/],
    ['value only-id', /^r:2: "value" needs an id and a pattern$/],
    ['value Bad_Id x+', /^r:2: bad rule id "Bad_Id"/],
    ['value jwt xyz', /^r:2: rule id "jwt" is already used$/],
    ['value empty a*', /^r:2: \/a\*\/ matches the empty string$/],
    ['option p', /^r:2: bad option "p"$/],
    ['keep', /^r:2: "keep" needs a name$/],
  ];
  for (const [line, re] of bad) {
    const e = t.throws(() => parseRules(`# x\n${line}\n`, 'r'), { instanceOf: UserError });
    t.regex(e.message, re, line);
    t.false(e.message.includes('\n'));
  }
  t.throws(() => parseRules('{"names": [1]}', 'r'), {
    instanceOf: UserError,
    message: 'r: "names" must be an array of strings',
  });
  t.throws(() => parseRules('{"nams": []}', 'r'), {
    instanceOf: UserError,
    message: 'r: unknown key "nams" (expected names, values, options, keep)',
  });
  t.throws(() => parseRules('{"values": [{"id": "x"}]}', 'r'), { message: /^r: values\[0\]: expected/ });
  t.throws(() => parseRules('{ "names": ', 'r'), { instanceOf: UserError, message: /^r: not valid JSON: / });
  t.throws(() => loadRulesFile('/nonexistent/rules'), {
    instanceOf: UserError,
    message: 'cannot read rules file /nonexistent/rules: no such file (ENOENT)',
  });
});

test('docs/secrets.md lists exactly the built-in rules (node scripts/gen-secrets-doc.ts rewrites it)', (t) => {
  const doc = readFileSync(SECRETS_DOC, 'utf8');
  t.is(withRules(doc), doc);
  const md = rulesMarkdown();
  const rules = builtinRules();
  for (const r of [
    ...rules.names,
    ...rules.notSecretNames,
    ...rules.notSecretOptions,
    ...rules.values,
    ...rules.tools,
  ]) {
    t.true(md.includes(`| \`${r.id}\` |`), r.id);
  }
});

test('parseOption and awsContext: what the regular expressions they replaced found', (t) => {
  const OPTION = /^(-{1,2})([A-Za-z][A-Za-z0-9_.-]*)(?:=([\s\S]*))?$/;
  const AWS_CONTEXT = /aws|secret|(?:AKIA|ASIA)[A-Z0-9]{16}/i;
  const words = [
    '-',
    '--',
    '---x',
    '-a',
    '--a',
    '-a=',
    '--pass=x=y',
    '-a\n',
    '-a=\nb',
    '-9',
    '-_x',
    '--x.y-z_1=v',
    '-O2',
    '--port 1',
    'x',
    '',
    '-é',
    '--a€',
  ];
  for (const w of words) {
    const m = OPTION.exec(w);
    t.deepEqual(parseOption(w), m === null ? null : { dashes: m[1], name: m[2], attached: m[3] }, JSON.stringify(w));
  }
  const lines = [
    'cc -c x.c',
    'AWS s3 ls',
    'my-SeCrEt',
    `x AKIA${'A1'.repeat(8)} y`,
    `asia${'b2'.repeat(8)}`,
    `AKIA${'a'.repeat(15)}`,
    'a\nws',
  ];
  for (const l of lines) t.is(awsContext(l), AWS_CONTEXT.test(l), JSON.stringify(l));
});
