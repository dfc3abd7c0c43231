// SPDX-License-Identifier: MIT
/*
 * ptrace-capture: runs a command under the BPF programs of bpf/ptrace.bpf.c
 * and writes every record of its process tree to a raw file
 * (formats/FORMAT.md). Usually started by `ptrace capture`.
 *
 * Order of work: check privileges and output, load and attach BPF, fork the
 * command (it waits on a pipe), register it in the traced map, write the
 * header, release it, then drain the ring buffer on a timer until the
 * command exits. Records are written as they are drained, so a crash loses
 * at most one drain interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ptrace.h"
#include "ptrace.skel.h"

#ifndef PTRACE_VERSION
#define PTRACE_VERSION "0.0.0"
#endif

#define DRAIN_INTERVAL_MS 50
#define EXIT_USAGE 2
#define EXIT_FAILURE_SETUP 1

struct options {
	const char *output;
	bool force;
	bool keep_root;
	bool wait_all;
	bool env;
	bool failed_execs;
	bool files;
	bool io;
	bool sched;
	bool net;
	bool dns;     /* getaddrinfo() uprobes */
	bool dns_msg; /* UDP port 53 packets */
	bool quiet;
	__u32 buffer_mb;
	__u32 args_limit;
	char **command;
	int capture_argc;
	char **capture_argv;
};

struct writer {
	int fd;
	char *buf;
	size_t len, cap;
	__u64 records;
	__u64 bytes;
	__u32 processes;
	bool failed;
	int err;
};

static struct writer out = {.fd = -1};
static volatile sig_atomic_t forward_pending[65];
static volatile sig_atomic_t signalled;
static volatile sig_atomic_t interrupted;

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ptrace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptrace-capture -o FILE [options] -- command [args...]\n"
		"  -o, --output FILE     raw file to write (created 0600)\n"
		"  -f, --force           overwrite FILE if it exists\n"
		"      --keep-root       under sudo, run the command as root instead of SUDO_UID\n"
		"      --wait-all        after the command exits, wait for all its descendants\n"
		"      --no-env          do not record environments\n"
		"      --no-failed-execs do not hook execve exits (no record of failed exec attempts)\n"
		"      --no-files        do not record file opens\n"
		"      --no-net          do not record TCP connections\n"
		"      --no-dns          do not record name lookups (getaddrinfo() calls, UDP port 53 messages)\n"
		"      --io              read/write/fsync latency histograms per process\n"
		"      --sched           off-CPU (blocked) time histograms per process\n"
		"      --buffer-mb N     ring buffer size in MiB, a power of two (default 32)\n"
		"      --args-limit N    bytes of argv and of env kept per exec (default %u, min 131072)\n"
		"  -q, --quiet           no summary line\n",
		PT_ARGS_LIMIT_DEFAULT);
}

