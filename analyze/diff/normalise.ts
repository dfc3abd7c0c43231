// The parts of a command line (or an environment value, or a path) that
// change from one run to the next by themselves, replaced by placeholders so
// that two runs of the same work compare equal. Used to match processes
// (align.ts) and to decide whether argv, env values and paths really differ;
// the reports always show the original text. docs/diff.md lists the rules.
//
// Each rule is one regular expression over one string, applied in this
// order (earlier rules win, since their placeholders no longer match later ones):
//   <uuid>  8-4-4-4-12 hex digits
//   <time>  ISO 8601 date-times (2026-12-06T10:21:18Z, 2026-12-06 10:21:18.5+01:00),
//           compact stamps 20261206T102118 / 20261206-102118, Unix times in
//           s/ms/µs/ns from 2001 to 2033 (10, 13, 16 or 19 digits starting 1)
//   <tmp>   in a path under a temporary directory (/tmp/, /var/tmp/, /dev/shm/,
//           /run/user/N/): in its file name, every run of 6 or more letters
//           and digits (mkstemp's XXXXXX may well be all lower case:
//           /tmp/ccAbC123.s and /tmp/cccpwrxd.s → /tmp/<tmp>.s); in its
//           directories, such runs that mix at least two of lower case, upper
//           case and digits (/tmp/build-Rq81zP/ but not /tmp/build/);
//           digit runs of 3+ anywhere in it → <n>
//   <hex>   a run of 8 or more hex digits with at least one digit and one
//           letter a-f (hashes, addresses, build ids; 0x prefix kept)
//   <pid>   /proc/N/, and the number after pid/ppid/tid (pid=N, --pid N, pid:N)
//   <port>  a port from 1024 up (the ones picked at run time; 80, 443 stay)
//           in host:port (localhost, an IPv4 address, [IPv6], a DNS name
//           ending in 2+ letters, so main.c:1200 is not one) and after
//           --port (=N, :N, or as the next argument)
// Everything else is left as it is: -O2, -j4, file12.c, v1.2.3, ordinary words.

export const PLACEHOLDERS = ['<uuid>', '<time>', '<tmp>', '<n>', '<hex>', '<pid>', '<port>'] as const;

const UUID = /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g;
const ISO_TIME =
  /\b\d{4}-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:Z|[+-][0-2]\d:?[0-5]\d)?(?![\d:])/g;
const COMPACT_TIME = /\b(?:19|20)\d{2}[01]\d[0-3]\d[T_-]?[0-2]\d[0-5]\d[0-5]\d(?:\d{1,9})?\b/g;
// 1,000,000,000 s (2001) … 1,999,999,999 s (2033) in s, ms, µs or ns.
const UNIX_TIME = /(?<![\d.])1\d{9}(?:\d{3}){0,3}(?![\d.])/g;
const HEX = /(?<![0-9A-Za-z])(?:0x)?(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}(?![0-9A-Za-z])/g;
const TMP_PATH = /(?:^|(?<=[=:,\s'"]|^-[A-Za-z]))(?:\/tmp|\/var\/tmp|\/dev\/shm|\/run\/user\/\d+)\/[^\s:,;'"]*/g;
const TMP_RANDOM = /(?<![A-Za-z0-9])[A-Za-z0-9]{6,}(?![A-Za-z0-9])|[A-Za-z0-9]*?(\d{3,})/g;
const PROC_PID = /(?<=\/proc\/)\d+(?=\/|$)/g;
const PID_WORD = /(?<=\b(?:pid|ppid|tid|PID|PPID|TID)(?:=|:| |_))\d+\b/g;
// Ports from 1024 up (those picked at run time); a DNS name needs a top-level label of 2+ letters (main.c:1200 is a line).
const HOST_PORT =
  /(?<=(?:\blocalhost|\b\d{1,3}(?:\.\d{1,3}){3}|\]|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}):)(?:10[2-9]\d|1[1-9]\d\d|[2-9]\d{3}|[1-5]\d{4}|6[0-5]\d{3})(?!\d|\.\d)/g;
const PORT_OPTION = /(?<=(?:^|\s|-)-?port(?:=|:))\d{4,5}\b/g;

/** Whether a run of letters and digits looks random: at least two of lower case, upper case, digits. */
function mixed(run: string): boolean {
  const lower = /[a-z]/.test(run) ? 1 : 0;
  const upper = /[A-Z]/.test(run) ? 1 : 0;
  const digit = /\d/.test(run) ? 1 : 0;
  return lower + upper + digit >= 2;
}

function normaliseTmpPath(path: string): string {
  // The directory part stays (/tmp/, /run/user/1000/ are not random); the rest is checked run by run:
  // in directories, runs that look random (mixed); in the file name, every run of 6 or more.
  const slash = path.indexOf('/', path.startsWith('/run/user/') ? '/run/user/'.length : 1);
  const head = path.slice(0, slash + 1);
  const rest = path.slice(slash + 1);
  const nameAt = rest.lastIndexOf('/') + 1;
  const runs = (part: string, inName: boolean): string =>
    part.replace(TMP_RANDOM, (run: string, digits: string | undefined) => {
      if (digits !== undefined) return `${run.slice(0, run.length - digits.length)}<n>`;
      if (/^\d+$/.test(run)) return '<n>';
      return inName || mixed(run) ? '<tmp>' : run;
    });
  return head + runs(rest.slice(0, nameAt), false) + runs(rest.slice(nameAt), true);
}

const DIGIT = /\d/;

/** Results of normalise, for the strings every command repeats (-O2, -c, paths); cleared when full. */
const memo = new Map<string, string>();
const MEMO_MAX = 100_000;

/** One string with its volatile parts replaced (see the rules above). Pure; no size-dependent recursion. */
export function normalise(s: string): string {
  // Without a digit or a slash no rule applies.
  if (!DIGIT.test(s) && !s.includes('/')) return s;
  let out = memo.get(s);
  if (out !== undefined) return out;
  out = normaliseUncached(s);
  if (s.length <= 4096) {
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(s, out);
  }
  return out;
}

function normaliseUncached(s: string): string {
  let out = s;
  if (DIGIT.test(out)) {
    out = out.replace(UUID, '<uuid>');
    out = out.replace(ISO_TIME, '<time>');
    out = out.replace(COMPACT_TIME, '<time>');
    out = out.replace(UNIX_TIME, '<time>');
  }
  if (out.includes('/')) {
    out = out.replace(TMP_PATH, normaliseTmpPath);
    out = out.replace(PROC_PID, '<pid>');
  }
  if (DIGIT.test(out)) out = out.replace(HEX, (m) => (m.startsWith('0x') ? '0x<hex>' : '<hex>'));
  if (DIGIT.test(out)) {
    out = out.replace(PID_WORD, '<pid>');
    out = out.replace(HOST_PORT, '<port>');
    out = out.replace(PORT_OPTION, '<port>');
  }
  return out;
}

/** An argument list normalised; a number after a separate `--port`/`--pid` argument counts as its value. */
export function normaliseArgv(argv: readonly string[]): string[] {
  const out = new Array<string>(argv.length);
  for (let i = 0; i < argv.length; i++) {
    const prev = i > 0 ? argv[i - 1]! : '';
    const a = argv[i]!;
    out[i] =
      /^--?(?:port|pid|ppid)$/.test(prev) && /^\d{1,7}$/.test(a)
        ? prev.endsWith('port')
          ? '<port>'
          : '<pid>'
        : normalise(a);
  }
  return out;
}
