/* SPDX-License-Identifier: MIT */
/*
 * The one definition of ptrace's wire layout: the records the BPF program
 * puts in the ring buffer, which the capture tool writes unchanged to the raw
 * file, and the file header and footer around them. formats/FORMAT.md
 * describes every byte; formats/layout.generated.ts is generated from this
 * file by the C compiler (npm run gen:layout) and a test fails when it is stale.
 *
 * Included by the BPF program (after vmlinux.h) and by the capture tool
 * (after <linux/types.h>).
 */
#ifndef PTRACE_H
#define PTRACE_H

#define PT_FILE_MAGIC "PTRACE\r\n" /* 8 bytes, no NUL; \r\n catches text-mode mangling */
#define PT_BYTE_ORDER_MAGIC 0x1A2B3C4DU
#define PT_VERSION_MAJOR 1
#define PT_VERSION_MINOR 8

#define PT_RECORD_SIZE 256
#define PT_HEAD_SIZE 32
#define PT_DATA_HEAD_SIZE 16
#define PT_DATA_MAX (PT_RECORD_SIZE - PT_HEAD_SIZE - PT_DATA_HEAD_SIZE) /* 208 */
#define PT_COMM_LEN 16

/* Documented limits below which nothing is ever cut. */
#define PT_ARGS_LIMIT_DEFAULT (256 * 1024) /* argv bytes per exec, likewise env */
#define PT_PATH_LIMIT 4096                 /* PATH_MAX */
#define PT_DNS_MSG_LIMIT 1232             /* bytes of one DNS message (the EDNS size of DNS Flag Day 2020) */

enum pt_record_type {
	PT_FORK = 1,        /* a traced process created a new process */
	PT_THREAD = 2,      /* a traced process created a new thread */
	PT_EXEC = 3,        /* a traced process replaced its image */
	PT_EXEC_FAILED = 4, /* an execve/execveat of a traced process failed */
	PT_EXIT = 5,        /* the last thread of a traced process exited */
	PT_DATA = 6,        /* a chunk of a string belonging to an earlier record */
	PT_OPEN = 7,        /* a file open (open, openat, openat2, creat) returned */
	PT_HIST = 8,        /* a latency histogram of one process, written at its exit (--io, --sched) */
	PT_TCP = 9,         /* a TCP connection of a traced process: connected, failed, accepted or closed */
	PT_DNS = 10,        /* a getaddrinfo() call of a traced process returned */
	PT_DNS_MSG = 11,    /* a DNS message (UDP port 53) a traced process sent or received */
	PT_ATTACHED = 12,   /* a process already running when the capture attached, or that joined the traced cgroup (1.8) */
	/* written by the capture tool, not by BPF */
	PT_LOSS = 16,       /* cumulative count of records dropped in one category */
	PT_RUNNING = 17,    /* a traced process still alive when the capture stopped */
	PT_FOOTER = 18,     /* totals; the last record of a complete file */
	PT_CGROUP = 19,     /* the path of a cgroup id seen in the records (1.8) */
};

/* head.flags */
enum pt_record_flags {
	PT_F_ARGV_TRUNCATED = 1 << 0,
	PT_F_ENV_TRUNCATED = 1 << 1,
	PT_F_ENV_SKIPPED = 1 << 2, /* env not captured (--no-env) */
	PT_F_CORE_DUMPED = 1 << 3,
};

/* pt_data.kind: which string of the owner record a chunk belongs to */
enum pt_data_kind {
	PT_D_FILENAME = 1, /* path as passed to execve */
	PT_D_INTERP = 2,   /* binary actually loaded for a script (#! interpreter chain) */
	PT_D_EXE = 3,      /* absolute path of the executable file */
	PT_D_CWD = 4,      /* absolute working directory */
	PT_D_ARGV = 5,     /* argv strings, each NUL-terminated */
	PT_D_ENV = 6,      /* environment strings, each NUL-terminated */
	PT_D_PATH = 7,     /* path argument of an open, as given */
	PT_D_NAME = 8,     /* the name a getaddrinfo() call looked up */
	PT_D_DNS_MSG = 9,  /* the bytes of a DNS message (binary, not a string) */
	PT_D_CGROUP = 10,  /* a PT_CGROUP's path, relative to the cgroup v2 root (1.8) */
};