static __u32 parse_u32(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX)
		die(EXIT_USAGE, "%s expects a whole number, got \"%s\"", flag, s);
	return (__u32)v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_KEEP_ROOT = 256, OPT_WAIT_ALL, OPT_NO_ENV, OPT_NO_FAILED, OPT_BUFFER, OPT_ARGS, OPT_NO_FILES, OPT_IO, OPT_SCHED, OPT_NO_NET, OPT_NO_DNS };
	static const struct option longopts[] = {
		{"output", required_argument, 0, 'o'},
		{"force", no_argument, 0, 'f'},
		{"keep-root", no_argument, 0, OPT_KEEP_ROOT},
		{"wait-all", no_argument, 0, OPT_WAIT_ALL},
		{"no-env", no_argument, 0, OPT_NO_ENV},
		{"no-failed-execs", no_argument, 0, OPT_NO_FAILED},
		{"no-files", no_argument, 0, OPT_NO_FILES},
		{"no-net", no_argument, 0, OPT_NO_NET},
		{"no-dns", no_argument, 0, OPT_NO_DNS},
		{"io", no_argument, 0, OPT_IO},
		{"sched", no_argument, 0, OPT_SCHED},
		{"buffer-mb", required_argument, 0, OPT_BUFFER},
		{"args-limit", required_argument, 0, OPT_ARGS},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	*o = (struct options){.env = true, .failed_execs = true, .files = true, .net = true, .dns = true, .dns_msg = true,
			      .buffer_mb = 32,
			      .args_limit = PT_ARGS_LIMIT_DEFAULT, .capture_argc = argc, .capture_argv = argv};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'f': o->force = true; break;
		case 'q': o->quiet = true; break;
		case OPT_KEEP_ROOT: o->keep_root = true; break;
		case OPT_WAIT_ALL: o->wait_all = true; break;
		case OPT_NO_ENV: o->env = false; break;
		case OPT_NO_FAILED: o->failed_execs = false; break;
		case OPT_NO_FILES: o->files = false; break;
		case OPT_NO_NET: o->net = false; break;
		case OPT_NO_DNS: o->dns = o->dns_msg = false; break;
		case OPT_IO: o->io = true; break;
		case OPT_SCHED: o->sched = true; break;
		case OPT_BUFFER: o->buffer_mb = parse_u32("--buffer-mb", optarg); break;
		case OPT_ARGS: o->args_limit = parse_u32("--args-limit", optarg); break;
		case 'h': usage(stdout); exit(0);
		default:
			die(EXIT_USAGE, "unknown or incomplete option \"%s\" (see --help)", argv[optind - 1]);
		}
	}
	if (!o->output)
		die(EXIT_USAGE, "missing -o FILE: where to write the capture");
	if (optind >= argc)
		die(EXIT_USAGE, "missing command: expected `-- command [args...]` after the options");
	if (o->buffer_mb < 1 || o->buffer_mb > 1024 || (o->buffer_mb & (o->buffer_mb - 1)))
		die(EXIT_USAGE, "--buffer-mb expects a power of two from 1 to 1024, got %u", o->buffer_mb);
	if (o->args_limit < 131072 || o->args_limit > 16 * 1024 * 1024)
		die(EXIT_USAGE, "--args-limit expects 131072 to 16777216 bytes, got %u", o->args_limit);
	o->command = &argv[optind];
}

/* ---- privileges ----------------------------------------------------------- */

static bool has_capability(int cap)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

static void check_privileges(void)
{
	if (geteuid() == 0)
		return;
	if (!has_capability(39 /* CAP_BPF */) || !has_capability(38 /* CAP_PERFMON */))
		die(EXIT_FAILURE_SETUP,
		    "loading BPF needs root or CAP_BPF and CAP_PERFMON (euid is %u): run it with sudo",
		    geteuid());
}

static void check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		die(EXIT_FAILURE_SETUP,
		    "no kernel BTF at /sys/kernel/btf/vmlinux (%s): the kernel needs CONFIG_DEBUG_INFO_BTF=y",
		    strerror(errno));
}

/* Classic tracepoints (the execve exits) are found through tracefs. */
static void ensure_tracefs(void)
{
	if (!access("/sys/kernel/debug/tracing/events/syscalls", F_OK) ||
	    !access("/sys/kernel/tracing/events/syscalls", F_OK))
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		die(EXIT_FAILURE_SETUP,
		    "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: %s "
		    "(or use --no-failed-execs)", strerror(errno));
	fprintf(stderr, "ptrace: mounted tracefs at /sys/kernel/tracing (needed for the execve exit tracepoints)\n");
}

struct run_as {
	bool drop;
	/* under sudo by a non-root user, --keep-root left the command running as root */
	bool kept_root;
	uid_t uid;
	gid_t gid;
	const char *user;
};

static struct run_as sudo_user(bool keep_root)
{
	struct run_as r = {0};
	const char *suid = getenv("SUDO_UID"), *sgid = getenv("SUDO_GID");
	if (geteuid() != 0 || !suid || !sgid)
		return r;
	char *end;
	unsigned long uid = strtoul(suid, &end, 10);
	if (*end || end == suid)
		return r;
	unsigned long gid = strtoul(sgid, &end, 10);
	if (*end || end == sgid)
		return r;
	if (keep_root) {
		r.kept_root = uid != 0;
		return r;
	}
	r.drop = uid != 0;
	r.uid = uid;
	r.gid = gid;
	r.user = getenv("SUDO_USER");
	return r;
}

