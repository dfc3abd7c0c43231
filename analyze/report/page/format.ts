// Figures as text. Durations, offsets and sizes are the CLI's too (analyze/format.ts
// re-exports them): a page module, because the page links only its own modules.

/** ns → short human duration with about 3 significant digits: 850ns, 12.3µs, 1.23ms, 456ms, 7.89s, 2m03s, 1h02m. */
export function formatDuration(ns: number): string {
  if (ns < 0) return `-${formatDuration(-ns)}`;
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${sig(ns / 1e3)}µs`;
  if (ns < 1e9) return `${sig(ns / 1e6)}ms`;
  if (ns < 60e9) return `${sig(ns / 1e9)}s`;
  const totalS = Math.floor(ns / 1e9);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.floor(totalS / 60);
  return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, '0')}m`;
}

function sig(v: number): string {
  // 3 significant digits without switching to the next unit's range (999.5ms stays "1000ms" → rounded down).
  const s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** ns since the capture start → +1.234s. */
export function formatOffset(ns: number): string {
  // negative before the capture's start: the command is forked just before the programs are loaded
  return `${ns < 0 ? '-' : '+'}${(Math.abs(ns) / 1e9).toFixed(3)}s`;
}

/** KiB → `12.3 MiB`, `850 KiB`, `1.20 GiB`. */
export function formatKib(kib: number): string {
  if (kib < 1024) return `${kib} KiB`;
  const mib = kib / 1024;
  if (mib < 1024) return `${mib >= 100 ? mib.toFixed(0) : mib.toFixed(1)} MiB`;
  return `${(mib / 1024).toFixed(2)} GiB`;
}

export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : formatKib(Math.round(bytes / 1024));
}

/** An argument as a POSIX shell would need it: bare when safe, else single-quoted. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Text with C0/C1 controls shown visibly (the page uses textContent, but a control character still garbles a line). */
export function visible(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function commandText(argv: readonly string[]): string {
  return visible(argv.map(shellQuote).join(' '));
}
