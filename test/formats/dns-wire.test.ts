// DNS wire-format parsing: well-formed messages field by field, then hostile
// ones (truncations, pointer loops, over-long labels and names, lying counts,
// seeded random mutations) that must end in an exact error, never a throw.

import test from 'ava';
import type { DnsMessage } from '../../formats/dns-wire.ts';
import { answerAddresses, dnsTypeName, parseDnsMessage } from '../../formats/dns-wire.ts';
import { prng } from '../helpers/prng.ts';

const A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  NULL = 10,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  OPT = 41,
  HTTPS = 65;

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [...u16(Math.floor(n / 0x10000)), ...u16(n & 0xffff)];
const pointer = (offset: number): number[] => [0xc0 | (offset >> 8), offset & 0xff];
const ROOT = [0];
/** One length-prefixed label per element; each character is one byte (its char code). */
const labels = (name: string): number[][] =>
  name.split('.').map((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]);
/** A name ending with the root label or, when given, a pointer. */
const name = (text: string, end: number[] = ROOT): number[] => [...labels(text).flat(), ...end];

interface Header {
  id?: number;
  flags?: number;
  qd?: number;
  an?: number;
  ns?: number;
  ar?: number;
}
const header = ({ id = 0x1234, flags = 0x8180, qd = 0, an = 0, ns = 0, ar = 0 }: Header): number[] => [
  ...u16(id),
  ...u16(flags),
  ...u16(qd),
  ...u16(an),
  ...u16(ns),
  ...u16(ar),
];
const question = (owner: number[], type: number, klass = 1): number[] => [...owner, ...u16(type), ...u16(klass)];
/** type, class, ttl, rdata length: the fixed part of a record after its name. */
const fixed = (type: number, klass: number, ttl: number, rdlength: number): number[] => [
  ...u16(type),
  ...u16(klass),
  ...u32(ttl),
  ...u16(rdlength),
];
const record = (owner: number[], type: number, ttl: number, rdata: number[], klass = 1): number[] => [
  ...owner,
  ...fixed(type, klass, ttl, rdata.length),
  ...rdata,
];
const message = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

const IPV6_DOC_1 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];

interface Item {
  where: string;
  bytes: number[];
}
/**
 * A response with compression, a CNAME, A, AAAA and an OPT record, as the
 * units the parser reads at once, each named as a truncation in it is reported.
 */
function responseItems(): Item[] {
  const items: Item[] = [];
  const add = (where: string, ...parts: number[][]) => {
    for (const bytes of parts) items.push({ where, bytes });
  };
  add('header', u16(0xbeef), u16(0x8180), u16(1), u16(3), u16(0), u16(1));
  add('question 1', ...labels('www.example.com'), ROOT, [...u16(A), ...u16(1)]); // name at 12, "example.com" at 16
  add('answer 1', pointer(12), fixed(CNAME, 1, 300, 7), name('edge', pointer(16))); // rdata "edge.example.com" at 45
  add('answer 2', pointer(45), fixed(A, 1, 60, 4), [192, 0, 2, 7]);
  add('answer 3', pointer(45), fixed(AAAA, 1, 60, 16), IPV6_DOC_1);
  add('additional 1', ROOT, fixed(OPT, 1232, 0, 0));
  return items;
}
const response = (): Uint8Array => message(...responseItems().map((i) => i.bytes));

const RESPONSE_RECORDS = [
  {
    section: 'answer',
    name: 'www.example.com',
    type: CNAME,
    typeName: 'CNAME',
    class: 1,
    ttl: 300,
    data: 'edge.example.com',
  },
  { section: 'answer', name: 'edge.example.com', type: A, typeName: 'A', class: 1, ttl: 60, data: '192.0.2.7' },
  { section: 'answer', name: 'edge.example.com', type: AAAA, typeName: 'AAAA', class: 1, ttl: 60, data: '2001:db8::1' },
  { section: 'additional', name: '.', type: OPT, typeName: 'OPT', class: 1232, ttl: 0, data: '\\# 0' },
];