static int drop_privileges(const struct run_as *r)
{
	if (!r->drop)
		return 0;
	gid_t groups[256];
	int n = 256;
	struct passwd *pw = r->user ? getpwnam(r->user) : getpwuid(r->uid);
	if (pw && getgrouplist(pw->pw_name, r->gid, groups, &n) >= 0) {
		if (setgroups(n, groups))
			return -1;
	} else if (setgroups(1, &r->gid)) {
		return -1;
	}
	if (setgid(r->gid) || setuid(r->uid))
		return -1;
	return 0;
}

/* ---- output ----------------------------------------------------------------- */

static int open_output(const struct options *o, const struct run_as *r)
{
	struct stat st;
	if (!lstat(o->output, &st)) {
		if (!o->force)
			die(EXIT_FAILURE_SETUP, "output exists: %s (use --force to overwrite)", o->output);
		if (S_ISDIR(st.st_mode))
			die(EXIT_FAILURE_SETUP, "output is a directory: %s", o->output);
		if (unlink(o->output))
			die(EXIT_FAILURE_SETUP, "cannot replace %s: %s", o->output, strerror(errno));
	}
	int fd = open(o->output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(EXIT_FAILURE_SETUP, "cannot write %s: %s", o->output, strerror(errno));
	if (r->drop && fchown(fd, r->uid, r->gid))
		fprintf(stderr, "ptrace: warning: cannot give %s to uid %u: %s\n", o->output, r->uid,
			strerror(errno));
	return fd;
}

static void out_append(const void *data, size_t len)
{
	if (out.len + len > out.cap) {
		size_t cap = out.cap ? out.cap : 1 << 20;
		while (cap < out.len + len)
			cap *= 2;
		char *buf = realloc(out.buf, cap);
		if (!buf)
			die(EXIT_FAILURE_SETUP, "out of memory buffering %zu bytes", out.len + len);
		out.buf = buf;
		out.cap = cap;
	}
	memcpy(out.buf + out.len, data, len);
	out.len += len;
}

static void out_flush(void)
{
	size_t done = 0;
	while (done < out.len && !out.failed) {
		ssize_t n = write(out.fd, out.buf + done, out.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out.failed = true;
			out.err = n < 0 ? errno : ENOSPC;
			break;
		}
		done += n;
	}
	out.bytes += done;
	out.len = 0;
}

static void out_record(const struct pt_event *e)
{
	out_append(e, sizeof(*e));
	out.records++;
}

/* ---- header ----------------------------------------------------------------- */

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The three clocks read as close together as possible: the tightest of a few tries. */
static struct pt_clock_anchor read_anchor(void)
{
	struct pt_clock_anchor best = {0};
	__u64 best_window = UINT64_MAX;
	for (int i = 0; i < 5; i++) {
		__u64 b1 = clock_ns(CLOCK_BOOTTIME);
		__u64 r = clock_ns(CLOCK_REALTIME);
		__u64 m = clock_ns(CLOCK_MONOTONIC);
		__u64 b2 = clock_ns(CLOCK_BOOTTIME);
		if (b2 - b1 < best_window) {
			best_window = b2 - b1;
			best = (struct pt_clock_anchor){.realtime = r, .boottime = b1 + (b2 - b1) / 2, .monotonic = m};
		}
	}
	return best;
}

static void put_tlv(__u16 tag, const void *value, __u32 len)
{
	struct pt_tlv t = {.tag = tag, .len = len};
	static const char zeros[8];
	out_append(&t, sizeof(t));
	out_append(value, len);
	out_append(zeros, (8 - len % 8) % 8);
}

static void put_tlv_str(__u16 tag, const char *s)
{
	if (s && *s)
		put_tlv(tag, s, strlen(s));
}

static void put_tlv_argv(__u16 tag, int argc, char **argv)
{
	size_t len = 0;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *buf = malloc(len ? len : 1), *p = buf;
	for (int i = 0; i < argc; i++)
		p = stpcpy(p, argv[i]) + 1;
	put_tlv(tag, buf, len);
	free(buf);
}

static void read_small_file(const char *path, char *buf, size_t size)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static void os_pretty_name(char *buf, size_t size)
{
	char text[4096];
	buf[0] = 0;
	int fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = 0;
	char *line = strstr(text, "PRETTY_NAME=");
	if (!line)
		return;
	line += strlen("PRETTY_NAME=");
	if (*line == '"')
		line++;
	size_t len = strcspn(line, "\"\n");
	snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), line);
}

