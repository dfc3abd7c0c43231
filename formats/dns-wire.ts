// DNS messages in RFC 1035 wire format, as captured on UDP port 53. The bytes
// may come from anywhere, so parsing never throws, always ends, and allocates
// in proportion to the input: it stops at the first malformation, says why in
// `error`, and keeps what it parsed before it.

import { ipAddress } from './names.ts';

export interface DnsQuestion {
  name: string;
  type: number;
  typeName: string;
  class: number;
}

export interface DnsRecord {
  section: 'answer' | 'authority' | 'additional';
  name: string;
  type: number;
  typeName: string;
  class: number;
  ttl: number;
  /** A/AAAA: address text (IPv6 in the canonical RFC 5952 form, e.g. `::1`, `2001:db8::1`); CNAME/NS/PTR: the name; MX: `10 mail.example`-style "pref name"; TXT: the strings joined with spaces, JSON-escaped if not printable ASCII; SOA: "mname rname serial refresh retry expire minimum"; OPT and others: `\# <len> <hex>` (RFC 3597 generic form, hex capped at 64 bytes then `…`) */
  data: string;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  /** NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED …, else `RCODE<n>` */
  rcode: number;
  rcodeName: string;
  questions: DnsQuestion[];
  records: DnsRecord[];
  /** counts from the header, as declared (may exceed what was parsed) */
  counts: { questions: number; answers: number; authorities: number; additionals: number };
  /** null when the whole message parsed; otherwise why parsing stopped, e.g. `truncated in answer 2 at byte 57`, `compression loop at byte 40` */
  error: string | null;
}

type Section = DnsRecord['section'];

const MAX_LABEL_BYTES = 63;
const MAX_NAME_BYTES = 255;
// Pointers must already go backwards, which ends loops; the cap keeps a long
// chain of pointers from being walked again for every name that uses it.
const MAX_POINTERS_PER_NAME = 128;
const MAX_HEX_BYTES = 64;
const MAX_CNAME_CHAIN = 16;

const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28 } as const;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  10: 'NULL',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  17: 'RP',
  18: 'AFSDB',
  24: 'SIG',
  25: 'KEY',
  28: 'AAAA',
  29: 'LOC',
  33: 'SRV',
  35: 'NAPTR',
  39: 'DNAME',
  41: 'OPT',
  43: 'DS',
  44: 'SSHFP',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  249: 'TKEY',
  250: 'TSIG',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};

const RCODE_NAMES: readonly string[] = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  'DSOTYPENI',
];

/** A NS CNAME SOA PTR MX TXT AAAA SRV OPT HTTPS SVCB ANY …, else `TYPE<n>`. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

const rcodeName = (rcode: number): string => RCODE_NAMES[rcode] ?? `RCODE${rcode}`;

/** Why parsing stopped; caught in parseDnsMessage, never seen outside. */
class Malformed extends Error {}

class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;
  /** Reads must end by here: the end of the message, or of the rdata being read. */
  end: number;
  /** What is being read, for errors: `header`, `question 1`, `answer 2 rdata`… */
  where = 'header';

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  need(count: number, at = this.pos, end = this.end): void {
    if (at + count > end) throw new Malformed(`truncated in ${this.where} at byte ${at}`);
  }

  u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.pos);
    this.pos += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }
}

export function parseDnsMessage(bytes: Uint8Array): DnsMessage {
  const m: DnsMessage = {
    id: 0,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: false,
    recursionAvailable: false,
    rcode: 0,
    rcodeName: rcodeName(0),
    questions: [],
    records: [],
    counts: { questions: 0, answers: 0, authorities: 0, additionals: 0 },
    error: null,
  };
  const r = new Reader(bytes);
  try {
    m.id = r.u16();
    const flags = r.u16();
    m.response = (flags & 0x8000) !== 0;
    m.opcode = (flags >> 11) & 0xf;
    m.authoritative = (flags & 0x0400) !== 0;
    m.truncated = (flags & 0x0200) !== 0;
    m.recursionDesired = (flags & 0x0100) !== 0;
    m.recursionAvailable = (flags & 0x0080) !== 0;
    m.rcode = flags & 0xf;
    m.rcodeName = rcodeName(m.rcode);
    m.counts.questions = r.u16();
    m.counts.answers = r.u16();
    m.counts.authorities = r.u16();
    m.counts.additionals = r.u16();
    // Every item takes at least one byte, so running out of bytes ends these
    // loops whatever the counts say.
    for (let i = 1; i <= m.counts.questions; i++) m.questions.push(readQuestion(r, i));
    const sections: Array<[Section, number]> = [
      ['answer', m.counts.answers],
      ['authority', m.counts.authorities],
      ['additional', m.counts.additionals],
    ];
    for (const [section, count] of sections) {
      for (let i = 1; i <= count; i++) m.records.push(readRecord(r, section, i));
    }
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    m.error = e.message;
  }
  return m;
}