/** Mail domain, compressed every way: names in MX, NS, CNAME and SOA rdata, pointers to pointers. */
function compressedMessage(): Uint8Array {
  return message(
    header({ qd: 1, an: 5 }),
    question(name('example.com'), MX), //                             name at 12
    record(pointer(12), MX, 3600, [...u16(10), ...name('mail', pointer(12))]), // "mail.example.com" at 43
    record(pointer(12), NS, 3600, name('ns1', pointer(12))), //       "ns1.example.com" at 62
    record(name('www', pointer(12)), CNAME, 3600, pointer(43)), //    rdata at 84
    record(pointer(12), SOA, 3600, [
      ...pointer(62),
      ...name('hostmaster', pointer(12)),
      ...u32(2024010101),
      ...u32(7200),
      ...u32(3600),
      ...u32(1209600),
      ...u32(300),
    ]),
    record(pointer(12), TXT, 3600, [...labels('v=spf1 -all').flat(), ...labels('caf\xc3\xa9 "x"').flat()]),
  );
}

test('a query: header flags, the question, no records', (t) => {
  const query = message(header({ id: 0xbeef, flags: 0x0100, qd: 1 }), question(name('www.example.com'), AAAA));
  t.deepEqual(parseDnsMessage(query), {
    id: 0xbeef,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: false,
    rcode: 0,
    rcodeName: 'NOERROR',
    questions: [{ name: 'www.example.com', type: AAAA, typeName: 'AAAA', class: 1 }],
    records: [],
    counts: { questions: 1, answers: 0, authorities: 0, additionals: 0 },
    error: null,
  });
});

test('a response with a CNAME, A, AAAA and OPT, names compressed', (t) => {
  const m = parseDnsMessage(response());
  t.like(m, {
    id: 0xbeef,
    response: true,
    recursionDesired: true,
    recursionAvailable: true,
    rcodeName: 'NOERROR',
    error: null,
  });
  t.deepEqual(m.counts, { questions: 1, answers: 3, authorities: 0, additionals: 1 });
  t.deepEqual(m.questions, [{ name: 'www.example.com', type: A, typeName: 'A', class: 1 }]);
  t.deepEqual(m.records, RESPONSE_RECORDS);
  t.deepEqual(answerAddresses(m), ['192.0.2.7', '2001:db8::1']);
});

test('rcode and flag names: NXDOMAIN with its SOA, SERVFAIL, an unassigned rcode', (t) => {
  const soa = [
    ...name('ns1.example'),
    ...name('hostmaster.example'),
    ...u32(2024010101),
    ...u32(7200),
    ...u32(3600),
    ...u32(1209600),
    ...u32(300),
  ];
  const nx = parseDnsMessage(
    message(
      header({ flags: 0x8183, qd: 1, ns: 1 }),
      question(name('nope.example'), A),
      record(name('example'), SOA, 300, soa),
    ),
  );
  t.like(nx, { rcode: 3, rcodeName: 'NXDOMAIN', error: null });
  t.deepEqual(nx.records, [
    {
      section: 'authority',
      name: 'example',
      type: SOA,
      typeName: 'SOA',
      class: 1,
      ttl: 300,
      data: 'ns1.example hostmaster.example 2024010101 7200 3600 1209600 300',
    },
  ]);
  t.deepEqual(answerAddresses(nx), []);

  const servfail = parseDnsMessage(message(header({ flags: 0x8182, qd: 1 }), question(name('slow.example'), AAAA)));
  t.like(servfail, { rcode: 2, rcodeName: 'SERVFAIL', records: [], error: null });

  // QR, opcode 5 (UPDATE), AA, TC, rcode 12
  const odd = parseDnsMessage(message(header({ flags: 0xae0c })));
  t.like(odd, {
    response: true,
    opcode: 5,
    authoritative: true,
    truncated: true,
    recursionDesired: false,
    rcode: 12,
    rcodeName: 'RCODE12',
    error: null,
  });
});