static void write_header(const struct options *o, pid_t root, struct pt_clock_anchor start, __u32 ringbuf_size,
			 const struct run_as *r)
{
	struct pt_file_header h = {0};
	memcpy(h.magic, PT_FILE_MAGIC, sizeof(h.magic));
	h.byte_order = PT_BYTE_ORDER_MAGIC;
	h.version_major = PT_VERSION_MAJOR;
	h.version_minor = PT_VERSION_MINOR;
	h.record_size = sizeof(struct pt_event);
	h.root_pid = root;
	h.capture_pid = getpid();
	h.options = (o->env ? PT_OPT_ENV : 0) | (o->failed_execs ? PT_OPT_FAILED_EXECS : 0) |
		    (r->kept_root ? PT_OPT_KEEP_ROOT : 0) | (o->files ? PT_OPT_FILES : 0) |
		    (o->io ? PT_OPT_IO : 0) | (o->sched ? PT_OPT_SCHED : 0) | (o->net ? PT_OPT_NET : 0) |
		    (o->dns ? PT_OPT_DNS : 0) | (o->dns_msg ? PT_OPT_DNS_MSG : 0);
	h.start = start;
	h.args_limit = o->args_limit;
	h.ringbuf_size = ringbuf_size;
	out_append(&h, sizeof(h));

	struct utsname u;
	char host[256], boot_id[64], os[256];
	uname(&u);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = 0;
	read_small_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	os_pretty_name(os, sizeof(os));
	put_tlv_str(PT_TLV_KERNEL_RELEASE, u.release);
	put_tlv_str(PT_TLV_KERNEL_VERSION, u.version);
	put_tlv_str(PT_TLV_HOSTNAME, host);
	put_tlv_str(PT_TLV_MACHINE, u.machine);
	put_tlv_str(PT_TLV_PTRACE_VERSION, PTRACE_VERSION);
	put_tlv_argv(PT_TLV_CAPTURE_ARGV, o->capture_argc, o->capture_argv);
	int command_argc = 0;
	while (o->command[command_argc])
		command_argc++;
	put_tlv_argv(PT_TLV_COMMAND_ARGV, command_argc, o->command);
	put_tlv_str(PT_TLV_BOOT_ID, boot_id);
	put_tlv_str(PT_TLV_OS_RELEASE, os);
	put_tlv_str(PT_TLV_TRACEPARENT, getenv("TRACEPARENT"));
	put_tlv(PT_TLV_END, "", 0);

	struct pt_file_header *written = (struct pt_file_header *)out.buf;
	written->header_size = out.len;
	out_flush();
}

/* ---- draining ----------------------------------------------------------------- */

static void note_exec(pid_t pid);
static void note_exit(pid_t pid);

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size != sizeof(struct pt_event))
		return 0;
	const struct pt_event *e = data;
	if (e->head.type == PT_FORK)
		out.processes++;
	else if (e->head.type == PT_EXEC)
		note_exec(e->head.pid);
	else if (e->head.type == PT_EXIT)
		note_exit(e->head.pid);
	out_record(e);
	return 0;
}

static __u64 lost_seen[PT_CAT_MAX];

/* Losses are counted per CPU in BPF; each change becomes a PT_LOSS record in-band. */
static __u64 flush_losses(int losses_fd)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *values = calloc(ncpu, sizeof(__u64)), total = 0;
	for (__u32 cat = 0; cat < PT_CAT_MAX; cat++) {
		if (bpf_map_lookup_elem(losses_fd, &cat, values))
			continue;
		__u64 sum = 0;
		for (int i = 0; i < ncpu; i++)
			sum += values[i];
		total += sum;
		if (sum == lost_seen[cat])
			continue;
		lost_seen[cat] = sum;
		struct pt_event e = {0};
		e.head.type = PT_LOSS;
		e.head.ts = clock_ns(CLOCK_BOOTTIME);
		e.loss.category = cat;
		e.loss.count = sum;
		out_record(&e);
	}
	free(values);
	return total;
}

