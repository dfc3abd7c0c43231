// DNS messages (PT_D_DNS_MSG) are binary: a marker would change the wire
// format. A label of a question name in which the rules find a secret is
// overwritten with 'x' instead, keeping its length, so the message still
// parses and its other labels read as before. (Answers name the question
// through compression pointers.)

const HEADER = 12;

/** `msg` with each question label `secret(label)` flags overwritten by 'x' bytes (a copy when any is). */
export function maskQuestionLabels(msg: Buffer, secret: (label: string) => boolean): Buffer {
  if (msg.length < HEADER) return msg;
  let out: Buffer | null = null;
  const questions = msg.readUInt16BE(4);
  let off = HEADER;
  for (let q = 0; q < questions && off < msg.length; q++) {
    // labels up to the root (0) or a compression pointer; every step moves forward
    while (off < msg.length) {
      const len = msg[off]!;
      if (len === 0) {
        off += 1;
        break;
      }
      if ((len & 0xc0) !== 0) {
        off += 2;
        break;
      }
      const end = Math.min(off + 1 + len, msg.length);
      if (secret(msg.toString('latin1', off + 1, end))) {
        out ??= Buffer.from(msg);
        out.fill(0x78, off + 1, end);
      }
      off = end;
    }
    off += 4; // type, class
  }
  return out ?? msg;
}
