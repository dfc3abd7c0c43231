// Progress on stderr for long loads, only when stderr is a terminal.

export class Progress {
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  private readonly label: string;

  constructor(label: string, enabled = process.stderr.isTTY === true) {
    this.label = label;
    this.enabled = enabled;
  }

  /** Cheap enough to call per event: looks at the clock every 16384 calls. */
  tick(count: number): void {
    if (!this.enabled || (count & 0x3fff) !== 0) return;
    const now = Date.now();
    if (now - this.last < 100 || now - this.started < 300) return;
    this.last = now;
    this.shown = true;
    process.stderr.write(
      `\r\x1b[K${this.label}: ${count.toLocaleString('en-US')} events, ${((now - this.started) / 1000).toFixed(1)}s`,
    );
  }

  step(message: string): void {
    if (!this.enabled || Date.now() - this.started < 300) return;
    this.shown = true;
    process.stderr.write(`\r\x1b[K${this.label}: ${message}`);
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