function readQuestion(r: Reader, index: number): DnsQuestion {
  r.where = `question ${index}`;
  const name = readName(r);
  r.need(4);
  const type = r.u16();
  return { name, type, typeName: dnsTypeName(type), class: r.u16() };
}

function readRecord(r: Reader, section: Section, index: number): DnsRecord {
  r.where = `${section} ${index}`;
  const name = readName(r);
  r.need(10);
  const type = r.u16();
  const klass = r.u16();
  const ttl = r.u32();
  const length = r.u16();
  r.need(length);
  return { section, name, type, typeName: dnsTypeName(type), class: klass, ttl, data: readRdata(r, type, length) };
}

/** The rdata at r.pos as text; reads within it cannot run past its length. */
function readRdata(r: Reader, type: number, length: number): string {
  const start = r.pos;
  const outer = { end: r.end, where: r.where };
  const wrongLength = (expected: number) =>
    new Malformed(
      `${dnsTypeName(type)} rdata of ${length} bytes at byte ${start} in ${outer.where} (expected ${expected})`,
    );
  r.end = start + length;
  r.where = `${outer.where} rdata`;
  let data: string;
  switch (type) {
    case TYPE.A:
    case TYPE.AAAA: {
      const size = type === TYPE.A ? 4 : 16;
      if (length !== size) throw wrongLength(size);
      data = ipAddress(type === TYPE.A ? 2 : 10, r.bytes.subarray(start, start + size));
      r.pos += size;
      break;
    }
    case TYPE.CNAME:
    case TYPE.NS:
    case TYPE.PTR:
      data = readName(r);
      break;
    case TYPE.MX: {
      const preference = r.u16();
      data = `${preference} ${readName(r)}`;
      break;
    }
    case TYPE.SOA: {
      const names = [readName(r), readName(r)];
      r.need(20);
      const numbers = Array.from({ length: 5 }, () => r.u32());
      data = [...names, ...numbers].join(' ');
      break;
    }
    case TYPE.TXT: {
      const strings: string[] = [];
      while (r.pos < r.end) {
        r.need(1);
        const size = r.bytes[r.pos]!;
        r.need(1 + size);
        strings.push(characterString(r.bytes.subarray(r.pos + 1, r.pos + 1 + size)));
        r.pos += 1 + size;
      }
      data = strings.join(' ');
      break;
    }
    default:
      data = genericRdata(r.bytes.subarray(start, start + length));
      r.pos += length;
  }
  if (r.pos !== r.end) throw wrongLength(r.pos - start);
  r.end = outer.end;
  r.where = outer.where;
  return data;
}

/**
 * The name at r.pos in presentation form (no trailing dot; the root is `.`),
 * leaving r.pos after its in-place part. That part must lie within r.end;
 * compression pointers may lead anywhere earlier in the message.
 */
