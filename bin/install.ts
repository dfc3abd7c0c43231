// Where this ptrace is installed and what it runs: the package root, the
// native capture tool, the versions it speaks. Used by the entry point and by
// `capture`; the sh launcher (bin/ptrace) follows the same order for capture.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../formats/errors.ts';
import { VERSION_MAJOR, VERSION_MINOR } from '../formats/layout.ts';

/** The package root: the nearest directory above this file holding ptrace's package.json (a clone, or dist/ in an installed package). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    const pjson = join(dir, 'package.json');
    if (existsSync(pjson) && JSON.parse(readFileSync(pjson, 'utf8')).name === 'ptrace') return dir;
    dir = dirname(dir);
  }
  throw new Error(`ptrace's package.json not found above ${from}`);
}

/** True when running the compiled JavaScript of an installed package, false in a clone (TypeScript run directly). */
export const COMPILED = import.meta.url.endsWith('.js');

export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/** The platform directory of the capture tool shipped in the package: linux-x64, linux-arm64… */
export function platformDir(): string {
  return `${process.platform}-${process.arch}`;
}

/**
 * The native capture tool, in this order: PTRACE_CAPTURE_BIN; the one shipped
 * in an installed package (prebuilt/linux-x64/); a local build (capture/build/,
 * the only one a clone uses).
 */
export function captureBinary(): string {
  const candidates = [
    process.env.PTRACE_CAPTURE_BIN,
    COMPILED ? join(PACKAGE_ROOT, 'prebuilt', platformDir(), 'ptrace-capture') : undefined,
    join(PACKAGE_ROOT, 'capture', 'build', 'ptrace-capture'),
  ].filter((p): p is string => !!p);
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  const shipped =
    process.arch === 'x64'
      ? ''
      : ` (the package ships it for linux-x64 only; on ${platformDir()} build it from a clone)`;
  throw new UserError(
    `the capture tool is missing${shipped}: build it with \`npm run build:capture\` in a clone (needs clang, libbpf-dev, bpftool, libelf-dev, zlib1g-dev) and point PTRACE_CAPTURE_BIN at capture/build/ptrace-capture`,
  );
}

/** What `ptrace --version` prints: the CLI and the raw format versions it reads and writes. */
export function versionText(): string {
  return [
    `ptrace ${PACKAGE_VERSION} (node ${process.version}, ${platformDir()})`,
    `raw format: writes ${VERSION_MAJOR}.${VERSION_MINOR}; reads ${VERSION_MAJOR}.0 to ${VERSION_MAJOR}.${VERSION_MINOR}, and newer ${VERSION_MAJOR}.x with a warning (what they add is skipped)`,
  ].join('\n');
}