test('compression pointers, names in MX, NS, CNAME and SOA rdata, TXT strings', (t) => {
  const m = parseDnsMessage(compressedMessage());
  t.is(m.error, null);
  t.deepEqual(
    m.records.map((r) => [r.name, r.typeName, r.data]),
    [
      ['example.com', 'MX', '10 mail.example.com'],
      ['example.com', 'NS', 'ns1.example.com'],
      ['www.example.com', 'CNAME', 'mail.example.com'],
      ['example.com', 'SOA', 'ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300'],
      ['example.com', 'TXT', 'v=spf1 -all "caf\\u00c3\\u00a9 \\"x\\""'],
    ],
  );
});

test('names: the root, escapes for dots, backslashes and unprintable bytes, 63-byte labels, 255-byte names', (t) => {
  const escaped = [3, 0x61, 0x2e, 0x62, 1, 0x5c, 3, 0x20, 0xff, 0x7f, 0];
  const names = (m: DnsMessage) => m.questions.map((q) => q.name);
  t.deepEqual(names(parseDnsMessage(message(header({ qd: 2 }), question(ROOT, NS), question(escaped, A)))), [
    '.',
    'a\\.b.\\\\.\\032\\255\\127',
  ]);
  const longest = Array<string>(127).fill('a').join('.'); // 127 × 2 + 1 = 255 bytes
  t.deepEqual(
    names(parseDnsMessage(message(header({ qd: 2 }), question(name('x'.repeat(63)), A), question(name(longest), A)))),
    ['x'.repeat(63), longest],
  );
});

test('answerAddresses follows the CNAME chain from the question, case-insensitively, and only so far', (t) => {
  const m = parseDnsMessage(
    message(
      header({ qd: 1, an: 6, ar: 1 }),
      question(name('a.example'), A),
      record(name('a.example'), CNAME, 60, name('B.example')),
      record(name('b.example'), CNAME, 60, name('c.example')),
      record(name('other.example'), A, 60, [10, 9, 9, 9]),
      record(name('C.EXAMPLE'), A, 60, [10, 0, 0, 3]),
      record(name('c.example'), AAAA, 60, IPV6_DOC_1),
      record(name('a.example'), A, 60, [10, 0, 0, 1]),
      record(name('c.example'), A, 60, [10, 0, 0, 99]), // additional section
    ),
  );
  t.is(m.error, null);
  t.deepEqual(answerAddresses(m), ['10.0.0.3', '2001:db8::1', '10.0.0.1']);

  const loop = parseDnsMessage(
    message(
      header({ qd: 1, an: 3 }),
      question(name('x'), A),
      record(name('x'), CNAME, 60, name('y')),
      record(name('y'), CNAME, 60, name('x')),
      record(name('y'), A, 60, [10, 1, 1, 1]),
    ),
  );
  t.deepEqual(answerAddresses(loop), ['10.1.1.1']);

  // n0 → n1 → … → n20: the question and 16 aliases are followed, no more.
  const chain = Array.from({ length: 20 }, (_, i) => record(name(`n${i}`), CNAME, 60, name(`n${i + 1}`)));
  const long = parseDnsMessage(
    message(
      header({ qd: 1, an: 22 }),
      question(name('n0'), A),
      ...chain,
      record(name('n16'), A, 60, [10, 0, 0, 16]),
      record(name('n17'), A, 60, [10, 0, 0, 17]),
    ),
  );
  t.deepEqual(answerAddresses(long), ['10.0.0.16']);
  t.deepEqual(answerAddresses(parseDnsMessage(new Uint8Array(0))), []);
});

