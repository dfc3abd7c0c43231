// SPDX-License-Identifier: MIT
/*
 * ptrace-capture: runs a command under the BPF programs of bpf/ptrace.bpf.c
 * and writes every record of its process tree to a raw file
 * (formats/FORMAT.md). Usually started by `ptrace capture`.
 *
 * Order of work: note the caller's process state, check privileges and
 * output, fork the command (it waits on a pipe), load and attach BPF,
 * register it in the traced map, write the header (if that fails, the
 * command never runs), release it, then drain the ring buffer on a timer
 * until the command exits. Records are written as they are drained, so a
 * crash loses at most one drain interval; a full disk stops the writing, not
 * the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <grp.h>
#include <libgen.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ptrace.h"
#include "signals.h"
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
	const char *path;
	char *buf;
	size_t len, cap;
	__u64 records;
	__u64 bytes;
	__u32 processes;
	bool failed;
	int err;
	size_t header_size;       /* 0 until the header is written */
	size_t write_stop_offset; /* file offset of the PT_TLV_WRITE_STOP value */
	__u64 start_boottime;     /* the header's start anchor, for "+N s" */
};

static struct writer out = {.fd = -1};
static volatile sig_atomic_t forward_pending[65];
static volatile __u64 forward_arrived[65]; /* CLOCK_BOOTTIME ns the handler ran */
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
		"  -o, --output FILE     raw file to write (created 0600; under sudo, as the invoking user)\n"
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
	const char *last_value = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fqh", longopts, NULL)) != -1) {
		last_value = optarg;
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
	/* the options end at the first `--` (not one given as an option's value); the command is what follows */
	if (optind < 2 || strcmp(argv[optind - 1], "--") || argv[optind - 1] == last_value)
		die(EXIT_USAGE, "missing `--` before the command: ptrace capture -o FILE [FLAGS] -- COMMAND [ARGS...]");
	if (optind >= argc)
		die(EXIT_USAGE, "missing command after `--`");
	if (o->buffer_mb < 1 || o->buffer_mb > 1024 || (o->buffer_mb & (o->buffer_mb - 1)))
		die(EXIT_USAGE, "--buffer-mb expects a power of two from 1 to 1024, got %u", o->buffer_mb);
	if (o->args_limit < 131072 || o->args_limit > 16 * 1024 * 1024)
		die(EXIT_USAGE, "--args-limit expects 131072 to 16777216 bytes, got %u", o->args_limit);
	o->command = &argv[optind];
}

/* ---- the caller's process state ---------------------------------------------- */

/*
 * What the command must inherit as if run without ptrace: the ignored
 * signals, the signal mask and the open-files soft limit, as this tool got
 * them (the `ptrace` launcher is a shell that execs it: nothing changes
 * them before). Read before the tool installs its own handlers.
 */
struct caller_state {
	__u64 ignored;
	__u64 blocked;
	rlim_t nofile;
};

static struct caller_state caller;

static void read_caller_state(void)
{
	sigset_t mask;
	struct rlimit rl;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	getrlimit(RLIMIT_NOFILE, &rl);
	caller.nofile = rl.rlim_cur;
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction sa;
		if (!sigaction(sig, NULL, &sa) && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
			caller.ignored |= 1ULL << (sig - 1);
		if (sigismember(&mask, sig) == 1)
			caller.blocked |= 1ULL << (sig - 1);
	}
}

static bool caller_ignores(int sig)
{
	return (caller.ignored >> (sig - 1)) & 1;
}

/* In the command's process, just before its exec (async-signal-safe calls only). */
static void restore_caller_state(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		struct sigaction sa = {0};
		sa.sa_handler = caller_ignores(sig) ? SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL); /* fails harmlessly for the C library's internal signals */
	}
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != caller.nofile) {
		rl.rlim_cur = caller.nofile;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigset_t mask;
	sigemptyset(&mask);
	for (int sig = 1; sig <= 64; sig++)
		if ((caller.blocked >> (sig - 1)) & 1)
			sigaddset(&mask, sig);
	sigprocmask(SIG_SETMASK, &mask, NULL);
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
	bool sudo; /* run by root under sudo (SUDO_UID and SUDO_GID set): the output is created as that user */
	bool drop; /* the command runs as that user (not --keep-root, and the user is not root) */
	bool kept_root; /* under sudo by a non-root user, --keep-root left the command running as root */
	uid_t uid;
	gid_t gid;
	const char *user;
	int ngroups;    /* the command's supplementary groups (drop): looked up before the command is */
	gid_t *groups;  /* forked, so that its process opens no user databases; -1 if they could not be */
};

