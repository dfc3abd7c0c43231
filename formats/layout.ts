// Byte layout of the raw file, mirroring bpf/ptrace.h (the single definition).
// test/layout.test.ts compiles a C program against ptrace.h and checks that
// every offset, size and constant here agrees with what the compiler says.
//
// Payload field offsets are relative to the START OF THE RECORD (the 32-byte
// head included), so `off + FORK.child_pid` reads the field directly.

/** A field: byte offset and size. */
export interface Field {
  readonly off: number;
  readonly size: number;
  /** A signed integer (all other integer fields are unsigned). */
  readonly signed?: boolean;
}

export interface Struct {
  readonly size: number;
  /** Offset the fields below are relative to, inside their container (record or file). */
  readonly base: number;
  readonly fields: Readonly<Record<string, Field>>;
}

const f = (off: number, size: number, signed?: boolean): Field => (signed ? { off, size, signed } : { off, size });

export const FILE_MAGIC = 'PTRACE\r\n';
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const VERSION_MAJOR = 1;
export const VERSION_MINOR = 6;

export const RECORD_SIZE = 256;
export const HEAD_SIZE = 32;
export const DATA_HEAD_SIZE = 16;
export const DATA_MAX = RECORD_SIZE - HEAD_SIZE - DATA_HEAD_SIZE; // 208
export const COMM_LEN = 16;

export const ARGS_LIMIT_DEFAULT = 256 * 1024;
export const PATH_LIMIT = 4096;
export const DNS_MSG_LIMIT = 1232;

/** enum pt_record_type */
export const RT = {
  FORK: 1,
  THREAD: 2,
  EXEC: 3,
  EXEC_FAILED: 4,
  EXIT: 5,
  DATA: 6,
  OPEN: 7,
  HIST: 8,
  TCP: 9,
  DNS: 10,
  DNS_MSG: 11,
  LOSS: 16,
  RUNNING: 17,
  FOOTER: 18,
} as const;

/** Lower-case record type names, as used in Capture.recordCounts. */
export const RECORD_TYPE_NAMES: Readonly<Record<number, string>> = {
  [RT.FORK]: 'fork',
  [RT.THREAD]: 'thread',
  [RT.EXEC]: 'exec',
  [RT.EXEC_FAILED]: 'exec_failed',
  [RT.EXIT]: 'exit',
  [RT.DATA]: 'data',
  [RT.OPEN]: 'open',
  [RT.HIST]: 'hist',
  [RT.TCP]: 'tcp',
  [RT.DNS]: 'dns',
  [RT.DNS_MSG]: 'dns_msg',
  [RT.LOSS]: 'loss',
  [RT.RUNNING]: 'running',
  [RT.FOOTER]: 'footer',
};

/** enum pt_record_flags (head.flags) */
export const F = {
  ARGV_TRUNCATED: 1 << 0,
  ENV_TRUNCATED: 1 << 1,
  ENV_SKIPPED: 1 << 2,
  CORE_DUMPED: 1 << 3,
} as const;

/** enum pt_data_kind */
export const DK = {
  FILENAME: 1,
  INTERP: 2,
  EXE: 3,
  CWD: 4,
  ARGV: 5,
  ENV: 6,
  PATH: 7,
  NAME: 8,
  DNS_MSG: 9,
} as const;

/** enum pt_data_flags */
export const DF = {
  LAST: 1 << 0,
  TRUNCATED: 1 << 1,
  FAULT: 1 << 2,
} as const;

/** enum pt_loss_category */
export const CAT = {
  PROCESS: 0,
  EXEC: 1,
  EXEC_FAILED: 2,
  TRACKING: 3,
  FILES: 4,
  HIST: 5,
  NET: 6,
  DNS: 7,
  MAX: 8,
} as const;

/** enum pt_end_flags (footer.end_flags) */
export const END = {
  SIGNALLED: 1 << 0,
  WAITED_ALL: 1 << 1,
} as const;

/** enum pt_options (file header options) */
export const OPT = {
  ENV: 1 << 0,
  FAILED_EXECS: 1 << 1,
  KEEP_ROOT: 1 << 2,
  FILES: 1 << 3,
  IO: 1 << 4,
  SCHED: 1 << 5,
  NET: 1 << 6,
  DNS: 1 << 7,
  DNS_MSG: 1 << 8,
} as const;