test('type names, generic rdata in RFC 3597 form with the hex capped', (t) => {
  t.deepEqual([1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 64, 65, 255, 999].map(dnsTypeName), [
    'A',
    'NS',
    'CNAME',
    'SOA',
    'PTR',
    'MX',
    'TXT',
    'AAAA',
    'SRV',
    'OPT',
    'SVCB',
    'HTTPS',
    'ANY',
    'TYPE999',
  ]);
  const bytes70 = Array.from({ length: 70 }, (_, i) => i);
  const m = parseDnsMessage(
    message(
      header({ an: 2, ar: 1 }),
      record(name('svc.example'), HTTPS, 60, [0, 1, 0]),
      record(name('blob.example'), 65280, 60, bytes70),
      record(ROOT, OPT, 0, [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8], 1232),
    ),
  );
  t.is(m.error, null);
  const hex64 = bytes70
    .slice(0, 64)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  t.deepEqual(
    m.records.map((r) => [r.typeName, r.data]),
    [
      ['HTTPS', '\\# 3 000100'],
      ['TYPE65280', `\\# 70 ${hex64}…`],
      ['OPT', '\\# 12 000a00080102030405060708'],
    ],
  );
});

test('every truncation of a valid response stops at the item cut, keeping what came before', (t) => {
  const items = responseItems();
  const bytes = response();
  const full = parseDnsMessage(bytes);
  let offset = 0;
  const starts = items.map((i) => (offset += i.bytes.length) - i.bytes.length);
  t.is(offset, 107);
  for (let length = 0; length < bytes.length; length++) {
    const cut = items.findLastIndex((_, i) => starts[i]! <= length);
    const m = parseDnsMessage(bytes.subarray(0, length));
    t.is(m.error, `truncated in ${items[cut]!.where} at byte ${starts[cut]}`, `first ${length} bytes`);
    const finished = new Set(items.slice(0, cut).map((i) => i.where));
    finished.delete(items[cut]!.where);
    t.deepEqual(m.questions, finished.has('question 1') ? full.questions : [], `first ${length} bytes`);
    const records = [...finished].filter((w) => w !== 'header' && !w.startsWith('question')).length;
    t.deepEqual(m.records, full.records.slice(0, records), `first ${length} bytes`);
    t.is(m.id, length >= 2 ? 0xbeef : 0);
  }
});

test('short headers: the fields that fit, zeros for the rest', (t) => {
  t.deepEqual(parseDnsMessage(new Uint8Array(0)), {
    id: 0,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: false,
    recursionAvailable: false,
    rcode: 0,
    rcodeName: 'NOERROR',
    questions: [],
    records: [],
    counts: { questions: 0, answers: 0, authorities: 0, additionals: 0 },
    error: 'truncated in header at byte 0',
  });
  const five = parseDnsMessage(Uint8Array.of(0xab, 0xcd, 0x81, 0x83, 0x00));
  t.like(five, { id: 0xabcd, response: true, rcodeName: 'NXDOMAIN', error: 'truncated in header at byte 4' });
  t.deepEqual(five.counts, { questions: 0, answers: 0, authorities: 0, additionals: 0 });
});

test('counts larger than the data: header only, and one question of 65535', (t) => {
  const huge = { qd: 65535, an: 65535, ns: 65535, ar: 65535 };
  const bare = parseDnsMessage(message(header(huge)));
  t.deepEqual(bare.counts, { questions: 65535, answers: 65535, authorities: 65535, additionals: 65535 });
  t.like(bare, { questions: [], records: [], error: 'truncated in question 1 at byte 12' });
  const one = parseDnsMessage(message(header(huge), question(name('a'), A)));
  t.like(one, { error: 'truncated in question 2 at byte 19' });
  t.deepEqual(one.questions, [{ name: 'a', type: A, typeName: 'A', class: 1 }]);
});