static __u32 write_still_running(int traced_fd)
{
	__u32 key, next, count = 0;
	__u32 *prev = NULL;
	__u64 now = clock_ns(CLOCK_BOOTTIME);
	while (!bpf_map_get_next_key(traced_fd, prev, &next)) {
		__u64 start = 0;
		bpf_map_lookup_elem(traced_fd, &next, &start);
		struct pt_event e = {0};
		e.head.type = PT_RUNNING;
		e.head.ts = now;
		e.head.pid = next;
		e.head.start = start;
		out_record(&e);
		count++;
		key = next;
		prev = &key;
	}
	return count;
}

static bool map_empty(int fd)
{
	__u32 next;
	return bpf_map_get_next_key(fd, NULL, &next) != 0;
}

/* ---- signals ------------------------------------------------------------------- */

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	interrupted = 1; /* ends a --wait-all wait for daemons */
	/* Terminal-generated signals (SI_KERNEL) already reached the command, which is in our process group. */
	if (info->si_code == SI_KERNEL)
		return;
	forward_pending[sig] = 1;
	signalled = 1;
}

static void on_child(int sig)
{
	(void)sig;
}

static void install_signal_handlers(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	/* a no-op handler, without SA_RESTART, so the command's exit interrupts the drain wait */
	struct sigaction chld = {0};
	chld.sa_handler = on_child;
	sigemptyset(&chld.sa_mask);
	sigaction(SIGCHLD, &chld, NULL);
}

static void forward_signals(pid_t child)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (forward_pending[sigs[i]]) {
			forward_pending[sigs[i]] = 0;
			kill(child, sigs[i]);
		}
	}
}

/* ---- the command ---------------------------------------------------------------- */

static pid_t start_command(char **command, const struct run_as *r, int *release_fd)
{
	int gate[2];
	if (pipe2(gate, O_CLOEXEC))
		die(EXIT_FAILURE_SETUP, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die(EXIT_FAILURE_SETUP, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(gate[1]);
		char go;
		if (read(gate[0], &go, 1) != 1)
			_exit(126); /* the capture gave up before releasing us */
		close(gate[0]);
		if (drop_privileges(r)) {
			fprintf(stderr, "ptrace: cannot switch to uid %u gid %u: %s\n", r->uid, r->gid, strerror(errno));
			_exit(126);
		}
		execvp(command[0], command);
		int err = errno;
		fprintf(stderr, "ptrace: %s: %s\n", command[0], err == ENOENT ? "command not found" : strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	close(gate[0]);
	*release_fd = gate[1];
	return pid;
}

static bool syscall_tracepoint_exists(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s", name);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/syscalls/%s", name);
	return !access(path, F_OK);
}

/* Which hooks load: the options' sets, minus syscalls this architecture lacks (open, creat). */
static void select_programs(struct ptrace_bpf *skel, const struct options *o)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		const char *tp = strrchr(sec, '/');
		bool load = true;
		if (!strncmp(sec, "tracepoint/syscalls/", 20)) {
			bool execve = strstr(sec, "_execve") != NULL;
			bool open = strstr(sec, "_open") || strstr(sec, "_creat");
			load = execve ? o->failed_execs : open ? o->files : o->io;
			if (load && tp && !syscall_tracepoint_exists(tp + 1))
				load = false;
		} else if (!strcmp(sec, "tp_btf/sched_switch")) {
			load = o->sched;
		} else if (!strcmp(sec, "tp_btf/inet_sock_set_state")) {
			load = o->net;
		} else if (!strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe")) {
			load = o->dns;
		} else if (!strcmp(sec, "tp_btf/net_dev_queue") || !strcmp(sec, "tp_btf/netif_receive_skb")) {
			load = o->dns_msg;
		}
		bpf_program__set_autoload(prog, load);
	}
}