export const DNS_ANSWERS = 8;

/** struct pt_dns */
export const DNS = {
  result: 32,
  count: 36,
  start_ts: 40,
  latency_ns: 48,
  families: 56,
  addrs: 72,
} as const;

/** enum pt_dns_direction (pt_dns_msg.direction) */
export const DNSD = {
  SENT: 1,
  RECEIVED: 2,
} as const;

/** struct pt_dns_msg */
export const DNS_MSG = {
  direction: 32,
  _pad: 33,
  family: 34,
  local_port: 36,
  remote_port: 38,
  length: 40,
  captured: 44,
  local_addr: 48,
  remote_addr: 64,
} as const;

/** enum pt_tcp_event (pt_tcp.event) */
export const TCPE = {
  CONNECTED: 1,
  FAILED: 2,
  ACCEPTED: 3,
  CLOSED: 4,
  AT_STOP: 5,
} as const;

/** enum pt_tcp_role (pt_tcp.role) */
export const TCPR = {
  CLIENT: 1,
  SERVER: 2,
} as const;

/** enum pt_hist_kind (pt_hist.kind) */
export const HK = {
  READ: 1,
  WRITE: 2,
  FSYNC: 3,
  OFFCPU: 4,
} as const;

export const HIST_BUCKETS = 32;

/** enum pt_tlv_tag */
export const TLV = {
  END: 0,
  KERNEL_RELEASE: 1,
  KERNEL_VERSION: 2,
  HOSTNAME: 3,
  MACHINE: 4,
  PTRACE_VERSION: 5,
  CAPTURE_ARGV: 6,
  COMMAND_ARGV: 7,
  BOOT_ID: 8,
  OS_RELEASE: 9,
  TRACEPARENT: 10,
  WRITE_STOP: 11,
} as const;

/** struct pt_head, at the start of every record. */
export const HEAD = {
  type: 0,
  flags: 2,
  tid: 4,
  ts: 8,
  start: 16,
  pid: 24,
  cpu: 28,
} as const;

/** struct pt_fork, offsets from the record start. */
export const FORK = {
  child_start: 32,
  child_pid: 40,
  child_ppid: 44,
} as const;

/** struct pt_thread */
export const THREAD = {
  new_tid: 32,
  _pad: 36,
} as const;

/** struct pt_exec */
export const EXEC = {
  parent_start: 32,
  ppid: 40,
  old_tid: 44,
  uid: 48,
  gid: 52,
  euid: 56,
  egid: 60,
  ns_pid: 64,
  ns_level: 68,
  argc: 72,
  envc: 76,
  argv_len: 80,
  env_len: 84,
  comm: 88,
} as const;

/** struct pt_exec_failed */
export const EXEC_FAILED = {
  err: 32,
  syscall_nr: 36,
} as const;

/** struct pt_exit (format 1.0 ends after comm; 1.1 appends rusage) */
export const EXIT = {
  status: 32,
  nr_threads_seen: 36,
  comm: 40,
  rusage: 56,
} as const;

/** struct pt_rusage, offsets inside the struct (add EXIT.rusage for a record offset). */
export const RUSAGE = {
  utime_ns: 0,
  stime_ns: 8,
  runtime_ns: 16,
  maxrss_kb: 24,
  min_flt: 32,
  maj_flt: 40,
  nvcsw: 48,
  nivcsw: 56,
  rchar: 64,
  wchar: 72,
  read_bytes: 80,
  write_bytes: 88,
} as const;
export const RUSAGE_SIZE = 96;

/** struct pt_open */
export const OPEN = {
  dirfd: 32,
  result: 36,
  flags: 40,
  mode: 44,
  syscall_nr: 48,
  _pad: 52,
  latency_ns: 56,
} as const;

/** struct pt_hist */
export const HIST = {
  kind: 32,
  _pad: 36,
  count: 40,
  total_ns: 48,
  max_ns: 56,
  buckets: 64,
} as const;

/** struct pt_tcp */
export const TCP = {
  event: 32,
  role: 33,
  family: 34,
  local_port: 36,
  remote_port: 38,
  error: 40,
  conn_id: 44,
  local_addr: 48,
  remote_addr: 64,
  start_ts: 80,
  latency_ns: 88,
  bytes_sent: 96,
  bytes_received: 104,
  retransmits: 112,
  tcp_state: 116,
  _pad: 117,
  soft_error: 118,
} as const;