test('compression loops: a pointer to itself, two pointers to each other', (t) => {
  t.like(parseDnsMessage(message(header({ qd: 1 }), question(pointer(12), A))), {
    questions: [],
    error: 'compression loop at byte 12',
  });
  // A label then a pointer back to it: the same loop, one label per turn.
  t.is(
    parseDnsMessage(message(header({ qd: 1 }), question(name('a', pointer(12)), A))).error,
    'compression loop at byte 14',
  );
  // Answer 2's name (at 32) points to 30, the rdata of answer 1, which points back to 32.
  const mutual = parseDnsMessage(
    message(
      header({ qd: 1, an: 2 }),
      question(name('a'), A),
      record(ROOT, NULL, 0, pointer(32)), // rdata at 30
      record(pointer(30), A, 0, [1, 2, 3, 4]),
    ),
  );
  t.is(mutual.error, 'compression loop at byte 30');
  t.deepEqual(
    mutual.records.map((r) => r.data),
    ['\\# 2 c020'],
  );
});

test('pointers forward, past the end, and too many of them', (t) => {
  t.is(
    parseDnsMessage(message(header({ qd: 1 }), question(pointer(18), A), name('a'))).error,
    'forward pointer to byte 18 at byte 12',
  );
  t.is(
    parseDnsMessage(message(header({ qd: 1 }), question(pointer(300), A))).error,
    'pointer to byte 300 past the end at byte 12',
  );
  t.is(
    parseDnsMessage(message(header({ qd: 1 }), question([0xff, 0xff], A))).error,
    'pointer to byte 16383 past the end at byte 12',
  );

  // Answer 1's rdata (at 28) is a chain of pointers, each to the one before,
  // the first to the root name at 12; answer 2's name points to the last.
  const chained = (pointers: number) => {
    const links = Array.from({ length: pointers - 1 }, (_, i) => pointer(i === 0 ? 12 : 28 + 2 * (i - 1))).flat();
    return parseDnsMessage(
      message(
        header({ qd: 1, an: 2 }),
        question(ROOT, A),
        record(ROOT, NULL, 0, links),
        record(pointer(28 + links.length - 2), NULL, 0, []),
      ),
    );
  };
  t.like(chained(128), { error: null });
  t.is(chained(128).records[1]!.name, '.');
  t.is(chained(129).error, `more than 128 compression pointers in the name at byte ${28 + 2 * 128}`);
});

test('over-long labels and names, reserved label types', (t) => {
  const q = (owner: number[]) => parseDnsMessage(message(header({ qd: 1 }), question(owner, A))).error;
  t.is(q([64, ...new Array<number>(64).fill(0x78), 0]), 'label of 64 bytes at byte 12 (max 63)');
  // 0x41 is an RFC 2673 bit-string label (type 0x40), the same byte as a 65-byte label.
  t.is(q([0x41, 0x08, 0xff, 0]), 'label of 65 bytes at byte 12 (max 63)');
  t.is(q([1, 0x61, 0x80, 0]), 'label type 0x80 at byte 14');
  t.is(q([0xbf, 0]), 'label type 0x80 at byte 12');
  t.is(q(name(Array<string>(128).fill('a').join('.'))), 'name longer than 255 bytes at byte 12');
  // 255 bytes at 12, then a name adding a label to it through a pointer.
  const longest = name(Array<string>(127).fill('a').join('.'));
  const m = parseDnsMessage(message(header({ qd: 2 }), question(longest, A), question(name('b', pointer(12)), A)));
  t.is(m.error, 'name longer than 255 bytes at byte 271');
  t.is(m.questions.length, 1);
});