/* A decimal user or group id, nothing else (no sign, no spaces, not the (uid_t)-1 that means "no change"). */
static bool parse_id(const char *s, unsigned int *id)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return false;
	unsigned long long v = strtoull(s, NULL, 10);
	if (v >= UINT32_MAX)
		return false;
	*id = v;
	return true;
}

static int user_groups(const struct run_as *r, gid_t **groups);

static struct run_as sudo_user(bool keep_root)
{
	struct run_as r = {0};
	const char *suid = getenv("SUDO_UID"), *sgid = getenv("SUDO_GID");
	if (geteuid() != 0 || !suid || !sgid)
		return r;
	unsigned int uid, gid;
	if (!parse_id(suid, &uid) || !parse_id(sgid, &gid))
		die(EXIT_FAILURE_SETUP, "SUDO_UID and SUDO_GID must be user and group ids (numbers): refusing to guess "
					"whom to run the command as");
	r.sudo = true;
	r.drop = !keep_root && uid != 0;
	r.kept_root = keep_root && uid != 0;
	r.uid = uid;
	r.gid = gid;
	r.user = getenv("SUDO_USER");
	if (r.drop)
		r.ngroups = user_groups(&r, &r.groups);
	return r;
}

/* The user's supplementary groups (malloc'd; at least the primary group). */
static int user_groups(const struct run_as *r, gid_t **groups)
{
	/* SUDO_USER names the account only if it agrees with SUDO_UID */
	struct passwd *pw = r->user ? getpwnam(r->user) : NULL;
	if (!pw || pw->pw_uid != r->uid)
		pw = getpwuid(r->uid);
	int n = 64;
	for (int tries = 0; tries < 3; tries++) {
		*groups = malloc(n * sizeof(gid_t));
		if (!*groups)
			break;
		int want = n;
		if (pw && getgrouplist(pw->pw_name, r->gid, *groups, &want) >= 0)
			return want;
		free(*groups);
		*groups = NULL;
		if (!pw || want <= n)
			break;
		n = want;
	}
	*groups = malloc(sizeof(gid_t));
	if (!*groups)
		return -1;
	(*groups)[0] = r->gid;
	return 1;
}

static int drop_privileges(const struct run_as *r)
{
	if (!r->drop)
		return 0;
	if (r->ngroups < 0 || setgroups(r->ngroups, r->groups) || setgid(r->gid) || setuid(r->uid))
		return -1;
	return 0;
}

/*
 * execvp() without its failed attempts: execvp tries execve() in each PATH
 * directory in turn, and the BPF programs would record every miss as a
 * failed exec of the user's command. Here each candidate is checked with
 * stat() and access() first, and only one that would run is exec'd. Same
 * rules as glibc: a name with a slash is used as is; PATH unset means
 * /bin:/usr/bin; an empty entry is the current directory; a directory or a
 * file without execute permission is skipped but makes the final error
 * EACCES; ENOEXEC (no #! line, not a binary) runs the file with /bin/sh.
 * When nothing qualifies, the first candidate (the first denied one for
 * EACCES) is exec'd anyway: the command's real failure is recorded once.
 * Returns the errno to report.
 */
static int exec_file(const char *path, char **argv)
{
	execve(path, argv, environ);
	int err = errno;
	if (err != ENOEXEC)
		return err;
	int argc = 0;
	while (argv[argc])
		argc++;
	char **sh_argv = calloc(argc + 2, sizeof(*sh_argv));
	if (!sh_argv)
		return ENOMEM;
	sh_argv[0] = "sh";
	sh_argv[1] = (char *)path;
	for (int i = 1; i <= argc; i++)
		sh_argv[i + 1] = argv[i];
	execve("/bin/sh", sh_argv, environ);
	free(sh_argv);
	return ENOEXEC;
}