/** struct pt_data */
export const DATA = {
  owner_ts: 32,
  offset: 40,
  len: 44,
  kind: 46,
  flags: 47,
  data: 48,
} as const;

/** struct pt_loss */
export const LOSS = {
  category: 32,
  _pad: 36,
  count: 40,
} as const;

/** struct pt_clock_anchor, offsets inside the anchor. */
export const ANCHOR = {
  realtime: 0,
  boottime: 8,
  monotonic: 16,
} as const;

/** struct pt_footer */
export const FOOTER = {
  records: 32,
  lost: 40,
  stop: 48,
  root_status: 72,
  processes: 76,
  still_running: 80,
  end_flags: 84,
} as const;

/** struct pt_file_header, offsets from the file start. */
export const FILE_HEADER = {
  magic: 0,
  byte_order: 8,
  version_major: 12,
  version_minor: 14,
  header_size: 16,
  record_size: 20,
  root_pid: 24,
  capture_pid: 28,
  options: 32,
  start: 40,
  args_limit: 64,
  ringbuf_size: 68,
} as const;
export const FILE_HEADER_SIZE = 72;

/** struct pt_tlv, offsets inside one TLV. */
export const TLV_HEAD = {
  tag: 0,
  _pad: 2,
  len: 4,
} as const;
export const TLV_HEAD_SIZE = 8;

/** struct pt_write_stop: the value of PT_TLV_WRITE_STOP (format 1.5). */
export const WRITE_STOP = {
  ts: 0,
  error: 8,
  _pad: 12,
  records: 16,
} as const;
export const WRITE_STOP_SIZE = 24;

/**
 * The complete table: every struct of ptrace.h with its size, where it sits
 * in its container and each field's offset and size (offsets as in the
 * constants above). This is what the layout test compares with the compiler.
 */
