/** An error the user caused (bad input, bad flag, unreadable file): printed as one line, no stack. */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** A raw file that cannot be read: wrong magic, unsupported version, size mismatch, truncated header. */
export class FormatError extends UserError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message, 3);
    this.name = 'FormatError';
    this.code = code;
  }
}