/*
 * getaddrinfo() uprobes: one pair per distinct C library file (device, inode)
 * found in the memory maps of the tool itself and of every traced process
 * after its exec, opened through /proc/PID/root so that libraries in other
 * mount namespaces (containers) are found at the path the process sees.
 */
#define MAX_LIBCS 32

static struct {
	struct ptrace_bpf *skel;
	bool enabled;
	bool warned;
	int count;
	unsigned long long ids[MAX_LIBCS][2]; /* device, inode as /proc/PID/maps gives them */
	struct bpf_link *links[2 * MAX_LIBCS];
	pid_t *pending; /* processes that exec'd since the last drain */
	size_t npending, cap;
	pid_t *due;      /* processes that exec'd one drain earlier: their loader has mapped libc by now */
	size_t ndue, due_cap;
} libcs;

/* glibc (libc.so.6, or libc-2.X.so before 2.34) and musl (ld-musl-ARCH.so.1 is its libc) */
static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) || !strncmp(base, "ld-musl-", 8);
}

static void attach_libc(const char *proc, unsigned long long dev, unsigned long long ino, const char *path)
{
	for (int i = 0; i < libcs.count; i++)
		if (libcs.ids[i][0] == dev && libcs.ids[i][1] == ino)
			return;
	if (libcs.count == MAX_LIBCS) {
		if (!libcs.warned)
			fprintf(stderr, "ptrace: warning: more than %d C libraries: lookups through others are not recorded\n",
				MAX_LIBCS);
		libcs.warned = true;
		return;
	}
	char target[PATH_MAX + 64];
	snprintf(target, sizeof(target), "/proc/%s/root%s", proc, path);
	LIBBPF_OPTS(bpf_uprobe_opts, enter, .func_name = "getaddrinfo", .retprobe = false);
	LIBBPF_OPTS(bpf_uprobe_opts, leave, .func_name = "getaddrinfo", .retprobe = true);
	struct bpf_link *in = bpf_program__attach_uprobe_opts(libcs.skel->progs.getaddrinfo_enter, -1, target, 0, &enter);
	struct bpf_link *out_link = in ? bpf_program__attach_uprobe_opts(libcs.skel->progs.getaddrinfo_exit, -1, target, 0, &leave) : NULL;
	if (!in || !out_link) {
		/* the process may be gone already; a static or stripped library has no symbol: quietly next time */
		bpf_link__destroy(in);
		return;
	}
	int i = libcs.count++;
	libcs.ids[i][0] = dev;
	libcs.ids[i][1] = ino;
	libcs.links[2 * i] = in;
	libcs.links[2 * i + 1] = out_link;
}

/* Attaches to each new C library mapped by the process; `proc` is a pid or "self". */
static void scan_libcs(const char *proc)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/maps", proc);
	FILE *maps = fopen(path, "re");
	if (!maps)
		return; /* exited already: it looked nothing up after its exec */
	char line[4096];
	while (fgets(line, sizeof(line), maps)) {
		char *file = strchr(line, '/');
		if (!file || !strstr(file, "lib"))
			continue;
		file[strcspn(file, "\n")] = 0;
		if (!is_libc(file))
			continue;
		unsigned int major, minor;
		unsigned long long ino;
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &major, &minor, &ino) != 3)
			continue;
		attach_libc(proc, ((unsigned long long)major << 32) | minor, ino, file);
	}
	fclose(maps);
}

static void note_exec(pid_t pid)
{
	if (!libcs.enabled)
		return;
	if (libcs.npending == libcs.cap) {
		size_t cap = libcs.cap ? 2 * libcs.cap : 256;
		pid_t *p = realloc(libcs.pending, cap * sizeof(*p));
		if (!p)
			return;
		libcs.pending = p, libcs.cap = cap;
	}
	libcs.pending[libcs.npending++] = pid;
}