function readName(r: Reader): string {
  const { bytes } = r;
  const start = r.pos;
  const labels: string[] = [];
  let wireLength = 1; // the root label that ends every name
  let pos = start;
  let end = r.end;
  let resumeAt = -1; // after the first pointer, if any
  // Each pointer must lead before the stretch of bytes being read, so the
  // stretches move strictly backwards and cannot loop.
  let stretchStart = start;
  const stretches: Array<[number, number]> = [];
  for (;;) {
    r.need(1, pos, end);
    const length = bytes[pos]!;
    if (length === 0) {
      pos += 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      r.need(2, pos, end);
      const target = ((length & 0x3f) << 8) | bytes[pos + 1]!;
      if (resumeAt < 0) resumeAt = pos + 2;
      stretches.push([stretchStart, pos + 2]);
      if (target >= bytes.length) throw new Malformed(`pointer to byte ${target} past the end at byte ${pos}`);
      if (target >= stretchStart) {
        const seen = stretches.some(([from, to]) => target >= from && target < to);
        throw new Malformed(
          seen ? `compression loop at byte ${pos}` : `forward pointer to byte ${target} at byte ${pos}`,
        );
      }
      if (stretches.length > MAX_POINTERS_PER_NAME) {
        throw new Malformed(`more than ${MAX_POINTERS_PER_NAME} compression pointers in the name at byte ${start}`);
      }
      pos = stretchStart = target;
      end = bytes.length;
      continue;
    }
    // 0x40-0x7f may be meant as label type 0x40 (the extended label types of
    // RFC 2671) or as an over-long label: the wire cannot tell, and neither
    // can be read, so the error names the more likely one.
    if ((length & 0xc0) === 0x80) throw new Malformed(`label type 0x80 at byte ${pos}`);
    if (length > MAX_LABEL_BYTES)
      throw new Malformed(`label of ${length} bytes at byte ${pos} (max ${MAX_LABEL_BYTES})`);
    wireLength += 1 + length;
    if (wireLength > MAX_NAME_BYTES) throw new Malformed(`name longer than ${MAX_NAME_BYTES} bytes at byte ${start}`);
    r.need(1 + length, pos, end);
    labels.push(labelText(bytes.subarray(pos + 1, pos + 1 + length)));
    pos += 1 + length;
  }
  r.pos = resumeAt >= 0 ? resumeAt : pos;
  return labels.length > 0 ? labels.join('.') : '.';
}

/** A label with `.` and `\` escaped and bytes outside printable ASCII (space included) as `\DDD`. */
function labelText(label: Uint8Array): string {
  let text = '';
  for (const b of label) {
    if (b === 0x2e || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
    else if (b > 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else text += `\\${String(b).padStart(3, '0')}`;
  }
  return text;
}

/** A TXT string as is when printable ASCII, else as a JSON string literal with each byte one `\u00XX` code unit. */
function characterString(bytes: Uint8Array): string {
  const printable = (b: number) => b >= 0x20 && b < 0x7f;
  if (bytes.every(printable)) return String.fromCharCode(...bytes);
  let text = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
    else if (printable(b)) text += String.fromCharCode(b);
    else text += `\\u${b.toString(16).padStart(4, '0')}`;
  }
  return `${text}"`;
}

/** RFC 3597 `\# <length> <hex>`, the hex cut after MAX_HEX_BYTES. */
function genericRdata(rdata: Uint8Array): string {
  if (rdata.length === 0) return '\\# 0';
  const hex = Array.from(rdata.subarray(0, MAX_HEX_BYTES), (b) => b.toString(16).padStart(2, '0')).join('');
  return `\\# ${rdata.length} ${hex}${rdata.length > MAX_HEX_BYTES ? '…' : ''}`;
}

/** The addresses of A/AAAA answer records whose owner name is the question name or reached from it through the answer section's CNAME chain (chain length bounded). */
export function answerAddresses(m: DnsMessage): string[] {
  const question = m.questions[0];
  if (!question) return [];
  const answers = m.records.filter((r) => r.section === 'answer');
  // DNS names compare case-insensitively; presentation text is ASCII.
  const owners = new Set<string>();
  let owner = question.name.toLowerCase();
  while (!owners.has(owner) && owners.size <= MAX_CNAME_CHAIN) {
    owners.add(owner);
    const alias = owner;
    const cname = answers.find((r) => r.type === TYPE.CNAME && r.name.toLowerCase() === alias);
    if (!cname) break;
    owner = cname.data.toLowerCase();
  }
  return answers
    .filter((r) => (r.type === TYPE.A || r.type === TYPE.AAAA) && owners.has(r.name.toLowerCase()))
    .map((r) => r.data);
}
