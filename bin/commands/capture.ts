import { Flags } from '@oclif/core';
import { UserError } from '../../formats/errors.ts';
import { PtraceCommand } from '../base.ts';
import { captureBinary } from '../install.ts';

export default class Capture extends PtraceCommand {
  static override summary =
    'Run a command, or attach to running processes or a cgroup, and record the whole process tree into a raw file (needs root).';
  static override description =
    `Traces the command and every descendant with eBPF tracepoints: fork, exec (path, argv, env, cwd, ids), failed exec attempts, exit (code, signal, core dump, resource usage), file opens, TCP connections, getaddrinfo() name lookups and DNS messages on UDP port 53. The raw file replays anywhere with \`ptrace info|tree|stats|otel\`, no root needed.

Everything after the first \`--\` is the command, passed on byte for byte. Run through the \`ptrace\` launcher, the capture tool replaces it (no Node process in between), so the command keeps the caller's file descriptors (fd 3 and up, /dev/fd/N, a make jobserver), process group, controlling terminal, umask, environment, signal mask, ignored signals and open-files limit (\`node bin/ptrace.js capture\` cannot keep the descriptors or the signal state: Node changes them at start-up). The command's program is looked up along PATH as execvp does, without failed exec attempts. A full disk does not stop the command: the failure is said at once and the file, readable up to there, records where writing stopped.

An OUTPUT named .gz or .zst is compressed, and --redact writes only a redacted copy (secrets replaced, as \`ptrace redact\` does): in both cases the tool writes the records into a pipe read by a Node process started beside the command (the command is still the tool's own child), which writes an unnamed file (O_TMPFILE) in OUTPUT's directory; it gets its name only once complete, so a capture killed at any point leaves no file, and no unredacted byte reaches the disk. The summary then gives the size written and the size captured.

With \`--pid PID\` (repeatable) or \`--cgroup PATH\` (cgroup v2, e.g. \`/system.slice/nginx.service\` or its /sys/fs/cgroup path) no command is run: the capture attaches to what already runs — those processes and all their descendants, or every process of the cgroup and its sub-cgroups and those that join it later — and follows them and their new children until SIGINT/SIGTERM, \`--duration\`, or (\`--pid\`) until they have all exited (\`--cgroup\`: until the cgroup is removed). Each process found running is recorded as such, with what /proc shows of it then (argv as it is now, the environment it got at its exec, exe, cwd); the capture never signals attached processes. Every capture records each process's cgroup and namespaces.

Exits with the command's exit code (128+N when a signal N killed it); an attached capture exits 0. A SIGINT, SIGTERM, SIGHUP or SIGQUIT sent to the capture alone is forwarded to the command once; one the command received itself (sent to the process group, or typed at the terminal) is not sent again. Under sudo the command runs as the invoking user (SUDO_UID/SUDO_GID and that user's groups) and the raw file is created as that user (their permissions apply to its path), mode 0600.

Overhead (bench/README.md, 2 cores): the default set (lifecycle, failed execs, opens, TCP, DNS) costs 0–3 % on a fork/exec storm (2000 × /bin/true) plus ~100–130 ms to load; its packet hooks for DNS messages look at every packet of the host (~6 % on a loop of 1000 loopback connections, within noise of --no-dns). Its execve and open hooks put every syscall of the host on the tracing slow path: a syscall-bound dd bs=1 ran 13–27 % slower (--no-failed-execs --no-files removes those hooks). --io hooks every read/write/fsync of the traced tree: 2 % on the fork/exec storm, 4× on dd bs=1. --sched hooks every context switch: within noise on the fork/exec storm, 1.3× on dd bs=1.`;
  static override examples = [
    'sudo <%= config.bin %> capture -o build.raw -- make -j8',
    'sudo <%= config.bin %> capture -o ci.raw --wait-all -- ./run-tests.sh',
    'sudo <%= config.bin %> capture -o agent.raw --pid 4242 --duration 10m',
    'sudo <%= config.bin %> capture -o web.raw --cgroup /system.slice/nginx.service',
  ];
  static override usage = [
    'capture -o FILE [FLAGS] -- COMMAND [ARGS...]',
    'capture -o FILE [FLAGS] --pid PID [--pid PID...]',
    'capture -o FILE [FLAGS] --cgroup PATH',
  ];
  static override strict = true;
  static override flags = {
    output: Flags.string({ char: 'o', description: 'raw file to write (created 0600)', required: true }),
    force: Flags.boolean({ char: 'f', description: 'overwrite the output file if it exists' }),
    'keep-root': Flags.boolean({ description: 'under sudo, run the command as root instead of the invoking user' }),
    'wait-all': Flags.boolean({ description: 'after the command exits, wait until all its descendants have exited' }),
    'no-env': Flags.boolean({ description: 'do not record environments' }),
    'no-failed-execs': Flags.boolean({ description: 'do not record failed exec attempts (no execve exit hooks)' }),
    'no-files': Flags.boolean({ description: 'do not record file opens' }),
    'no-net': Flags.boolean({ description: 'do not record TCP connections' }),
    'no-dns': Flags.boolean({
      description:
        'do not record name lookups: getaddrinfo() calls (uprobes on each libc) and DNS messages on UDP port 53 (packet tracepoints)',
    }),
    io: Flags.boolean({ description: 'read/write/fsync latency histograms per process (hooks every read and write)' }),
    sched: Flags.boolean({ description: 'off-CPU (blocked) time histograms per process (hooks every context switch)' }),
    'buffer-mb': Flags.integer({
      description: 'ring buffer size in MiB, a power of two',
      default: 32,
      min: 1,
      max: 1024,
    }),
    'args-limit': Flags.integer({
      description: 'bytes of argv and of env kept per exec; beyond, flagged truncated',
      default: 262144,
      min: 131072,
      max: 16777216,
    }),
    redact: Flags.boolean({
      description:
        'write only a redacted file (README "Sharing a capture"): the records go through a pipe to a Node process that replaces the secrets; no unredacted byte reaches the disk',
    }),
    keep: Flags.string({
      description: 'with --redact: an environment variable kept as it is (repeatable)',
      multiple: true,
    }),
    'anonymize-paths': Flags.boolean({ description: 'with --redact: home directories and user names replaced' }),
    rules: Flags.string({ description: 'with --redact: a rules file extending the built-in rules' }),
    pid: Flags.integer({
      description: 'attach to this running process, its descendants and their new children (repeatable)',
      multiple: true,
      min: 1,
    }),
    cgroup: Flags.string({
      description: 'attach to every process of this cgroup v2 and its descendants, and to those that join it',
    }),
    duration: Flags.string({ description: 'stop an attached capture after this long (500ms, 10s, 5m, 1h)' }),
    quiet: Flags.boolean({ char: 'q', description: 'no summary line' }),
  };