export const STRUCTS: Readonly<Record<string, Struct>> = {
  pt_head: {
    size: HEAD_SIZE,
    base: 0,
    fields: {
      type: f(HEAD.type, 2),
      flags: f(HEAD.flags, 2),
      tid: f(HEAD.tid, 4),
      ts: f(HEAD.ts, 8),
      start: f(HEAD.start, 8),
      pid: f(HEAD.pid, 4),
      cpu: f(HEAD.cpu, 4),
    },
  },
  pt_fork: {
    size: 16,
    base: HEAD_SIZE,
    fields: {
      child_start: f(FORK.child_start, 8),
      child_pid: f(FORK.child_pid, 4),
      child_ppid: f(FORK.child_ppid, 4),
    },
  },
  pt_thread: {
    size: 8,
    base: HEAD_SIZE,
    fields: { new_tid: f(THREAD.new_tid, 4), _pad: f(THREAD._pad, 4) },
  },
  pt_exec: {
    size: 72,
    base: HEAD_SIZE,
    fields: {
      parent_start: f(EXEC.parent_start, 8),
      ppid: f(EXEC.ppid, 4),
      old_tid: f(EXEC.old_tid, 4),
      uid: f(EXEC.uid, 4),
      gid: f(EXEC.gid, 4),
      euid: f(EXEC.euid, 4),
      egid: f(EXEC.egid, 4),
      ns_pid: f(EXEC.ns_pid, 4),
      ns_level: f(EXEC.ns_level, 4),
      argc: f(EXEC.argc, 4),
      envc: f(EXEC.envc, 4),
      argv_len: f(EXEC.argv_len, 4),
      env_len: f(EXEC.env_len, 4),
      comm: f(EXEC.comm, COMM_LEN),
    },
  },
  pt_exec_failed: {
    size: 8,
    base: HEAD_SIZE,
    fields: { err: f(EXEC_FAILED.err, 4, true), syscall_nr: f(EXEC_FAILED.syscall_nr, 4) },
  },
  pt_exit: {
    size: 24 + RUSAGE_SIZE,
    base: HEAD_SIZE,
    fields: {
      status: f(EXIT.status, 4),
      nr_threads_seen: f(EXIT.nr_threads_seen, 4),
      comm: f(EXIT.comm, COMM_LEN),
      rusage: f(EXIT.rusage, RUSAGE_SIZE),
    },
  },
  // Fields relative to the struct itself (like pt_clock_anchor); base is where it sits in a PT_EXIT record.
  pt_rusage: {
    size: RUSAGE_SIZE,
    base: EXIT.rusage,
    fields: {
      utime_ns: f(RUSAGE.utime_ns, 8),
      stime_ns: f(RUSAGE.stime_ns, 8),
      runtime_ns: f(RUSAGE.runtime_ns, 8),
      maxrss_kb: f(RUSAGE.maxrss_kb, 8),
      min_flt: f(RUSAGE.min_flt, 8),
      maj_flt: f(RUSAGE.maj_flt, 8),
      nvcsw: f(RUSAGE.nvcsw, 8),
      nivcsw: f(RUSAGE.nivcsw, 8),
      rchar: f(RUSAGE.rchar, 8),
      wchar: f(RUSAGE.wchar, 8),
      read_bytes: f(RUSAGE.read_bytes, 8),
      write_bytes: f(RUSAGE.write_bytes, 8),
    },
  },
  pt_open: {
    size: 32,
    base: HEAD_SIZE,
    fields: {
      dirfd: f(OPEN.dirfd, 4, true),
      result: f(OPEN.result, 4, true),
      flags: f(OPEN.flags, 4),
      mode: f(OPEN.mode, 4),
      syscall_nr: f(OPEN.syscall_nr, 4),
      _pad: f(OPEN._pad, 4),
      latency_ns: f(OPEN.latency_ns, 8),
    },
  },
  pt_hist: {
    size: 32 + 4 * HIST_BUCKETS,
    base: HEAD_SIZE,
    fields: {
      kind: f(HIST.kind, 4),
      _pad: f(HIST._pad, 4),
      count: f(HIST.count, 8),
      total_ns: f(HIST.total_ns, 8),
      max_ns: f(HIST.max_ns, 8),
      buckets: f(HIST.buckets, 4 * HIST_BUCKETS),
    },
  },
  pt_tcp: {
    size: 88,
    base: HEAD_SIZE,
    fields: {
      event: f(TCP.event, 1),
      role: f(TCP.role, 1),
      family: f(TCP.family, 2),
      local_port: f(TCP.local_port, 2),
      remote_port: f(TCP.remote_port, 2),
      error: f(TCP.error, 4, true),
      conn_id: f(TCP.conn_id, 4),
      local_addr: f(TCP.local_addr, 16),
      remote_addr: f(TCP.remote_addr, 16),
      start_ts: f(TCP.start_ts, 8),
      latency_ns: f(TCP.latency_ns, 8),
      bytes_sent: f(TCP.bytes_sent, 8),
      bytes_received: f(TCP.bytes_received, 8),
      retransmits: f(TCP.retransmits, 4),
      tcp_state: f(TCP.tcp_state, 1),
      _pad: f(TCP._pad, 1),
      soft_error: f(TCP.soft_error, 2),
    },
  },
  pt_dns: {
    size: 24 + 18 * DNS_ANSWERS,
    base: HEAD_SIZE,
    fields: {
      result: f(DNS.result, 4, true),
      count: f(DNS.count, 4),
      start_ts: f(DNS.start_ts, 8),
      latency_ns: f(DNS.latency_ns, 8),
      families: f(DNS.families, 2 * DNS_ANSWERS),
      addrs: f(DNS.addrs, 16 * DNS_ANSWERS),
    },
  },
  pt_dns_msg: {
    size: 48,
    base: HEAD_SIZE,
    fields: {
      direction: f(DNS_MSG.direction, 1),
      _pad: f(DNS_MSG._pad, 1),
      family: f(DNS_MSG.family, 2),
      local_port: f(DNS_MSG.local_port, 2),
      remote_port: f(DNS_MSG.remote_port, 2),
      length: f(DNS_MSG.length, 4),
      captured: f(DNS_MSG.captured, 4),
      local_addr: f(DNS_MSG.local_addr, 16),
      remote_addr: f(DNS_MSG.remote_addr, 16),
    },
  },
  pt_data: {
    size: DATA_HEAD_SIZE + DATA_MAX,
    base: HEAD_SIZE,
    fields: {
      owner_ts: f(DATA.owner_ts, 8),
      offset: f(DATA.offset, 4),
      len: f(DATA.len, 2),
      kind: f(DATA.kind, 1),
      flags: f(DATA.flags, 1),
      data: f(DATA.data, DATA_MAX),
    },
  },
  pt_loss: {
    size: 16,
    base: HEAD_SIZE,
    fields: { category: f(LOSS.category, 4), _pad: f(LOSS._pad, 4), count: f(LOSS.count, 8) },
  },
  pt_clock_anchor: {
    size: 24,
    base: 0,
    fields: {
      realtime: f(ANCHOR.realtime, 8),
      boottime: f(ANCHOR.boottime, 8),
      monotonic: f(ANCHOR.monotonic, 8),
    },
  },
  pt_footer: {
    size: 56,
    base: HEAD_SIZE,
    fields: {
      records: f(FOOTER.records, 8),
      lost: f(FOOTER.lost, 8),
      stop: f(FOOTER.stop, 24),
      root_status: f(FOOTER.root_status, 4),
      processes: f(FOOTER.processes, 4),
      still_running: f(FOOTER.still_running, 4),
      end_flags: f(FOOTER.end_flags, 4),
    },
  },
  pt_event: {
    size: RECORD_SIZE,
    base: 0,
    fields: { head: f(0, HEAD_SIZE), payload: f(HEAD_SIZE, RECORD_SIZE - HEAD_SIZE) },
  },
  pt_file_header: {
    size: FILE_HEADER_SIZE,
    base: 0,
    fields: {
      magic: f(FILE_HEADER.magic, 8),
      byte_order: f(FILE_HEADER.byte_order, 4),
      version_major: f(FILE_HEADER.version_major, 2),
      version_minor: f(FILE_HEADER.version_minor, 2),
      header_size: f(FILE_HEADER.header_size, 4),
      record_size: f(FILE_HEADER.record_size, 4),
      root_pid: f(FILE_HEADER.root_pid, 4),
      capture_pid: f(FILE_HEADER.capture_pid, 4),
      options: f(FILE_HEADER.options, 8),
      start: f(FILE_HEADER.start, 24),
      args_limit: f(FILE_HEADER.args_limit, 4),
      ringbuf_size: f(FILE_HEADER.ringbuf_size, 4),
    },
  },
  pt_tlv: {
    size: TLV_HEAD_SIZE,
    base: 0,
    fields: { tag: f(TLV_HEAD.tag, 2), _pad: f(TLV_HEAD._pad, 2), len: f(TLV_HEAD.len, 4) },
  },
  pt_write_stop: {
    size: WRITE_STOP_SIZE,
    base: 0,
    fields: { ts: f(WRITE_STOP.ts, 8), error: f(WRITE_STOP.error, 4, true), _pad: f(WRITE_STOP._pad, 4), records: f(WRITE_STOP.records, 8) },
  },
};