/* pt_data.flags */
enum pt_data_flags {
	PT_DF_LAST = 1 << 0,      /* final chunk of this string */
	PT_DF_TRUNCATED = 1 << 1, /* the string was longer than its limit and is cut here */
	PT_DF_FAULT = 1 << 2,     /* user memory could not be read: the chunk holds zeros */
};

/* Loss categories: pt_loss.category and the index of the BPF losses map. */
enum pt_loss_category {
	PT_CAT_PROCESS = 0, /* fork, thread, exit */
	PT_CAT_EXEC = 1,    /* exec records and their strings */
	PT_CAT_EXEC_FAILED = 2,
	PT_CAT_TRACKING = 3, /* a process could not be added to the traced map */
	PT_CAT_FILES = 4,    /* file opens */
	PT_CAT_HIST = 5,     /* histograms */
	PT_CAT_NET = 6,      /* TCP connections (records, or sockets that could not be tracked) */
	PT_CAT_DNS = 7,      /* name lookups and DNS messages */
	PT_CAT_MAX = 8,
};

/* Every record starts with this head. */
struct pt_head {
	__u16 type;  /* enum pt_record_type */
	__u16 flags; /* enum pt_record_flags */
	__u32 tid;   /* thread that produced the record (0 for capture-tool records) */
	__u64 ts;    /* CLOCK_BOOTTIME, ns */
	__u64 start; /* process identity, part 2: leader's start time, CLOCK_BOOTTIME ns */
	__u32 pid;   /* process identity, part 1: thread group id */
	__u32 cpu;
};

/*
 * Where a process runs (1.8): its cgroup v2 and the inode numbers of its
 * namespaces, as the links in /proc/PID/ns name them. All zero: not recorded (older
 * files, or a process whose namespaces were already gone).
 */
struct pt_container {
	__u64 cgroup_id; /* the cgroup v2 id: inode number of its directory; PT_CGROUP gives its path */
	__u32 pid_ns;    /* the pid namespace the process is in (not the one for its children) */
	__u32 mnt_ns;
	__u32 net_ns;
	__u32 uts_ns;
};

struct pt_fork {
	__u64 child_start;
	__u32 child_pid;
	__u32 child_ppid; /* the child's real parent (differs from the forker with CLONE_PARENT) */
	struct pt_container child_container; /* the child's, right after the fork (1.8) */
};

struct pt_thread {
	__u32 new_tid;
	__u32 _pad;
};

struct pt_exec {
	__u64 parent_start; /* identity of the real parent at exec time */
	__u32 ppid;
	__u32 old_tid; /* thread that called execve; != pid when a non-leader thread exec'd */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 ns_pid;   /* pid in the process's own pid namespace */
	__u32 ns_level; /* 0: the initial namespace */
	__u32 argc;
	__u32 envc;
	__u32 argv_len; /* bytes of the argv area in the new image */
	__u32 env_len;  /* bytes of the environment area in the new image */
	char comm[PT_COMM_LEN];
	struct pt_container container; /* after the exec (1.8) */
};

enum pt_attach_reason {
	PT_ATTACH_RUNNING = 1, /* found by the walk at the start of the capture (--pid, --cgroup) */
	PT_ATTACH_JOINED = 2,  /* moved into the traced cgroup later (--cgroup) */
	PT_ATTACH_BORN = 3,    /* forked into the traced cgroup by an untraced parent (clone3 CLONE_INTO_CGROUP) (--cgroup) */
};