static int exec_command(char **argv)
{
	const char *name = argv[0];
	if (!*name)
		return ENOENT;
	if (strchr(name, '/'))
		return exec_file(name, argv);
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	size_t name_len = strlen(name);
	bool denied = false, attempted = false;
	int last_err = ENOENT;
	char first[PATH_MAX] = "", first_denied[PATH_MAX] = "";
	for (const char *dir = path;; dir++) {
		const char *colon = strchrnul(dir, ':');
		size_t dir_len = colon - dir;
		char candidate[PATH_MAX];
		if (dir_len + 1 + name_len + 1 > sizeof(candidate)) {
			/* execve would fail with ENAMETOOLONG: glibc skips such an entry */
		} else {
			if (dir_len)
				memcpy(candidate, dir, dir_len);
			else
				candidate[0] = '.', dir_len = 1;
			candidate[dir_len] = '/';
			memcpy(candidate + dir_len + 1, name, name_len + 1);
			if (!first[0])
				memcpy(first, candidate, sizeof(candidate));
			struct stat st;
			if (stat(candidate, &st)) {
				if (errno == EACCES) {
					if (!denied)
						memcpy(first_denied, candidate, sizeof(candidate));
					denied = true;
				} else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV &&
					 errno != ETIMEDOUT)
					return errno;
			} else if (!S_ISREG(st.st_mode) || access(candidate, X_OK)) {
				if (!denied)
					memcpy(first_denied, candidate, sizeof(candidate));
				denied = true;
			} else {
				int err = exec_file(candidate, argv);
				attempted = true, last_err = err;
				if (err == EACCES)
					denied = true;
				else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV && err != ETIMEDOUT)
					return err;
			}
		}
		if (!*colon)
			break;
		dir = colon;
	}
	if (attempted) /* a file that looked runnable failed (a missing #! interpreter): that failure is recorded */
		return denied ? EACCES : last_err;
	const char *shown = first_denied[0] ? first_denied : first;
	if (shown[0])
		return exec_file(shown, argv);
	return denied ? EACCES : ENOENT;
}

/* ---- output ----------------------------------------------------------------- */

/*
 * Under sudo the output is created, replaced (--force) and removed with the
 * file-system identity of the user who ran sudo (setfsuid, setfsgid, their
 * groups): a path through a directory that user controls then resolves
 * exactly as it would for them, never with root's rights, so a symlink or a
 * directory swapped in cannot make root create, truncate or delete a file
 * elsewhere. The directory is held open for the removal if set-up fails.
 */
static int out_dir_fd = -1;
static char *out_name;
static gid_t *root_groups;
static int root_ngroups = -1;

static void as_invoking_user(const struct run_as *r)
{
	if (!r->sudo || r->uid == 0)
		return;
	root_ngroups = getgroups(0, NULL);
	root_groups = malloc((root_ngroups > 0 ? root_ngroups : 1) * sizeof(gid_t));
	if (!root_groups || getgroups(root_ngroups, root_groups) < 0)
		die(EXIT_FAILURE_SETUP, "cannot read this process's groups: %s", strerror(errno));
	gid_t *groups;
	int n = user_groups(r, &groups);
	if (n < 0 || setgroups(n, groups))
		die(EXIT_FAILURE_SETUP, "cannot take the groups of uid %u to create the output: %s", r->uid, strerror(errno));
	free(groups);
	setfsgid(r->gid);
	setfsuid(r->uid);
	if ((uid_t)setfsuid(-1) != r->uid || (gid_t)setfsgid(-1) != r->gid)
		die(EXIT_FAILURE_SETUP, "cannot take uid %u gid %u to create the output", r->uid, r->gid);
}

static void as_root_again(const struct run_as *r)
{
	if (!r->sudo || r->uid == 0)
		return;
	setfsuid(0);
	setfsgid(0);
	if ((uid_t)setfsuid(-1) != 0 || setgroups(root_ngroups, root_groups))
		die(EXIT_FAILURE_SETUP, "cannot return to root after creating the output: %s", strerror(errno));
	free(root_groups);
	root_groups = NULL;
}

static const struct run_as *out_owner;

static int open_output(const struct options *o, const struct run_as *r)
{
	char *dir_copy = strdup(o->output), *name_copy = strdup(o->output);
	if (!dir_copy || !name_copy)
		die(EXIT_FAILURE_SETUP, "out of memory");
	const char *dir = dirname(dir_copy), *name = basename(name_copy);
	if (!strcmp(name, "/") || !strcmp(name, ".") || !strcmp(name, "..") || o->output[strlen(o->output) - 1] == '/')
		die(EXIT_FAILURE_SETUP, "output is a directory: %s", o->output);
	as_invoking_user(r);
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		die(EXIT_FAILURE_SETUP, "cannot write %s: %s", o->output, strerror(errno));
	struct stat st;
	if (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (!o->force)
			die(EXIT_FAILURE_SETUP, "output exists: %s (use --force to overwrite)", o->output);
		if (S_ISDIR(st.st_mode))
			die(EXIT_FAILURE_SETUP, "output is a directory: %s", o->output);
		if (unlinkat(dirfd, name, 0))
			die(EXIT_FAILURE_SETUP, "cannot replace %s: %s", o->output, strerror(errno));
	}
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		die(EXIT_FAILURE_SETUP, "cannot write %s: %s%s", o->output, strerror(errno),
		    r->sudo && r->uid && errno == EACCES ? " (under sudo the output is created as the user who ran sudo)" : "");
	as_root_again(r);
	out_dir_fd = dirfd;
	out_name = strdup(name);
	out_owner = r;
	free(dir_copy);
	free(name_copy);
	/* --keep-root keeps the file root's, as the command's own files are */
	uid_t uid = r->drop ? r->uid : 0;
	gid_t gid = r->drop ? r->gid : 0;
	if (r->sudo && r->uid && fchown(fd, uid, gid))
		fprintf(stderr, "ptrace: warning: cannot give %s to uid %u: %s\n", o->output, uid, strerror(errno));
	return fd;
}

