// The built-in secret rules: one table for every output (env, argv, any
// string). docs/secrets.md documents each rule; a test checks that the
// document lists exactly these rules and that every rule has positive
// examples in the corpus (test/fixtures/secrets-corpus.json).

/** Bump when a rule is added, removed or changed: redacted files record the version they were made with. */
export const RULESET_VERSION = 1;

/**
 * A rule on names: environment variable names, long option names (`--api-key`)
 * and `NAME=value` assignments inside any string. Names are normalized first
 * (see `normalizeName`): `_` + upper-case segments joined by `_` + `_`, so a
 * pattern matches whole segments (`_TOKEN_`), never a part of a word (KEYMAP).
 */
export interface NameRule {
  readonly id: string;
  readonly summary: string;
  /** Tested against the normalized name, or against the name as it is when `on` is 'name' (user rules). */
  readonly pattern: RegExp;
  readonly on?: 'name';
  readonly source: string;
}

/** A rule on the content of any string: the part matched (or its `secret` group) is replaced. */
export interface ValueRule {
  readonly id: string;
  readonly summary: string;
  /** Global, with the `d` flag; the named group `secret` (else group 1, else the whole match) is what gets replaced. */
  readonly pattern: RegExp;
  /** Further check on a match; false keeps it. */
  readonly accept?: (secret: string, whole: string) => boolean;
  /** A fast pre-check: the rule is only tried on strings whose lower-case form holds one of these. */
  readonly hints?: readonly string[];
  readonly source: string;
}

/** How the value of a tool-specific option is redacted. */
export type ValuePart = 'whole' | 'after-colon' | 'after-pass-prefix';

/** Options of particular programs (by executable name) whose value is a secret. */
export interface ToolRule {
  readonly id: string;
  readonly summary: string;
  /** Executable basenames; empty: any program. */
  readonly tools: readonly string[];
  /** The option only counts when one of the arguments is this word (e.g. `login` of `docker login`). */
  readonly requires?: string;
  /** `-p`: `-pVALUE` when attached, `-p VALUE` when separate. `--user`: `--user=VALUE` and `--user VALUE`. */
  readonly flags: readonly string[];
  readonly attached: boolean;
  readonly separate: boolean;
  readonly part: ValuePart;
  /** Only values containing this text are secrets (`-b name=value` of curl is a cookie, `-b file` is not). */
  readonly valueContains?: string;
  /** Long options that, for these tools, take a value only with `=` (`mysql --password db` prompts). */
  readonly equalsOnly?: readonly string[];
  readonly source: string;
}

export interface RuleSet {
  readonly version: number;
  /** Names that mark a value as secret. */
  readonly names: readonly NameRule[];
  /** Names that are never secret by name even when a name rule matches (their values still go through the value rules). */
  readonly notSecretNames: readonly NameRule[];
  /** Option names whose value is never a secret (`--max-tokens`), tested after `names`. */
  readonly notSecretOptions: readonly NameRule[];
  /** Exact environment variable names kept as they are (no rule applies to their values). */
  readonly keep: ReadonlySet<string>;
  readonly values: readonly ValueRule[];
  readonly tools: readonly ToolRule[];
  /** Where the rules came from: `built-in`, then each rules file. */
  readonly sources: readonly string[];
}

/** `githubToken`, `--api-key`, `MYSQL_PWD` → `_GITHUB_TOKEN_`, `_API_KEY_`, `_MYSQL_PWD_`. */
export function normalizeName(name: string): string {
  const split = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `_${split.replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')}_`;
}

const B = 'built-in';

/** A rule matching any of the given whole segments (regex source each, digits allowed after: `PASSWORD2`). */
function segments(id: string, summary: string, alternatives: string): NameRule {
  return { id, summary, pattern: new RegExp(`_(?:${alternatives})\\d*_`), source: B };
}