/*
 * A process the capture did not see start: already running at attach, or
 * come into the traced cgroup. Everything BPF can read of it then; the
 * capture tool follows it with its strings read from /proc/PID (PT_D_EXE,
 * PT_D_CWD, PT_D_ARGV, PT_D_ENV), as they are then.
 */
struct pt_attached {
	__u64 parent_start;
	__u32 ppid;
	__u32 reason;   /* enum pt_attach_reason */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 ns_pid;
	__u32 ns_level;
	__u32 argv_len; /* bytes of its argv area then */
	__u32 env_len;  /* bytes of its environment area (as at its exec: later setenv() is not in it) */
	char comm[PT_COMM_LEN];
	struct pt_container container;
	__u32 nr_threads; /* threads it had then */
	__u32 _pad;
};

struct pt_exec_failed {
	__s32 err; /* positive errno */
	__u32 syscall_nr;
};

/* Resource usage of the whole thread group, summed over its threads. */
struct pt_rusage {
	__u64 utime_ns;    /* user CPU time */
	__u64 stime_ns;    /* system CPU time */
	__u64 runtime_ns;  /* scheduler-measured CPU time (precise; utime+stime may be tick-based) */
	__u64 maxrss_kb;   /* peak resident set size */
	__u64 min_flt;
	__u64 maj_flt;
	__u64 nvcsw;       /* voluntary context switches */
	__u64 nivcsw;      /* involuntary context switches */
	__u64 rchar;       /* bytes passed to read-like syscalls */
	__u64 wchar;       /* bytes passed to write-like syscalls */
	__u64 read_bytes;  /* bytes fetched from storage */
	__u64 write_bytes; /* bytes sent to storage */
};

struct pt_exit {
	__u32 status; /* wait(2) status: exit code << 8, or terminating signal | 0x80 for core */
	__u32 nr_threads_seen;
	char comm[PT_COMM_LEN];
	struct pt_rusage rusage;
};

struct pt_open {
	__s32 dirfd;  /* AT_FDCWD (-100) for open/creat */
	__s32 result; /* the new fd, or -errno */
	__u32 flags;  /* O_* flags (creat: O_CREAT|O_WRONLY|O_TRUNC) */
	__u32 mode;
	__u32 syscall_nr;
	__u32 _pad;
	__u64 latency_ns; /* from syscall entry to exit */
};

enum pt_tcp_event {
	PT_TCP_CONNECTED = 1, /* client: SYN_SENT → ESTABLISHED */
	PT_TCP_FAILED = 2,    /* client: SYN_SENT → CLOSE (refused, timed out, unreachable) */
	PT_TCP_ACCEPTED = 3,  /* server: a connection to a port a traced process listens on is ESTABLISHED */
	PT_TCP_CLOSED = 4,    /* an established connection reached CLOSE */
	PT_TCP_AT_STOP = 5,   /* a connection not yet at CLOSE when the capture stopped: its counters and state then (1.5) */
};

enum pt_tcp_role {
	PT_TCP_CLIENT = 1,
	PT_TCP_SERVER = 2,
};

/*
 * The head names the process that owns the socket (the one that connected,
 * or that listens on the accepting port), not the task that happened to run
 * when the state changed: most changes happen in softirq context.
 */