/* Set-up failed: the half-made output goes, through the directory it was made in, as the user who made it. */
static void remove_output(void)
{
	if (out_dir_fd < 0 || !out_name)
		return;
	as_invoking_user(out_owner);
	unlinkat(out_dir_fd, out_name, 0);
	as_root_again(out_owner);
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

static __u64 clock_ns(clockid_t id);

/*
 * Writing failed (a full disk): keep the file readable up to there. Cut it
 * after the last whole record, note where and why in the header's
 * PT_TLV_WRITE_STOP value (overwriting bytes already on disk needs no new
 * space), and say so at once. The command is not disturbed: the drain goes
 * on and its records are dropped.
 */
static void stop_writing(void)
{
	if (!out.header_size)
		return; /* the header itself failed: main() refuses to run the command */
	__u64 records = out.bytes > out.header_size ? (out.bytes - out.header_size) / sizeof(struct pt_event) : 0;
	off_t whole = out.header_size + records * sizeof(struct pt_event);
	if ((__u64)whole != out.bytes && ftruncate(out.fd, whole) == 0)
		out.bytes = whole;
	struct pt_write_stop stop = {.ts = clock_ns(CLOCK_BOOTTIME), .error = out.err, .records = records};
	bool noted = pwrite(out.fd, &stop, sizeof(stop), out.write_stop_offset) == sizeof(stop);
	double after = (stop.ts - out.start_boottime) / 1e9;
	fprintf(stderr, "ptrace: %s: writing %s stopped at +%.3fs (%s) after %llu records%s; the command keeps running\n",
		out.err == ENOSPC || out.err == EDQUOT ? "disk full" : "write error", out.path, after, strerror(out.err),
		(unsigned long long)records, noted ? "" : " (the file does not say so: the header could not be updated)");
}

static void out_flush(void)
{
	size_t done = 0;
	while (done < out.len && !out.failed) {
		ssize_t n = write(out.fd, out.buf + done, out.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			done += n;
			out.bytes += n;
			continue;
		}
		out.failed = true;
		out.err = n < 0 ? errno : ENOSPC;
		stop_writing();
	}
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
	struct pt_write_stop not_stopped = {0};
	out.write_stop_offset = out.bytes + out.len + sizeof(struct pt_tlv);
	put_tlv(PT_TLV_WRITE_STOP, &not_stopped, sizeof(not_stopped));
	put_tlv(PT_TLV_END, "", 0);

	struct pt_file_header *written = (struct pt_file_header *)out.buf;
	written->header_size = out.len;
	size_t header_size = out.len;
	out.start_boottime = start.boottime;
	out_flush();
	if (!out.failed)
		out.header_size = header_size;
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

/* Whether a hash map has no entry (a snapshot: entries may come and go meanwhile). */
static bool map_empty(int fd)
{
	__u64 next[8]; /* room for any key of these maps (the sockets map's is 8 bytes) */
	return bpf_map_get_next_key(fd, NULL, next) != 0;
}

/* ---- signals ------------------------------------------------------------------- */

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	interrupted = 1; /* ends a --wait-all wait for daemons */
	/* Terminal-generated signals (SI_KERNEL) already reached the command, which is in our process group. */
	if (info->si_code == SI_KERNEL)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	forward_arrived[sig] = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	forward_pending[sig] = 1;
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
	/* a signal the caller ignores is ignored by the command too: nothing to forward (nohup) */
	static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], caller_ignores(forwarded[i]) ? &(struct sigaction){.sa_handler = SIG_IGN} : &sa, NULL);
	/* a no-op handler, without SA_RESTART, so the command's exit interrupts the drain wait */
	struct sigaction chld = {0};
	chld.sa_handler = on_child;
	sigemptyset(&chld.sa_mask);
	sigaction(SIGCHLD, &chld, NULL);
}

