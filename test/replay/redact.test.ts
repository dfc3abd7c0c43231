// The parts of redaction that are not the rule set: DNS question labels
// masked in place, home directories and user names anonymized.

import test from 'ava';
import { maskQuestionLabels } from '../../analyze/redact/dns.ts';
import { PathAnonymizer } from '../../analyze/redact/paths.ts';
import { parseDnsMessage } from '../../formats/dns-wire.ts';

/** A query for `name` (type A, class IN), as a resolver sends it. */
function query(name: string): Buffer {
  const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, 'latin1')]);
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

test('DNS: a secret label is overwritten in place; the message still parses', (t) => {
  const token = 'ghp_Fake0123456789abcdefghijklmnopqrstuv';
  const msg = query(`${token}.tunnel.example.com`);
  const masked = maskQuestionLabels(msg, (label) => label.startsWith('ghp_'));
  t.is(masked.length, msg.length);
  t.false(masked.includes(token));
  const m = parseDnsMessage(masked);
  t.is(m.error, null);
  t.is(m.questions[0]?.name, `${'x'.repeat(token.length)}.tunnel.example.com`);
  t.deepEqual(
    maskQuestionLabels(query('www.example.com'), () => false),
    query('www.example.com'),
    'nothing secret: unchanged',
  );
});

test('DNS: damaged messages (cut, looping counts, pointers) end the walk without throwing', (t) => {
  const msg = query('a.example.com');
  for (let n = 0; n <= msg.length; n++) t.notThrows(() => maskQuestionLabels(msg.subarray(0, n), () => true));
  const many = Buffer.from(msg);
  many.writeUInt16BE(0xffff, 4);
  t.notThrows(() => maskQuestionLabels(many, () => true));
  const pointer = Buffer.concat([msg.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  t.deepEqual(
    maskQuestionLabels(pointer, () => true),
    pointer,
  );
});

test('paths: home directories and user names map to user1, user2… consistently', (t) => {
  const a = new PathAnonymizer();
  a.learnFromEnv('USER', 'alice');
  t.is(a.text('/home/alice/src/app'), '/home/user1/src/app');
  t.is(a.text('/home/bob/.cache'), '/home/user2/.cache');
  t.is(a.text('curl -u alice:x'), 'curl -u user1:x');
  t.is(a.text('/Users/bob/x and /home/alice'), '/Users/user2/x and /home/user1');
  t.is(a.text('malice aliceb alice_x'), 'malice aliceb alice_x', 'only whole words');
  t.is(a.text('/root/.ssh /home/root'), '/root/.ssh /home/root', 'root identifies nobody');
  t.deepEqual(a.counts(), [
    ['home-directory', 4],
    ['user-name', 1],
  ]);
});