/* A process that exited before its scan looked nothing up after its exec: no scan (a fork/exec storm costs nothing). */
static void note_exit(pid_t pid)
{
	if (!libcs.enabled)
		return;
	for (size_t i = libcs.npending; i-- > 0;)
		if (libcs.pending[i] == pid)
			libcs.pending[i] = 0;
	for (size_t i = libcs.ndue; i-- > 0;)
		if (libcs.due[i] == pid)
			libcs.due[i] = 0;
}

/* Called after each drain: scans the processes that exec'd one drain ago. */
static void scan_exec_libcs(void)
{
	if (!libcs.enabled)
		return;
	char proc[16];
	for (size_t i = 0; i < libcs.ndue; i++) {
		if (!libcs.due[i])
			continue;
		snprintf(proc, sizeof(proc), "%d", libcs.due[i]);
		scan_libcs(proc);
	}
	pid_t *t = libcs.due;
	size_t t_cap = libcs.due_cap;
	libcs.due = libcs.pending, libcs.due_cap = libcs.cap, libcs.ndue = libcs.npending;
	libcs.pending = t, libcs.cap = t_cap, libcs.npending = 0;
}

static int attach_dns(struct ptrace_bpf *skel)
{
	libcs.skel = skel;
	scan_libcs("self");
	if (!libcs.count) {
		fprintf(stderr, "ptrace: warning: cannot attach to getaddrinfo in this tool's C library: name lookups "
				"through libc are not recorded\n");
		return -1;
	}
	libcs.enabled = true;
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("PTRACE_BPF_VERBOSE")))
		return 0;
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, args);
	if (n < 0)
		return 0;
	/* verifier logs are long: the tail says why, PTRACE_BPF_VERBOSE=1 shows all */
	const char *shown = msg;
	if (n > 1500 && !getenv("PTRACE_BPF_VERBOSE"))
		shown = msg + n - 1500;
	fprintf(stderr, "ptrace: %s", shown);
	free(msg);
	return n;
}

static void human_size(__u64 bytes, char *buf, size_t size)
{
	if (bytes < 1024)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, size, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
}

/*
 * Unloading the programs waits for RCU grace periods (~0.3 s). A detached
 * child holding the only other references does it, so the capture exits as
 * soon as the file is complete; it owns no stdio, so pipes close right away.
 */