/*
 * One kill() reaches every member of a process group within microseconds; a
 * relay of the same signal (sudo passes on what reached it) follows within
 * milliseconds. Signals this close to the root's are the one it already got.
 */
#define SAME_SIGNAL_NS 50000000ULL
/* A signal is decided this long after it arrived, when the kill() that sent it has surely reached everyone. */
#define SETTLE_NS 2000000ULL

/* Whether the root got this signal itself, from anyone but the capture, when the capture got it (recorded by BPF). */
static bool root_got_it_too(const struct ptrace_bpf *skel, int sig)
{
	struct pt_signal_seen root = skel->bss->root_signals[sig], capture = skel->bss->capture_signals[sig];
	if (!root.ts || !capture.ts)
		return false;
	__u64 gap = root.ts > capture.ts ? root.ts - capture.ts : capture.ts - root.ts;
	return gap < SAME_SIGNAL_NS;
}

/* Forwards what was sent to the capture alone; a signal to the process group already reached the command. */
static void forward_signals(const struct ptrace_bpf *skel, pid_t child)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	__u64 now = clock_ns(CLOCK_BOOTTIME);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int sig = sigs[i];
		if (!forward_pending[sig] || now - forward_arrived[sig] < SETTLE_NS)
			continue;
		forward_pending[sig] = 0;
		if (root_got_it_too(skel, sig))
			continue;
		kill(child, sig);
		signalled = 1;
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
		restore_caller_state();
		int err = exec_command(command);
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
		} else if (!strcmp(sec, "iter/tcp")) {
			load = o->net; /* the stop-time connection scan, run by write_connections_at_stop() */
			bpf_program__set_autoattach(prog, false);
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
 * after its exec.
 *
 * The maps of a traced process are written by the program being traced, and
 * a file's path can be replaced by it (a deleted mapping's " (deleted)" name
 * can be created as a FIFO, or as a symlink to any file). So a library is
 * never opened by name: the mapping itself is reached through the
 * /proc/PID/map_files magic link as an O_PATH descriptor (which opens
 * nothing and cannot block), checked (a regular file, the device and inode
 * that the maps line names, on no FUSE file system, owned by root and
 * writable by no one else), and the uprobe is attached through
 * /proc/self/fd/N of that descriptor. Deleted mappings are skipped. The
 * scans run in a thread of their own, so a read of /proc/PID/maps that the
 * traced process makes slow can never hold up the drain loop; libbpf's
 * messages from these attaches are rate-limited (README: "What a traced
 * program can and cannot make the capture do").
 */
#define MAX_LIBCS 32
#define MAX_REJECTED 256
#define SCAN_QUEUE_MAX 65536
#define DIAG_LIMIT 5 /* libbpf messages shown per capture from attaching to traced processes' libraries */
#define FUSE_MAGIC 0x65735546

static struct {
	struct ptrace_bpf *skel;
	bool enabled;
	bool quiet;
	bool warned;
	int count;
	unsigned long long ids[MAX_LIBCS][2]; /* device, inode as /proc/PID/maps gives them */
	struct bpf_link *links[2 * MAX_LIBCS];
	unsigned long long rejected[MAX_REJECTED][2]; /* files that failed a check or the attach: not tried again */
	unsigned nrejected;
	pid_t *pending; /* processes that exec'd since the last drain */
	size_t npending, cap;
	pid_t *due;      /* processes that exec'd one drain earlier: their loader has mapped libc by now */
	size_t ndue, due_cap;
	/* handed to the scanning thread */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pid_t *queue;
	size_t nqueue, queue_cap;
	unsigned long dropped; /* scans not done: the queue was full */
	bool stopping;
} libcs = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* libbpf messages raised while attaching to a traced process's library: counted, few shown */
static __thread bool in_scan;
static unsigned diag_shown, diag_suppressed;

/* glibc (libc.so.6, or libc-2.X.so before 2.34) and musl (ld-musl-ARCH.so.1 is its libc) */
static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) || !strncmp(base, "ld-musl-", 8);
}

struct mapping {
	unsigned long long start, end, ino;
	unsigned int major, minor;
	const char *path;
};

/* "start-end perms offset major:minor inode   path"; false for anything else */
static bool parse_maps_line(char *line, struct mapping *m)
{
	int path_at = -1;
	if (sscanf(line, "%llx-%llx %*s %*x %x:%x %llu %n", &m->start, &m->end, &m->major, &m->minor, &m->ino,
		   &path_at) != 5 || path_at < 0)
		return false;
	line[strcspn(line, "\n")] = 0;
	m->path = line + path_at;
	return m->path[0] == '/';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static bool id_in(unsigned long long (*ids)[2], unsigned n, unsigned long long dev, unsigned long long ino)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i][0] == dev && ids[i][1] == ino)
			return true;
	return false;
}