const NAME_RULES: readonly NameRule[] = [
  segments(
    'name-password',
    'a segment ending in PASSWORD, PASSWD or PASSPHRASE (`DB_PASSWORD`, `PGPASSWORD`, `--password`), or PASS alone or after PG, DB, MYSQL, REDIS, SMTP, SUDO, ROOT, ADMIN, LDAP, BIND, FTP, VNC, PROXY, HTTP (`PGPASS`, `--pass`; not BYPASS or COMPASS)',
    '[A-Z0-9]*PASSW(?:OR)?DS?|[A-Z0-9]*PASSPHRASES?|(?:PG|DB|MYSQL|REDIS|SMTP|SUDO|ROOT|ADMIN|LDAP|BIND|FTP|VNC|PROXY|HTTP)?PASS',
  ),
  {
    id: 'name-pwd',
    summary:
      'PWD after another segment (`MYSQL_PWD`, `DB_PWD`) or glued to one (`SAPWD`); never `PWD` alone or `OLDPWD`, which are the shell’s working directories',
    pattern: /[A-Z0-9]_PWD\d*_|_(?!OLDPWD)[A-Z0-9]+PWD\d*_/,
    source: B,
  },
  segments(
    'name-token',
    'a segment ending in TOKEN(S) (`GITHUB_TOKEN`, `NPMTOKEN`, `--auth-token`)',
    '[A-Z0-9]*TOKENS?',
  ),
  segments('name-secret', 'a segment ending in SECRET(S) (`CLIENT_SECRET`, `--secret`)', '[A-Z0-9]*SECRETS?'),
  segments(
    'name-key',
    'KEY(S) as a whole segment, or glued after API, SSH, SECRET, ACCESS, PRIVATE, AUTH, MASTER, SIGNING, ENCRYPTION, LICENSE, HMAC, CLIENT, APP, SERVICE, ACCOUNT (`API_KEY`, `APIKEY`, `--api-key`); not KEYMAP, KEYBOARD, HOTKEY; an option named just `--key` is not a secret (usually a key file or an id)',
    '(?:API|SSH|SECRET|ACCESS|PRIVATE|AUTH|MASTER|SIGNING|ENCRYPTION|LICENSE|HMAC|CLIENT|APP|SERVICE|ACCOUNT)?KEYS?',
  ),
  segments(
    'name-credential',
    'a segment ending in CREDENTIAL(S), or CRED(S) (`GOOGLE_CREDENTIALS`, `DOCKER_CREDS`)',
    '[A-Z0-9]*CREDENTIALS?|CREDS?',
  ),
  segments(
    'name-auth',
    'a segment ending in AUTH, or AUTHORIZATION, AUTHN, AUTHZ (`NPM_AUTH`, `OAUTH`, `HTTP_AUTHORIZATION`; not AUTHOR)',
    '[A-Z0-9]*AUTH|AUTHORIZATION|AUTHN|AUTHZ',
  ),
  segments(
    'name-cookie',
    'a segment ending in COOKIE(S) (`SESSION_COOKIE`, `--cookie`; not `--cookie-jar`)',
    '[A-Z0-9]*COOKIES?',
  ),
  segments(
    'name-session',
    'SESSION, SESSIONID, SESSIONKEY, SESSIONTOKEN as a segment (`SESSION_ID`)',
    'SESSION(?:ID|KEY|TOKEN)?S?',
  ),
  segments('name-jwt', 'a segment ending in JWT (`CI_JOB_JWT`, `CI_JOB_JWT_V2`)', '[A-Z0-9]*JWTS?'),
  segments('name-pat', 'PAT as a whole segment: a personal access token (`GH_PAT`; not PATH)', 'PATS?'),
  segments('name-private', 'PRIVATE as a segment (`PRIVATE_KEY`, `SSH_PRIVATE`)', 'PRIVATE'),
  segments('name-webhook', 'a segment ending in WEBHOOK(S) (`SLACK_WEBHOOK_URL`)', '[A-Z0-9]*WEBHOOKS?'),
  segments('name-dsn', 'a segment ending in DSN (`SENTRY_DSN`)', '[A-Z0-9]*DSN'),
  {
    id: 'name-database-url',
    summary: 'DATABASE_URL, DATABASE_URI, DB_URL and names ending so (`APP_DATABASE_URL`)',
    pattern: /_(?:DATABASE|DB)_UR[LI]S?_$/,
    source: B,
  },
  {
    id: 'name-connection-string',
    summary: 'CONNECTION_STRING, CONN_STR (`AZURE_STORAGE_CONNECTION_STRING`)',
    pattern: /_(?:CONNECTION|CONN)_STR(?:ING)?S?_/,
    source: B,
  },
  segments(
    'name-signature',
    'SIGNATURE or SIG as a segment (`X-Amz-Signature=`, `sig=` of a signed URL)',
    'SIGNATURES?|SIG',
  ),
  segments('name-bearer', 'BEARER as a segment (`BEARER`, `--bearer`)', 'BEARER'),
];

