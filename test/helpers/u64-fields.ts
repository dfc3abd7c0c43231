// Every u64 field of every record type, with its offset in the record, taken
// from formats/layout.ts (generated from ptrace.h by the C compiler).

import { ANCHOR, EXIT, FOOTER, HEAD, RT, RUSAGE, STRUCTS } from '../../formats/layout.ts';

export interface U64Field {
  type: number;
  typeName: string;
  field: string;
  off: number;
}

const PAYLOADS: [string, number][] = [
  ['pt_fork', RT.FORK],
  ['pt_exec', RT.EXEC],
  ['pt_open', RT.OPEN],
  ['pt_hist', RT.HIST],
  ['pt_tcp', RT.TCP],
  ['pt_dns', RT.DNS],
  ['pt_data', RT.DATA],
  ['pt_loss', RT.LOSS],
  ['pt_footer', RT.FOOTER],
];

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(RT).map(([k, v]) => [v, k.toLowerCase()]));

/** (record type, field, offset from the record start) of every 8-byte integer, head fields included. */
export function u64Fields(): U64Field[] {
  const out: U64Field[] = [];
  const add = (type: number, field: string, off: number): void => {
    out.push({ type, typeName: NAMES[type]!, field, off });
  };
  for (const type of Object.values(RT)) {
    add(type, 'head.ts', HEAD.ts);
    add(type, 'head.start', HEAD.start);
  }
  for (const [struct, type] of PAYLOADS) {
    for (const [name, f] of Object.entries(STRUCTS[struct]!.fields)) {
      if (f.size === 8) add(type, name, f.off);
    }
  }
  for (const [name, off] of Object.entries(RUSAGE)) add(RT.EXIT, `rusage.${name}`, EXIT.rusage + off);
  for (const [name, off] of Object.entries(ANCHOR)) add(RT.FOOTER, `stop.${name}`, FOOTER.stop + off);
  return out;
}