test('rdata: wrong A and AAAA lengths, lengths past the end, content not matching the length', (t) => {
  // The question takes bytes 12-18, the answer's rdata starts at 31.
  const answer = (type: number, rdata: number[], declared = rdata.length) => {
    const bytes = message(
      header({ qd: 1, an: 1 }),
      question(name('a'), type),
      pointer(12),
      fixed(type, 1, 60, declared),
      rdata,
    );
    return parseDnsMessage(bytes);
  };
  t.like(answer(A, [1, 2, 3, 4]), { error: null, records: [{ data: '1.2.3.4' }] });
  t.is(answer(A, [1, 2, 3, 4, 5]).error, 'A rdata of 5 bytes at byte 31 in answer 1 (expected 4)');
  t.is(answer(A, [1, 2, 3]).error, 'A rdata of 3 bytes at byte 31 in answer 1 (expected 4)');
  t.is(answer(AAAA, [1, 2, 3, 4]).error, 'AAAA rdata of 4 bytes at byte 31 in answer 1 (expected 16)');
  t.like(answer(AAAA, [...new Array<number>(15).fill(0), 1]), { error: null, records: [{ data: '::1' }] });
  t.is(answer(A, [1, 2, 3, 4], 100).error, 'truncated in answer 1 at byte 31');
  t.is(answer(CNAME, [...name('b'), 0xaa]).error, 'CNAME rdata of 4 bytes at byte 31 in answer 1 (expected 3)');
  // The name runs on past the 3 declared bytes, into bytes that are there.
  t.is(answer(MX, [0, 10, 1, 0x62, 0], 3).error, 'truncated in answer 1 rdata at byte 33');
  t.is(answer(TXT, [5, 0x61], 2).error, 'truncated in answer 1 rdata at byte 31');
  t.like(answer(A, [1, 2, 3, 4]).questions, [{ name: 'a' }]);
});

test('20,000 mutated messages: always a message back, never a throw', (t) => {
  const SEED = 0xd45_2024;
  const MUTANTS = 20_000;
  const random = prng(SEED);
  const below = (n: number) => Math.floor(random() * n);
  // Bytes that mean something to the parser: pointers, label-type bits, the largest label, zero.
  const special = [0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0, 0xc0, 0xff];
  const bases = [
    response(),
    compressedMessage(),
    message(header({ flags: 0x0100, qd: 1 }), question(name('www.example.com'), A)),
  ];
  const failures: string[] = [];
  const errorKinds = new Set<string>();
  let complete = 0;
  for (let n = 0; n < MUTANTS; n++) {
    const base = bases[n % bases.length]!;
    let bytes = Uint8Array.from(base);
    for (let k = 1 + below(4); k > 0; k--) {
      const at = below(bytes.length);
      const op = below(3);
      if (op === 0) bytes[at] ^= 1 << below(8);
      else if (op === 1) bytes[at] = random() < 0.5 ? special[below(special.length)]! : below(256);
      else bytes = bytes.slice(0, at);
      if (bytes.length === 0) break;
    }
    try {
      const m = parseDnsMessage(bytes);
      answerAddresses(m);
      const declaredRecords = m.counts.answers + m.counts.authorities + m.counts.additionals;
      const ok =
        m.error === null
          ? m.questions.length === m.counts.questions && m.records.length === declaredRecords
          : typeof m.error === 'string' &&
            m.questions.length <= m.counts.questions &&
            m.records.length <= declaredRecords;
      // 255 wire bytes, each at most 4 characters (\DDD)
      const namesBounded = [...m.questions, ...m.records].every((x) => x.name.length <= 4 * 255);
      if (!ok || !namesBounded) failures.push(`mutant ${n}: inconsistent result ${JSON.stringify(m)}`);
      if (m.error === null) complete++;
      else errorKinds.add(m.error.replace(/\d+/g, 'N'));
    } catch (e) {
      failures.push(`mutant ${n} (seed ${SEED}): ${String(e)} for ${Buffer.from(bytes).toString('hex')}`);
    }
    if (failures.length >= 5) break;
  }
  t.deepEqual(failures, []);
  // The mutants reach both ends: clean parses and many different errors.
  t.true(complete > 100, `${complete} complete`);
  t.true(errorKinds.size >= 15, [...errorKinds].join('\n'));
});