static void release_in_background(struct ptrace_bpf *skel, struct ring_buffer *rb)
{
	int parent_alive[2];
	if (pipe(parent_alive))
		parent_alive[0] = parent_alive[1] = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		setsid();
		/* hold the references until the parent is gone, or its exit would do the slow release */
		close(parent_alive[1]);
		char c;
		while (read(parent_alive[0], &c, 1) < 0 && errno == EINTR)
			;
		ring_buffer__free(rb);
		ptrace_bpf__destroy(skel);
		_exit(0);
	}
	if (pid < 0) {
		ring_buffer__free(rb);
		ptrace_bpf__destroy(skel);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	parse_options(argc, argv, &o);
	check_privileges();
	check_btf();
	struct run_as run_as = sudo_user(o.keep_root);
	out.fd = open_output(&o, &run_as);
	/* Forked before the BPF work so the command does not inherit (and report as its
	 * pre-exec max RSS) the memory libbpf uses to parse the kernel's BTF. It waits on
	 * a pipe until it is registered; if we die first, it sees EOF and exits 126. */
	int release_fd;
	pid_t child = start_command(o.command, &run_as, &release_fd);

	libbpf_set_print(libbpf_print);
	if (o.failed_execs || o.files || o.io)
		ensure_tracefs();

	__u64 t_open = clock_ns(CLOCK_MONOTONIC);
	struct ptrace_bpf *skel = ptrace_bpf__open();
	if (!skel) {
		unlink(o.output);
		die(EXIT_FAILURE_SETUP, "cannot open the BPF object: %s", strerror(errno));
	}
	skel->rodata->args_limit = o.args_limit;
	skel->rodata->capture_env = o.env;
	__u32 ringbuf_size = o.buffer_mb * 1024 * 1024;
	bpf_map__set_max_entries(skel->maps.events, ringbuf_size);
	skel->rodata->capture_hist = o.io || o.sched;
	skel->rodata->page_kb = getpagesize() / 1024;
	select_programs(skel, &o);
	int err = ptrace_bpf__load(skel);
	if (!err)
		err = ptrace_bpf__attach(skel);
	if (err) {
		unlink(o.output);
		die(EXIT_FAILURE_SETUP, "cannot load or attach the BPF programs: %s", strerror(-err));
	}
	if (o.dns && attach_dns(skel))
		o.dns = false; /* the header then says lookups were not recorded */
	if (getenv("PTRACE_TIMING"))
		fprintf(stderr, "ptrace: BPF open+load+attach %.1f ms\n", (clock_ns(CLOCK_MONOTONIC) - t_open) / 1e6);
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		unlink(o.output);
		die(EXIT_FAILURE_SETUP, "cannot open the ring buffer: %s", strerror(errno));
	}
	int traced_fd = bpf_map__fd(skel->maps.traced);
	int losses_fd = bpf_map__fd(skel->maps.losses);

	install_signal_handlers();
	struct pt_clock_anchor start = read_anchor();
	__u32 key = child;
	__u64 unknown_start = 0;
	if (bpf_map_update_elem(traced_fd, &key, &unknown_start, BPF_ANY)) {
		kill(child, SIGKILL);
		unlink(o.output);
		die(EXIT_FAILURE_SETUP, "cannot register the command in the traced map: %s", strerror(errno));
	}
	out.processes = 1;
	write_header(&o, child, start, ringbuf_size, &run_as);
	if (write(release_fd, "x", 1) != 1)
		die(EXIT_FAILURE_SETUP, "cannot release the command: %s", strerror(errno));
	close(release_fd);

	int status = 0;
	bool root_done = false;
	__u64 lost = 0;
	for (;;) {
		/* Records are submitted without wakeups: the poll returns on the timer (or when BPF
		 * forces a wakeup because the buffer is half full), and consume drains it either way. */
		int n = ring_buffer__poll(rb, DRAIN_INTERVAL_MS);
		if (n < 0 && n != -EINTR)
			fprintf(stderr, "ptrace: warning: ring buffer poll: %s\n", strerror(-n));
		ring_buffer__consume(rb);
		scan_exec_libcs();
		if (!root_done) /* once reaped, its pid may belong to someone else */
			forward_signals(child);
		lost = flush_losses(losses_fd);
		out_flush();
		if (!root_done) {
			pid_t w = waitpid(child, &status, WNOHANG);
			if (w == child)
				root_done = true;
		}
		if (root_done && (!o.wait_all || interrupted || map_empty(traced_fd)))
			break;
	}

	/* Stop the programs first so the traced map is a consistent snapshot of what still runs. */
	skel->bss->stopped = 1;
	__sync_synchronize();
	usleep(2000); /* let programs that passed the check before it finish their records */
	ring_buffer__consume(rb);
	lost = flush_losses(losses_fd);
	__u32 still_running = write_still_running(traced_fd);

	struct pt_event footer = {0};
	footer.head.type = PT_FOOTER;
	footer.footer.stop = read_anchor();
	footer.head.ts = footer.footer.stop.boottime;
	footer.footer.records = out.records;
	footer.footer.lost = lost;
	footer.footer.root_status = status;
	footer.footer.processes = out.processes;
	footer.footer.still_running = still_running;
	footer.footer.end_flags = (signalled ? PT_END_SIGNALLED : 0) | (o.wait_all ? PT_END_WAITED_ALL : 0);
	out_record(&footer);
	out_flush();
	if (!out.failed && close(out.fd))
		out.failed = true, out.err = errno;

	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	if (out.failed) {
		fprintf(stderr, "ptrace: writing %s failed after %llu bytes: %s; the file holds what was written before\n",
			o.output, (unsigned long long)out.bytes, strerror(out.err));
		return code ? code : 1;
	}
	if (!o.quiet) {
		char size[32];
		human_size(out.bytes, size, sizeof(size));
		fprintf(stderr, "ptrace: %u processes, %llu records, %llu lost, %s written to %s\n", out.processes,
			(unsigned long long)out.records - 1, (unsigned long long)lost, size, o.output);
	}
	release_in_background(skel, rb);
	return code;
}
