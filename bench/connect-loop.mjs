// 1000 sequential TCP connections to a server on 127.0.0.1 in the same
// process, each sending 100 bytes and closing; prints the loop's own wall
// time in ns (the capture overhead bench runs it traced and untraced).
import net from 'node:net';

const count = Number(process.argv[2] ?? 1000);
const server = net.createServer((s) => s.on('data', () => {}).on('end', () => s.end()));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
const start = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  await new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.end(Buffer.alloc(100)));
    c.on('close', resolve).on('error', reject).resume();
  });
}
const elapsed = process.hrtime.bigint() - start;
server.close();
process.stdout.write(`${elapsed}\n`);