static void reject(unsigned long long dev, unsigned long long ino)
{
	unsigned i = libcs.nrejected++ % MAX_REJECTED;
	libcs.rejected[i][0] = dev;
	libcs.rejected[i][1] = ino;
}

/*
 * The mapped file itself as an O_PATH descriptor, or -1 when it is not one
 * the capture may hand to libbpf (which reads it as root as an ELF file).
 * O_NOFOLLOW cannot be used on map_files entries (they are magic links, and
 * O_NOFOLLOW refuses them with ELOOP), but a magic link does no name lookup:
 * it leads to the mapped file whatever its path has become since. Only this
 * tool's own libraries, if map_files is refused (no CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE), are opened by their path, which is ours.
 */
static int open_mapping(const char *proc, const struct mapping *m)
{
	char link[96];
	snprintf(link, sizeof(link), "/proc/%s/map_files/%llx-%llx", proc, m->start, m->end);
	int fd = open(link, O_PATH | O_CLOEXEC);
	if (fd < 0 && !strcmp(proc, "self"))
		fd = open(m->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		static bool warned;
		if (errno == EPERM && !warned && !libcs.quiet)
			fprintf(stderr, "ptrace: warning: /proc/PID/map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE: "
					"lookups through C libraries other than this tool's are not recorded\n");
		warned |= errno == EPERM;
		return -1;
	}
	struct stat st;
	struct statfs fs;
	bool ok = !fstat(fd, &st) && !fstatfs(fd, &fs) && S_ISREG(st.st_mode) && st.st_nlink > 0 &&
		  major(st.st_dev) == m->major && minor(st.st_dev) == m->minor && st.st_ino == m->ino &&
		  fs.f_type != FUSE_MAGIC && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH));
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

static void attach_libc(const char *proc, const struct mapping *m)
{
	unsigned long long dev = ((unsigned long long)m->major << 32) | m->minor;
	unsigned nrejected = libcs.nrejected < MAX_REJECTED ? libcs.nrejected : MAX_REJECTED;
	if (id_in(libcs.ids, libcs.count, dev, m->ino) || id_in(libcs.rejected, nrejected, dev, m->ino))
		return;
	if (libcs.count == MAX_LIBCS) {
		if (!libcs.warned && !libcs.quiet)
			fprintf(stderr, "ptrace: warning: more than %d C libraries: lookups through others are not recorded\n",
				MAX_LIBCS);
		libcs.warned = true;
		return;
	}
	int fd = open_mapping(proc, m);
	if (fd < 0) {
		reject(dev, m->ino);
		return;
	}
	char target[32];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	LIBBPF_OPTS(bpf_uprobe_opts, enter, .func_name = "getaddrinfo", .retprobe = false);
	LIBBPF_OPTS(bpf_uprobe_opts, leave, .func_name = "getaddrinfo", .retprobe = true);
	struct bpf_link *in = bpf_program__attach_uprobe_opts(libcs.skel->progs.getaddrinfo_enter, -1, target, 0, &enter);
	struct bpf_link *out_link = in ? bpf_program__attach_uprobe_opts(libcs.skel->progs.getaddrinfo_exit, -1, target, 0, &leave) : NULL;
	close(fd); /* the uprobes hold the inode */
	if (!in || !out_link) {
		/* a static or stripped library has no symbol: not tried again */
		bpf_link__destroy(in);
		reject(dev, m->ino);
		return;
	}
	int i = libcs.count++;
	libcs.ids[i][0] = dev;
	libcs.ids[i][1] = m->ino;
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
	char *line = NULL;
	size_t size = 0;
	while (getline(&line, &size, maps) > 0) {
		struct mapping m;
		if (!parse_maps_line(line, &m) || ends_with(m.path, " (deleted)") || !is_libc(m.path))
			continue;
		attach_libc(proc, &m);
	}
	free(line);
	fclose(maps);
}