const NOT_SECRET_NAMES: readonly NameRule[] = [
  {
    id: 'not-secret-suffix',
    summary:
      'the last segment says the value is not the secret itself: FILE(S), PATH(S), DIR(S), DIRECTORY, JAR, SOCK, SOCKET, TYPE(S), KIND, NAME(S), USER, USERNAME, LEN, LENGTH, SIZE, BITS, ALG, ALGORITHM, METHOD, MODE, TIMEOUT, TTL, EXPIRY, EXPIRES, EXPIRATION, COUNT, LIMIT, MAX, MIN, ENABLED, DISABLED, REQUIRED, HELPER, PROVIDER, DOMAIN, HOST, PORT, REGION, VERSION, FORMAT, PROMPT, STDIN, PID, ENDPOINT, SERVER, SCOPE(S), COMMAND, CMD, PROGRAM (`PASSWORD_FILE`, `SSH_AUTH_SOCK`, `--password-stdin`, `AUTH_TYPE`)',
    pattern:
      /_(?:FILES?|PATHS?|DIRS?|DIRECTORY|JAR|SOCK|SOCKET|TYPES?|KIND|NAMES?|USER|USERNAME|LEN|LENGTH|SIZE|BITS|ALG|ALGORITHM|METHOD|MODE|TIMEOUT|TTL|EXPIRY|EXPIRES|EXPIRATION|COUNT|LIMIT|MAX|MIN|ENABLED|DISABLED|REQUIRED|HELPER|PROVIDER|DOMAIN|HOST|PORT|REGION|VERSION|FORMAT|PROMPT|STDIN|PID|ENDPOINT|SERVER|SCOPES?|COMMAND|CMD|PROGRAM)\d*_$/,
    source: B,
  },
  {
    id: 'not-secret-public',
    summary: 'a PUBLIC or PUB segment (`SSH_PUBLIC_KEY`, `NEXT_PUBLIC_STRIPE_KEY`): public keys are meant to be shared',
    pattern: /_PUB(?:LIC)?_/,
    source: B,
  },
  {
    id: 'not-secret-auth-url',
    summary: 'AUTH_URL, AUTH_URI (`OS_AUTH_URL`): an address; credentials in it are still found by `url-password`',
    pattern: /_AUTH_UR[LI]_$/,
    source: B,
  },
  {
    id: 'not-secret-desktop',
    summary:
      'desktop session variables: `XDG_SESSION_ID`, `XDG_SESSION_CLASS`, `XDG_SESSION_DESKTOP`, `DESKTOP_SESSION`, `SESSION_MANAGER`, `DBUS_SESSION_BUS_ADDRESS`, `GNOME_DESKTOP_SESSION_ID`, and `GOOGLE_APPLICATION_CREDENTIALS` (always a path)',
    pattern:
      /^_(?:XDG_SESSION_(?:ID|CLASS|DESKTOP)|DESKTOP_SESSION|SESSION_MANAGER|DBUS_SESSION_BUS_ADDRESS|GNOME_DESKTOP_SESSION_ID|GOOGLE_APPLICATION_CREDENTIALS)_$/,
    source: B,
  },
];

const NOT_SECRET_OPTIONS: readonly NameRule[] = [
  {
    id: 'not-secret-option-prefix',
    summary:
      'options that switch or size something rather than take a secret: first segment NO, ASK, PROMPT, USE, REQUIRE, SKIP, MAX, MIN, NUM, HAS, IS, ENABLE, DISABLE, SHOW, PRINT, GENERATE (`--no-password`, `--ask-pass`, `--max-tokens`)',
    pattern: /^_(?:NO|ASK|PROMPT|USE|REQUIRE|SKIP|MAX|MIN|NUM|HAS|IS|ENABLE|DISABLE|SHOW|PRINT|GENERATE)_/,
    source: B,
  },
  {
    id: 'not-secret-option-id',
    summary:
      'options naming a secret rather than holding it: last segment ID, IDS or ARN (`--secret-id`, `--kms-key-id`, `--secret-arn`)',
    pattern: /_(?:IDS?|ARN)_$/,
    source: B,
  },
  {
    id: 'not-secret-jobserver',
    summary:
      'the make jobserver’s `--jobserver-auth=R,W` / `=fifo:PATH` (in `MAKEFLAGS` and make’s argv): file descriptors, not a secret',
    pattern: /^_JOBSERVER_AUTH_$/,
    source: B,
  },
  {
    id: 'not-secret-option-key',
    summary: '`--key` and `--keys` alone: a key file, a key id or a lookup key far more often than a secret',
    pattern: /^_KEYS?_$/,
    source: B,
  },
];