struct pt_tcp {
	__u8 event;  /* enum pt_tcp_event */
	__u8 role;   /* enum pt_tcp_role */
	__u16 family; /* AF_INET (2) or AF_INET6 (10) */
	__u16 local_port;
	__u16 remote_port;
	__s32 error;  /* PT_TCP_FAILED: positive errno from sk_err (ECONNREFUSED, ETIMEDOUT…); 0: the application closed it first */
	__u32 conn_id; /* numbers one connection's records; unique within the capture */
	__u8 local_addr[16];  /* AF_INET: the first 4 bytes, network order */
	__u8 remote_addr[16];
	__u64 start_ts;    /* CLOCK_BOOTTIME ns: connect() for clients, establishment for servers */
	__u64 latency_ns;  /* clients: connect() to ESTABLISHED or to failure */
	__u64 bytes_sent;  /* CLOSED, AT_STOP: payload bytes sent, retransmissions not counted again */
	__u64 bytes_received;
	__u32 retransmits; /* CLOSED, AT_STOP: segments retransmitted */
	__u8 tcp_state;    /* AT_STOP: the kernel's TCP state (TCP_ESTABLISHED 1 … TCP_CLOSING 11) (1.5) */
	__u8 _pad;
	__u16 soft_error;  /* FAILED with error 0: the last soft error the kernel noted (EHOSTUNREACH…), else 0 (1.5) */
};

#define PT_DNS_ANSWERS 8

/* getaddrinfo() as the libc resolver saw it, from a uprobe and uretprobe. */
struct pt_dns {
	__s32 result;  /* getaddrinfo's return: 0, or an EAI_* code (negative in glibc: EAI_NONAME -2…) */
	__u32 count;   /* addresses in the result list (may exceed PT_DNS_ANSWERS) */
	__u64 start_ts; /* CLOCK_BOOTTIME ns of the call */
	__u64 latency_ns;
	__u16 families[PT_DNS_ANSWERS]; /* AF_INET (2) or AF_INET6 (10) per answer, 0 past the last */
	__u8 addrs[PT_DNS_ANSWERS][16]; /* network order; AF_INET in the first 4 bytes */
};

enum pt_dns_direction {
	PT_DNS_SENT = 1,     /* a query to a server's port 53 */
	PT_DNS_RECEIVED = 2, /* a datagram from port 53 to a socket a traced process sent a query from */
};

/*
 * A UDP datagram to or from port 53, seen as a packet: sent ones when the
 * traced process hands it to a device (net_dev_queue, in its own context),
 * received ones when a device delivers it (netif_receive_skb, softirq), the
 * owner then being the process that sent a query from that address and port.
 * The message bytes follow as PT_D_DNS_MSG chunks.
 */
struct pt_dns_msg {
	__u8 direction; /* enum pt_dns_direction */
	__u8 _pad;
	__u16 family;   /* AF_INET (2) or AF_INET6 (10) */
	__u16 local_port;
	__u16 remote_port;
	__u32 length;   /* UDP payload bytes of the datagram */
	__u32 captured; /* bytes that follow in chunks: min(length, PT_DNS_MSG_LIMIT, what lies in the packet's linear area) */
	__u8 local_addr[16];  /* network order; AF_INET in the first 4 bytes */
	__u8 remote_addr[16];
};

#define PT_HIST_BUCKETS 32

enum pt_hist_kind {
	PT_H_READ = 1,    /* read, pread64, readv */
	PT_H_WRITE = 2,   /* write, pwrite64, writev */
	PT_H_FSYNC = 3,   /* fsync, fdatasync */
	PT_H_OFFCPU = 4,  /* from being switched out while blocked to being switched back in (includes run-queue wait) */
};

/* Bucket i counts latencies in [2^i, 2^(i+1)) ns; bucket 0 also takes 0 ns. */
struct pt_hist {
	__u32 kind; /* enum pt_hist_kind */
	__u32 _pad;
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u32 buckets[PT_HIST_BUCKETS];
};

struct pt_data {
	__u64 owner_ts; /* head.ts of the record the string belongs to (same pid and tid) */
	__u32 offset;   /* offset of this chunk within the string */
	__u16 len;      /* bytes used in data[] */
	__u8 kind;      /* enum pt_data_kind */
	__u8 flags;     /* enum pt_data_flags */
	char data[PT_DATA_MAX];
};

/* Written by the capture tool once per cgroup id the records name; one PT_D_CGROUP string follows. */
struct pt_cgroup {
	__u64 cgroup_id;
	__u32 level; /* depth below the root cgroup (0: the root); 0 when unknown */
	__u32 _pad;
};