static void *scan_thread(void *arg)
{
	(void)arg;
	in_scan = true;
	pid_t *batch = NULL;
	size_t batch_cap = 0;
	for (;;) {
		pthread_mutex_lock(&libcs.lock);
		while (!libcs.nqueue && !libcs.stopping)
			pthread_cond_wait(&libcs.wake, &libcs.lock);
		if (libcs.stopping) {
			pthread_mutex_unlock(&libcs.lock);
			return NULL;
		}
		pid_t *t = batch;
		size_t t_cap = batch_cap, n = libcs.nqueue;
		batch = libcs.queue, batch_cap = libcs.queue_cap;
		libcs.queue = t, libcs.queue_cap = t_cap, libcs.nqueue = 0;
		pthread_mutex_unlock(&libcs.lock);
		char proc[16];
		for (size_t i = 0; i < n; i++) {
			pthread_mutex_lock(&libcs.lock);
			bool stopping = libcs.stopping;
			pthread_mutex_unlock(&libcs.lock);
			if (stopping)
				return NULL;
			snprintf(proc, sizeof(proc), "%d", batch[i]);
			scan_libcs(proc);
		}
	}
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

static bool start_scan_thread(void);

/* Called after each drain: hands the processes that exec'd one drain ago to the scanning thread. */
static void scan_exec_libcs(void)
{
	if (!libcs.enabled || (libcs.ndue && !start_scan_thread()))
		return;
	pthread_mutex_lock(&libcs.lock);
	for (size_t i = 0; i < libcs.ndue; i++) {
		if (!libcs.due[i])
			continue;
		if (libcs.nqueue == libcs.queue_cap) {
			size_t cap = libcs.queue_cap ? 2 * libcs.queue_cap : 256;
			pid_t *q = cap <= SCAN_QUEUE_MAX ? realloc(libcs.queue, cap * sizeof(*q)) : NULL;
			if (!q) {
				libcs.dropped++;
				continue;
			}
			libcs.queue = q, libcs.queue_cap = cap;
		}
		libcs.queue[libcs.nqueue++] = libcs.due[i];
	}
	if (libcs.nqueue)
		pthread_cond_signal(&libcs.wake);
	pthread_mutex_unlock(&libcs.lock);
	pid_t *t = libcs.due;
	size_t t_cap = libcs.due_cap;
	libcs.due = libcs.pending, libcs.due_cap = libcs.cap, libcs.ndue = libcs.npending;
	libcs.pending = t, libcs.cap = t_cap, libcs.npending = 0;
}

static int attach_dns(struct ptrace_bpf *skel, bool quiet)
{
	libcs.skel = skel;
	libcs.quiet = quiet;
	scan_libcs("self");
	if (!libcs.count) {
		fprintf(stderr, "ptrace: warning: cannot attach to getaddrinfo in this tool's C library: name lookups "
				"through libc are not recorded\n");
		return -1;
	}
	libcs.enabled = true;
	return 0;
}

/* Started with the first process to scan, so the command is never forked from a threaded process. */
static bool start_scan_thread(void)
{
	static bool started;
	if (started)
		return true;
	/* the capture's signals (SIGCHLD ends the drain wait) go to the main thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_t thread;
	int err = pthread_create(&thread, NULL, scan_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		if (!libcs.quiet)
			fprintf(stderr, "ptrace: warning: cannot start the C library scan (%s): lookups are recorded only "
					"through this tool's C library\n", strerror(err));
		libcs.enabled = false;
		return false;
	}
	pthread_detach(thread);
	started = true;
	return true;
}

/* Stop-time step: no more scans (one in progress is abandoned), and what the rate limit kept back. */
static void stop_libc_scans(void)
{
	pthread_mutex_lock(&libcs.lock);
	libcs.stopping = true;
	pthread_cond_signal(&libcs.wake);
	unsigned long dropped = libcs.dropped;
	pthread_mutex_unlock(&libcs.lock);
	unsigned suppressed = __atomic_load_n(&diag_suppressed, __ATOMIC_RELAXED);
	if (libcs.quiet)
		return;
	if (suppressed)
		fprintf(stderr, "ptrace: %u more libbpf messages about traced processes' C libraries not shown\n", suppressed);
	if (dropped)
		fprintf(stderr, "ptrace: warning: %lu processes not scanned for C libraries (too many waiting): "
				"their lookups may be missing\n", dropped);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("PTRACE_BPF_VERBOSE")))
		return 0;
	/* a traced process can map any number of files that fail the attach: a few lines, then a count; none with -q */
	if (in_scan && (libcs.quiet || __atomic_fetch_add(&diag_shown, 1, __ATOMIC_RELAXED) >= DIAG_LIMIT)) {
		__atomic_fetch_add(&diag_suppressed, 1, __ATOMIC_RELAXED);
		return 0;
	}
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

/* ---- connections at stop ------------------------------------------------------- */

/*
 * Connections are often closed just after the command exits (a child's, or
 * the kernel finishing the close of the command's own sockets). After the
 * command, draining goes on while traced connections have not reached CLOSE,
 * for at most LINGER_MS; then each one still not closed gets a
 * PT_TCP_AT_STOP record with its counters and TCP state, read by a BPF TCP
 * socket iterator (which sees the capture's network namespace: connections
 * of traced processes in other namespaces get no such record).
 */
#define LINGER_MS 100

static bool connections_scanned(struct ptrace_bpf *skel)
{
	return bpf_program__autoload(skel->progs.sockets_at_stop);
}

static void linger_for_connections(struct ptrace_bpf *skel, struct ring_buffer *rb, int losses_fd)
{
	if (!connections_scanned(skel))
		return;
	int sockets_fd = bpf_map__fd(skel->maps.sockets);
	__u64 until = clock_ns(CLOCK_MONOTONIC) + LINGER_MS * 1000000ULL;
	while (!map_empty(sockets_fd) && clock_ns(CLOCK_MONOTONIC) < until) {
		ring_buffer__poll(rb, 5);
		ring_buffer__consume(rb);
		flush_losses(losses_fd);
		out_flush();
	}
}

/* After the programs stopped: one PT_TCP_AT_STOP record per traced connection not at CLOSE. */
static void write_connections_at_stop(struct ptrace_bpf *skel)
{
	if (!connections_scanned(skel))
		return;
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.sockets_at_stop, NULL);
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		fprintf(stderr, "ptrace: warning: cannot read the connections still open at the end: %s\n", strerror(errno));
		bpf_link__destroy(link);
		return;
	}
	static char buf[16 * sizeof(struct pt_event)];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		size_t whole = have - have % sizeof(struct pt_event);
		for (size_t off = 0; off < whole; off += sizeof(struct pt_event))
			out_record((const struct pt_event *)(buf + off));
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
	close(fd);
	bpf_link__destroy(link);
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
	read_caller_state();
	parse_options(argc, argv, &o);
	check_privileges();
	check_btf();
	struct run_as run_as = sudo_user(o.keep_root);
	out.fd = open_output(&o, &run_as);
	out.path = o.output;
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
		remove_output();
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
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot load or attach the BPF programs: %s", strerror(-err));
	}
	if (o.dns && attach_dns(skel, o.quiet))
		o.dns = false; /* the header then says lookups were not recorded */
	if (getenv("PTRACE_TIMING"))
		fprintf(stderr, "ptrace: BPF open+load+attach %.1f ms\n", (clock_ns(CLOCK_MONOTONIC) - t_open) / 1e6);
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		remove_output();
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
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot register the command in the traced map: %s", strerror(errno));
	}
	skel->bss->live = 1;
	skel->bss->capture_tgid = getpid();
	skel->bss->root_tgid = child;
	out.processes = 1;
	write_header(&o, child, start, ringbuf_size, &run_as);
	if (out.failed) { /* the command never runs: closing the gate makes it exit 126 before its exec */
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot write the header of %s: %s", o.output, strerror(out.err));
	}
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
			forward_signals(skel, child);
		lost = flush_losses(losses_fd);
		out_flush();
		if (!root_done) {
			pid_t w = waitpid(child, &status, WNOHANG);
			if (w == child)
				root_done = true;
		}
		if (root_done && (!o.wait_all || interrupted || __atomic_load_n(&skel->bss->live, __ATOMIC_SEQ_CST) <= 0))
			break;
	}

	stop_libc_scans();
	linger_for_connections(skel, rb, losses_fd);
	/* Stop the programs first so the traced map is a consistent snapshot of what still runs. */
	skel->bss->stopped = 1;
	__sync_synchronize();
	usleep(2000); /* let programs that passed the check before it finish their records */
	ring_buffer__consume(rb);
	lost = flush_losses(losses_fd);
	write_connections_at_stop(skel);
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
	if (!out.failed && close(out.fd)) {
		out.failed = true, out.err = errno;
		fprintf(stderr, "ptrace: closing %s failed: %s; its last records may be missing\n", o.output, strerror(out.err));
	}

	int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	if (out.failed)
		return code; /* said when it happened; the command's own result stands */
	if (!o.quiet) {
		char size[32];
		human_size(out.bytes, size, sizeof(size));
		fprintf(stderr, "ptrace: %u processes, %llu records, %llu lost, %s written to %s\n", out.processes,
			(unsigned long long)out.records - 1, (unsigned long long)lost, size, o.output);
	}
	release_in_background(skel, rb);
	return code;
}