/** 40 base64 characters with upper, lower case and digits, at most two `/`, not a path. */
export function awsSecretShape(secret: string): boolean {
  if (!/[a-z]/.test(secret) || !/[A-Z]/.test(secret) || !/[0-9]/.test(secret)) return false;
  return !secret.startsWith('/') && (secret.match(/\//g)?.length ?? 0) <= 2;
}

function looksLikeAwsSecret(secret: string, whole: string): boolean {
  if (!awsSecretShape(secret)) return false;
  return /(?:^|[^A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?:[^A-Z0-9]|$)|aws|secret/i.test(whole);
}

const VALUE_RULES: readonly ValueRule[] = [
  {
    id: 'pem-private-key',
    summary:
      'the body of a PEM private key block (`-----BEGIN … PRIVATE KEY-----` to its END line, or to the end of a cut string); the BEGIN and END lines stay',
    pattern:
      /-----BEGIN (?<kind>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----(?<secret>[\s\S]+?)(?=-----END \k<kind>-----|$)/dg,
    hints: ['private key'],
    source: B,
  },
  {
    id: 'authorization-header',
    summary:
      "the credential of an `Authorization:` or `Proxy-Authorization:` header (after its scheme: Bearer, Basic, Token, Digest…), as in `-H 'Authorization: Bearer …'`",
    pattern:
      /\b(?:Proxy-)?Authorization\s*[:=]\s*(?:(?:Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|OAuth|AWS4-HMAC-SHA256|GoogleLogin)\s+)?(?<secret>[^\s'"]+)/dgi,
    hints: ['authorization'],
    source: B,
  },
  {
    id: 'cookie-header',
    summary: 'the value of a `Cookie:` or `Set-Cookie:` header, up to the end of the line or a quote',
    pattern: /\b(?:Set-)?Cookie\s*:\s*(?<secret>[^'"\r\n]+)/dgi,
    hints: ['cookie'],
    source: B,
  },
  {
    id: 'token-header',
    summary:
      'the value of a header named like a token or key: `X-…Token`, `X-…Key`, `X-…Secret`, `X-…Auth…`, `Private-Token` (GitLab), `Api-Key`; at the start of a string or after a blank or quote',
    pattern:
      /(?<![^\s'"])(?:X-[A-Za-z0-9-]*(?:Token|Key|Secret|Auth)[A-Za-z0-9-]*|Private-Token|Api-Key)\s*:\s*(?<secret>[^\s'"]+)/dgi,
    hints: ['token', 'key', 'secret', 'auth'],
    source: B,
  },
  {
    id: 'url-password',
    summary: 'the password of a URL with credentials, `scheme://user:PASSWORD@host` (the user name stays)',
    pattern: /\b[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:/@?#'"‹]*:(?<secret>[^\s@/?#'"‹]+)@/dg,
    hints: ['://'],
    source: B,
  },
  {
    id: 'github-token',
    summary:
      'GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` followed by 36 or more letters and digits; `github_pat_…`',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/dg,
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    source: B,
  },
  {
    id: 'gitlab-token',
    summary:
      'GitLab tokens: `glpat-`, `gldt-`, `glrt-`, `glptt-`, `glcbt-`, `gloas-` followed by 20 or more characters',
    pattern: /(?<![A-Za-z0-9_-])(?:glpat|gldt|glrt|glptt|glcbt|gloas)-[A-Za-z0-9_-]{20,255}/dg,
    hints: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-', 'gloas-'],
    source: B,
  },
  {
    id: 'aws-access-key-id',
    summary: 'AWS access key ids: `AKIA`, `ASIA`, `ABIA`, `ACCA` followed by 16 upper-case letters and digits',
    pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/dg,
    hints: ['akia', 'asia', 'abia', 'acca'],
    source: B,
  },
  {
    id: 'aws-secret-key',
    summary:
      'AWS secret access keys: 40 base64 characters (upper and lower case and digits, at most two `/`) in a string, or as a whole argument of a command line, that also holds an AWS key id or the word `aws` or `secret`',
    pattern: /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/dg,
    accept: looksLikeAwsSecret,
    hints: ['aws', 'secret', 'akia', 'asia'],
    source: B,
  },
  {
    id: 'slack-token',
    summary:
      'Slack tokens: `xoxa-`, `xoxb-`, `xoxp-`, `xoxo-`, `xoxs-`, `xoxr-`, `xoxe-`, `xapp-` followed by 10 or more characters',
    pattern: /(?<![A-Za-z0-9])(?:xox[aboprse]|xapp)-[A-Za-z0-9-]{10,255}/dg,
    hints: ['xox', 'xapp-'],
    source: B,
  },
  {
    id: 'webhook-url',
    summary:
      'the secret path of Slack (`hooks.slack.com/services/…`) and Discord (`discord.com/api/webhooks/…`) webhook URLs',
    pattern:
      /(?:hooks\.slack\.com\/(?:services|workflows|triggers)\/|discord(?:app)?\.com\/api\/webhooks\/)(?<secret>[A-Za-z0-9/_-]{8,})/dg,
    hints: ['hooks.slack.com/', '/api/webhooks/'],
    source: B,
  },
  {
    id: 'jwt',
    summary: 'JSON Web Tokens: `eyJ…` header, `.eyJ…` payload and the signature (possibly empty)',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/dg,
    hints: ['eyj'],
    source: B,
  },
  {
    id: 'npm-token',
    summary: 'npm access tokens: `npm_` followed by 36 letters and digits',
    pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/dg,
    hints: ['npm_'],
    source: B,
  },
  {
    id: 'other-token',
    summary:
      'other well-known token shapes: Stripe `sk_live_`/`rk_live_`, Google API keys `AIza…`, Docker Hub `dckr_pat_`, PyPI `pypi-AgEIcHlwaS5vcmc…`, Hugging Face `hf_…`, Anthropic `sk-ant-…`, OpenAI `sk-proj-…`',
    pattern:
      /(?<![A-Za-z0-9_-])(?:[sr]k_live_[A-Za-z0-9]{16,255}|AIza[A-Za-z0-9_-]{35}|dckr_pat_[A-Za-z0-9_-]{20,255}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}|hf_[A-Za-z]{34}|sk-ant-[A-Za-z0-9_-]{20,255}|sk-proj-[A-Za-z0-9_-]{20,255})(?![A-Za-z0-9_-])/dg,
    hints: ['k_live_', 'aiza', 'dckr_pat_', 'pypi-', 'hf_', 'sk-ant-', 'sk-proj-'],
    source: B,
  },
];

const MYSQL_TOOLS = [
  'mysql',
  'mysqldump',
  'mysqladmin',
  'mysqlimport',
  'mysqlshow',
  'mysqlcheck',
  'mysqlpump',
  'mysqlbinlog',
  'mysqlslap',
  'mysqlsh',
  'mariadb',
  'mariadb-dump',
  'mariadb-admin',
  'mariadb-import',
  'mariadb-show',
  'mariadb-check',
  'mariadb-binlog',
  'mariadb-slap',
];

const TOOL_RULES: readonly ToolRule[] = [
  {
    id: 'mysql-password',
    summary: `\`-pSECRET\` of MySQL and MariaDB clients (${MYSQL_TOOLS.map((t) => `\`${t}\``).join(', ')}); \`-p\` alone prompts and \`--password\` takes a value only with \`=\` (the next argument is the database)`,
    tools: MYSQL_TOOLS,
    flags: ['-p'],
    attached: true,
    separate: false,
    part: 'whole',
    equalsOnly: ['--password', '--pass'],
    source: B,
  },
  {
    id: 'curl-user',
    summary:
      'the password part of `-u user:password`, `--user`, `-U`, `--proxy-user` of `curl` (a user without `:` stays; curl prompts)',
    tools: ['curl'],
    flags: ['-u', '--user', '-U', '--proxy-user'],
    attached: true,
    separate: true,
    part: 'after-colon',
    source: B,
  },
  {
    id: 'curl-cookie',
    summary: '`-b`/`--cookie` of `curl` when the value holds `=` (cookie data; otherwise it names a file)',
    tools: ['curl'],
    flags: ['-b', '--cookie'],
    attached: true,
    separate: true,
    part: 'whole',
    valueContains: '=',
    source: B,
  },
  {
    id: 'sshpass',
    summary: '`-p PASSWORD` and `-pPASSWORD` of `sshpass`',
    tools: ['sshpass'],
    flags: ['-p'],
    attached: true,
    separate: true,
    part: 'whole',
    source: B,
  },
  {
    id: 'redis-password',
    summary: '`-a PASSWORD` of `redis-cli`',
    tools: ['redis-cli', 'valkey-cli'],
    flags: ['-a'],
    attached: false,
    separate: true,
    part: 'whole',
    source: B,
  },
  {
    id: 'mongo-password',
    summary:
      '`-p PASSWORD` of the MongoDB tools (`mongo`, `mongosh`, `mongodump`, `mongorestore`, `mongoexport`, `mongoimport`)',
    tools: ['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport'],
    flags: ['-p'],
    attached: true,
    separate: true,
    part: 'whole',
    source: B,
  },
  {
    id: 'mssql-password',
    summary: '`-P PASSWORD` of `sqlcmd`, `bcp`, `osql`',
    tools: ['sqlcmd', 'bcp', 'osql'],
    flags: ['-P'],
    attached: true,
    separate: true,
    part: 'whole',
    source: B,
  },
  {
    id: 'ldap-password',
    summary:
      '`-w PASSWORD` of the OpenLDAP clients (`ldapsearch`, `ldapadd`, `ldapmodify`, `ldapdelete`, `ldapwhoami`, …)',
    tools: [
      'ldapsearch',
      'ldapadd',
      'ldapmodify',
      'ldapdelete',
      'ldapwhoami',
      'ldappasswd',
      'ldapcompare',
      'ldapmodrdn',
    ],
    flags: ['-w'],
    attached: false,
    separate: true,
    part: 'whole',
    source: B,
  },
  {
    id: 'registry-login',
    summary:
      '`-p PASSWORD` of `docker login`, `podman login`, `helm registry login` and the like (elsewhere `-p` publishes a port)',
    tools: ['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm'],
    requires: 'login',
    flags: ['-p'],
    attached: false,
    separate: true,
    part: 'whole',
    source: B,
  },
  {
    id: 'openssl-pass',
    summary:
      'the `pass:SECRET` form of `-passin`, `-passout`, `-pass` of `openssl` (`env:`, `file:`, `fd:`, `stdin` stay)',
    tools: ['openssl'],
    flags: ['-passin', '-passout', '-pass'],
    attached: false,
    separate: true,
    part: 'after-pass-prefix',
    source: B,
  },
];

export function builtinRules(): RuleSet {
  return {
    version: RULESET_VERSION,
    names: NAME_RULES,
    notSecretNames: NOT_SECRET_NAMES,
    notSecretOptions: NOT_SECRET_OPTIONS,
    keep: new Set(),
    values: VALUE_RULES,
    tools: TOOL_RULES,
    sources: [B],
  };
}

/** The generic rules that are not in the tables above (documented with them). */
export const GENERIC_RULE_DOCS: readonly { id: string; summary: string }[] = [
  {
    id: '(name rule) --NAME VALUE',
    summary:
      'a long option whose name a name rule matches (`--password=X`, `--password X`, `-token X`): the value is replaced under that name rule’s id; a separate value starting with `-` is not taken, nor a value that looks like a file (starting with `/`, `./`, `../`, `~/`, or ending in a key-file extension: `.pem`, `.key`, `.crt`, `.p12`, `.json`…)',
  },
  {
    id: '(name rule) NAME=VALUE',
    summary:
      '`NAME=value` inside any string (`env GH_PAT=…`, `sh -c "PGPASSWORD=… psql"`, `?access_token=…`, `mount -o password=…`): the value (quoted, or up to a blank, `&`, `;`, `|`, `,` or `#`) is replaced under the name rule’s id, unless it looks like a file',
  },
];