struct pt_loss {
	__u32 category; /* enum pt_loss_category */
	__u32 _pad;
	__u64 count; /* cumulative since the capture started */
};

/* Integrity (1.7): the footer's crc32 of each segment of records. */
#define PT_SEGMENTS_MAX 32
#define PT_SEGMENT_RECORDS_MIN 1024

struct pt_clock_anchor {
	__u64 realtime;  /* CLOCK_REALTIME ns */
	__u64 boottime;  /* CLOCK_BOOTTIME ns */
	__u64 monotonic; /* CLOCK_MONOTONIC ns */
};

struct pt_footer {
	__u64 records; /* records before the footer */
	__u64 lost;    /* sum over the loss categories */
	struct pt_clock_anchor stop;
	__u32 root_status; /* wait(2) status of the root command */
	__u32 processes;   /* processes seen (forks + the root) */
	__u32 still_running;
	__u32 end_flags; /* enum pt_end_flags */
	/* Since 1.7, valid when end_flags has PT_END_CHECKSUM (formats/FORMAT.md, Integrity). */
	__u32 crc32;          /* zlib crc32 of the whole file, these 4 bytes read as zero */
	__u32 header_crc32;   /* crc32 of the header: bytes 0 to header_size */
	__u32 segment_records; /* records per segment: PT_SEGMENT_RECORDS_MIN, doubled as the file grows */
	__u32 segments;       /* segments used (at most PT_SEGMENTS_MAX); the last one may be short */
	__u32 segment_crc32[PT_SEGMENTS_MAX]; /* crc32 of each segment's records */
};

enum pt_end_flags {
	PT_END_SIGNALLED = 1 << 0, /* the capture forwarded a signal to the command */
	PT_END_WAITED_ALL = 1 << 1,
	PT_END_CHECKSUM = 1 << 2, /* the footer's crc32 fields are set (since 1.7) */
	PT_END_INTERRUPTED = 1 << 3, /* attached: the capture stopped on SIGINT, SIGTERM or SIGHUP (1.8) */
	PT_END_DURATION = 1 << 4,    /* the capture stopped after --duration (1.8) */
};

struct pt_event {
	struct pt_head head;
	union {
		struct pt_fork fork;
		struct pt_thread thread;
		struct pt_exec exec;
		struct pt_exec_failed exec_failed;
		struct pt_exit exit;
		struct pt_attached attached;
		struct pt_cgroup cgroup;
		struct pt_open open;
		struct pt_hist hist;
		struct pt_tcp tcp;
		struct pt_dns dns;
		struct pt_dns_msg dns_msg;
		struct pt_data data;
		struct pt_loss loss;
		struct pt_footer footer;
		__u8 payload[PT_RECORD_SIZE - PT_HEAD_SIZE];
	};
};

/* File header: fixed part, then TLVs, then records from header_size on. */
struct pt_file_header {
	char magic[8];      /* PT_FILE_MAGIC */
	__u32 byte_order;   /* PT_BYTE_ORDER_MAGIC in the writer's byte order */
	__u16 version_major;
	__u16 version_minor;
	__u32 header_size; /* bytes from file start to the first record; multiple of 8 */
	__u32 record_size; /* sizeof(struct pt_event) */
	__u32 root_pid;
	__u32 capture_pid;
	__u64 options; /* enum pt_options */
	struct pt_clock_anchor start;
	__u32 args_limit; /* argv/env byte limit per exec in force */
	__u32 ringbuf_size;
};