/** Every enum and #define of ptrace.h by its C name (the test checks each against the compiler). */
export const CONSTANTS: Readonly<Record<string, number>> = {
  PT_BYTE_ORDER_MAGIC: BYTE_ORDER_MAGIC,
  PT_VERSION_MAJOR: VERSION_MAJOR,
  PT_VERSION_MINOR: VERSION_MINOR,
  PT_RECORD_SIZE: RECORD_SIZE,
  PT_HEAD_SIZE: HEAD_SIZE,
  PT_DATA_HEAD_SIZE: DATA_HEAD_SIZE,
  PT_DATA_MAX: DATA_MAX,
  PT_COMM_LEN: COMM_LEN,
  PT_ARGS_LIMIT_DEFAULT: ARGS_LIMIT_DEFAULT,
  PT_PATH_LIMIT: PATH_LIMIT,
  PT_DNS_MSG_LIMIT: DNS_MSG_LIMIT,
  PT_FORK: RT.FORK,
  PT_THREAD: RT.THREAD,
  PT_EXEC: RT.EXEC,
  PT_EXEC_FAILED: RT.EXEC_FAILED,
  PT_EXIT: RT.EXIT,
  PT_DATA: RT.DATA,
  PT_OPEN: RT.OPEN,
  PT_HIST: RT.HIST,
  PT_TCP: RT.TCP,
  PT_DNS: RT.DNS,
  PT_DNS_MSG: RT.DNS_MSG,
  PT_LOSS: RT.LOSS,
  PT_RUNNING: RT.RUNNING,
  PT_FOOTER: RT.FOOTER,
  PT_F_ARGV_TRUNCATED: F.ARGV_TRUNCATED,
  PT_F_ENV_TRUNCATED: F.ENV_TRUNCATED,
  PT_F_ENV_SKIPPED: F.ENV_SKIPPED,
  PT_F_CORE_DUMPED: F.CORE_DUMPED,
  PT_D_FILENAME: DK.FILENAME,
  PT_D_INTERP: DK.INTERP,
  PT_D_EXE: DK.EXE,
  PT_D_CWD: DK.CWD,
  PT_D_ARGV: DK.ARGV,
  PT_D_ENV: DK.ENV,
  PT_D_PATH: DK.PATH,
  PT_D_NAME: DK.NAME,
  PT_D_DNS_MSG: DK.DNS_MSG,
  PT_DF_LAST: DF.LAST,
  PT_DF_TRUNCATED: DF.TRUNCATED,
  PT_DF_FAULT: DF.FAULT,
  PT_CAT_PROCESS: CAT.PROCESS,
  PT_CAT_EXEC: CAT.EXEC,
  PT_CAT_EXEC_FAILED: CAT.EXEC_FAILED,
  PT_CAT_TRACKING: CAT.TRACKING,
  PT_CAT_FILES: CAT.FILES,
  PT_CAT_HIST: CAT.HIST,
  PT_CAT_NET: CAT.NET,
  PT_CAT_DNS: CAT.DNS,
  PT_CAT_MAX: CAT.MAX,
  PT_END_SIGNALLED: END.SIGNALLED,
  PT_END_WAITED_ALL: END.WAITED_ALL,
  PT_OPT_ENV: OPT.ENV,
  PT_OPT_FAILED_EXECS: OPT.FAILED_EXECS,
  PT_OPT_KEEP_ROOT: OPT.KEEP_ROOT,
  PT_OPT_FILES: OPT.FILES,
  PT_OPT_IO: OPT.IO,
  PT_OPT_SCHED: OPT.SCHED,
  PT_OPT_NET: OPT.NET,
  PT_OPT_DNS: OPT.DNS,
  PT_OPT_DNS_MSG: OPT.DNS_MSG,
  PT_DNS_SENT: DNSD.SENT,
  PT_DNS_RECEIVED: DNSD.RECEIVED,
  PT_DNS_ANSWERS: DNS_ANSWERS,
  PT_TCP_CONNECTED: TCPE.CONNECTED,
  PT_TCP_FAILED: TCPE.FAILED,
  PT_TCP_ACCEPTED: TCPE.ACCEPTED,
  PT_TCP_CLOSED: TCPE.CLOSED,
  PT_TCP_AT_STOP: TCPE.AT_STOP,
  PT_TCP_CLIENT: TCPR.CLIENT,
  PT_TCP_SERVER: TCPR.SERVER,
  PT_HIST_BUCKETS: HIST_BUCKETS,
  PT_H_READ: HK.READ,
  PT_H_WRITE: HK.WRITE,
  PT_H_FSYNC: HK.FSYNC,
  PT_H_OFFCPU: HK.OFFCPU,
  PT_TLV_END: TLV.END,
  PT_TLV_KERNEL_RELEASE: TLV.KERNEL_RELEASE,
  PT_TLV_KERNEL_VERSION: TLV.KERNEL_VERSION,
  PT_TLV_HOSTNAME: TLV.HOSTNAME,
  PT_TLV_MACHINE: TLV.MACHINE,
  PT_TLV_PTRACE_VERSION: TLV.PTRACE_VERSION,
  PT_TLV_CAPTURE_ARGV: TLV.CAPTURE_ARGV,
  PT_TLV_COMMAND_ARGV: TLV.COMMAND_ARGV,
  PT_TLV_BOOT_ID: TLV.BOOT_ID,
  PT_TLV_OS_RELEASE: TLV.OS_RELEASE,
  PT_TLV_TRACEPARENT: TLV.TRACEPARENT,
  PT_TLV_WRITE_STOP: TLV.WRITE_STOP,
};