  async run(): Promise<void> {
    const attaching = this.argv.some((a) => /^--(pid|cgroup)(=|$)/.test(a)) && !this.argv.includes('--');
    const { options, command } = attaching ? { options: this.argv, command: [] } : splitAtCommand(this.argv);
    const { flags } = await this.parse(Capture, options);
    const nativeArgs = [
      '-o',
      flags.output,
      ...(flags.force ? ['--force'] : []),
      ...(flags['keep-root'] ? ['--keep-root'] : []),
      ...(flags['wait-all'] ? ['--wait-all'] : []),
      ...(flags['no-env'] ? ['--no-env'] : []),
      ...(flags['no-failed-execs'] ? ['--no-failed-execs'] : []),
      ...(flags['no-files'] ? ['--no-files'] : []),
      ...(flags['no-net'] ? ['--no-net'] : []),
      ...(flags['no-dns'] ? ['--no-dns'] : []),
      ...(flags.io ? ['--io'] : []),
      ...(flags.sched ? ['--sched'] : []),
      ...(flags.quiet ? ['--quiet'] : []),
      ...(flags.redact ? ['--redact'] : []),
      ...(flags.keep ?? []).flatMap((name) => ['--keep', name]),
      ...(flags['anonymize-paths'] ? ['--anonymize-paths'] : []),
      ...(flags.rules ? ['--rules', flags.rules] : []),
      '--buffer-mb',
      String(flags['buffer-mb']),
      '--args-limit',
      String(flags['args-limit']),
      ...(flags.pid ?? []).flatMap((pid) => ['--pid', String(pid)]),
      ...(flags.cgroup === undefined ? [] : ['--cgroup', flags.cgroup]),
      ...(flags.duration === undefined ? [] : ['--duration', flags.duration]),
      ...(attaching ? [] : ['--', ...command]),
    ];
    becomeCaptureTool(captureBinary(), nativeArgs);
  }
}

/** ptrace's options come before the first `--`; everything after it is the command, untouched. */
export function splitAtCommand(argv: readonly string[]): { options: string[]; command: string[] } {
  const separator = argv.indexOf('--');
  if (separator < 0)
    throw new UserError('missing `--` before the command: ptrace capture -o FILE [FLAGS] -- COMMAND [ARGS...]');
  const command = argv.slice(separator + 1);
  if (command.length === 0) throw new UserError('missing command after `--`');
  return { options: argv.slice(0, separator), command };
}

/**
 * Replaces this process with the capture tool: same pid, process group,
 * terminal and every inherited file descriptor, so the command sees what the
 * caller gave `ptrace`. Node opens its own descriptors close-on-exec.
 */
function becomeCaptureTool(binary: string, args: string[]): never {
  if (typeof process.execve !== 'function') {
    throw new UserError(`capture needs Node >= 22.15 (process.execve); this is ${process.version}`);
  }
  try {
    // The tool's sink (--redact, .gz, .zst) runs this same Node; the tool takes the variable out of the command's environment.
    process.execve(binary, ['ptrace-capture', ...args], { ...process.env, PTRACE_CLI_NODE: process.execPath });
  } catch (err) {
    throw new UserError(`cannot start ${binary}: ${(err as Error).message}`);
  }
  throw new UserError(`cannot start ${binary}`);
}
