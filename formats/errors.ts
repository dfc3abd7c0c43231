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

/** What an errno code of a failed file operation means, for one-line errors (reads and writes). */
export const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  EXDEV: 'not on the same file system',
};
