// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "libc.h"

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

void note_exec(pid_t pid)
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
void note_exit(pid_t pid)
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
void scan_exec_libcs(void)
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

int attach_dns(struct ptrace_bpf *skel, bool quiet)
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
void stop_libc_scans(void)
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

int libbpf_message(enum libbpf_print_level level, const char *fmt, va_list args)
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
