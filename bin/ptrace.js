#!/usr/bin/env node
// The Node CLI from a clone: Node >= 22.18 runs the TypeScript directly (bin/main.ts is the entry).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `ptrace: this clone runs its TypeScript directly and needs Node >= 22.18 (this is ${process.version}); .ci/setup installs Node 24\n`,
  );
  process.exit(1);
}
await import('./main.ts');