enum pt_options {
	PT_OPT_ENV = 1 << 0,          /* environments captured */
	PT_OPT_FAILED_EXECS = 1 << 1, /* failed exec attempts captured */
	PT_OPT_KEEP_ROOT = 1 << 2,    /* command ran as root under sudo */
	PT_OPT_FILES = 1 << 3,        /* file opens captured */
	PT_OPT_IO = 1 << 4,           /* read/write/fsync latency histograms (--io) */
	PT_OPT_SCHED = 1 << 5,        /* off-CPU histograms (--sched) */
	PT_OPT_NET = 1 << 6,          /* TCP connections captured */
	PT_OPT_DNS = 1 << 7,          /* getaddrinfo() calls captured */
	PT_OPT_DNS_MSG = 1 << 8,      /* UDP port 53 messages captured */
	PT_OPT_ATTACH = 1 << 9,       /* attached to running processes (--pid, --cgroup): no root command (1.8) */
};

struct pt_tlv {
	__u16 tag;  /* enum pt_tlv_tag */
	__u16 _pad;
	__u32 len; /* value bytes; the value is followed by zero padding to a multiple of 8 */
};

enum pt_tlv_tag {
	PT_TLV_END = 0,
	PT_TLV_KERNEL_RELEASE = 1, /* uname -r */
	PT_TLV_KERNEL_VERSION = 2, /* uname -v */
	PT_TLV_HOSTNAME = 3,
	PT_TLV_MACHINE = 4,        /* uname -m */
	PT_TLV_PTRACE_VERSION = 5,
	PT_TLV_CAPTURE_ARGV = 6,   /* the capture tool's own argv, NUL-terminated strings */
	PT_TLV_COMMAND_ARGV = 7,   /* the traced command, NUL-terminated strings */
	PT_TLV_BOOT_ID = 8,        /* /proc/sys/kernel/random/boot_id */
	PT_TLV_OS_RELEASE = 9,     /* PRETTY_NAME from /etc/os-release */
	PT_TLV_TRACEPARENT = 10,   /* TRACEPARENT of the capture's own environment, if set */
	PT_TLV_WRITE_STOP = 11,    /* struct pt_write_stop: zeros, overwritten in place if writing stops early */
	PT_TLV_REDACTION = 12,     /* struct pt_redaction, then "rule=count" strings: the file was redacted (1.7) */
	PT_TLV_ATTACH_PIDS = 13,   /* --pid: the processes attached to, u32 each (1.8) */
	PT_TLV_ATTACH_CGROUP = 14, /* --cgroup: the cgroup path, relative to the cgroup v2 root (1.8) */
};

/*
 * Value of PT_TLV_REDACTION, written by `ptrace redact` and `capture --redact`
 * (never by the capture tool itself): the fixed part, then one NUL-terminated
 * "RULE=COUNT" string per rule that replaced something, then zero padding.
 */
struct pt_redaction {
	__u32 ruleset_version; /* RULESET_VERSION of the rule set applied */
	__u32 flags;           /* enum pt_redaction_flags */
	__u64 replaced;        /* secrets replaced, all rules together */
};

enum pt_redaction_flags {
	PT_REDACT_DROP_ENV = 1 << 0,       /* environments removed (--drop-env) */
	PT_REDACT_ANONYMIZE_PATHS = 1 << 1, /* home directories and user names replaced (--anonymize-paths) */
	PT_REDACT_USER_RULES = 1 << 2,     /* a rules file extended the built-in rules (--rules) */
	PT_REDACT_AT_CAPTURE = 1 << 3,     /* redacted as it was captured (capture --redact): no unredacted file existed */
};

/*
 * Value of PT_TLV_WRITE_STOP. Written as zeros with the header, so that a
 * write error later (a full disk) can be recorded without any new space:
 * the tool overwrites these bytes in place and cuts the file after the last
 * whole record.
 */
struct pt_write_stop {
	__u64 ts;      /* CLOCK_BOOTTIME ns when writing stopped; 0: it did not */
	__s32 error;   /* positive errno of the failed write (ENOSPC: disk full) */
	__u32 _pad;
	__u64 records; /* whole records in the file, after the header */
};

#endif /* PTRACE_H */
