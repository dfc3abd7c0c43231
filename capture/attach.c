// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "util.h"

#define CGROUP2_SUPER_MAGIC 0x63677270
#define FILEID_KERNFS 0xfe
#define WALK_PASSES 8

/* ---- targets ------------------------------------------------------------------ */

/* The thread group of a pid or tid, from /proc/PID/status; 0 if there is no such task. */
static __u32 thread_group_of(__u32 pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	__u32 tgid = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/*
 * Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on a unified
 * system, /sys/fs/cgroup/unified on a hybrid one (from /proc/self/mountinfo,
 * a mount of its root).
 */
static const char *cgroup2_root(void)
{
	static char root[PATH_MAX];
	static bool looked;
	if (looked)
		return root[0] ? root : NULL;
	looked = true;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char mount_root[PATH_MAX], point[PATH_MAX];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*u %*u %*s %4095s %4095s", mount_root, point) != 2)
			continue;
		if (!strncmp(sep + 3, "cgroup2 ", 8) && !strcmp(mount_root, "/")) {
			snprintf(root, sizeof(root), "%s", point);
			break;
		}
	}
	fclose(f);
	return root[0] ? root : NULL;
}

static bool is_cgroup2_dir(const char *path, struct stat *st)
{
	struct statfs fs;
	return !stat(path, st) && S_ISDIR(st->st_mode) && !statfs(path, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC;
}

void resolve_attach_targets(struct options *o)
{
	for (int i = 0; i < o->n_attach_pids; i++) {
		__u32 tgid = thread_group_of(o->attach_pids[i]);
		if (!tgid)
			die(EXIT_USAGE, "--pid %u: no such process", o->attach_pids[i]);
		if (tgid == (__u32)getpid())
			die(EXIT_USAGE, "--pid %u: that is the capture itself", o->attach_pids[i]);
		o->attach_pids[i] = tgid;
	}
	if (!o->cgroup)
		return;
	const char *root = cgroup2_root();
	if (!root)
		die(EXIT_USAGE, "--cgroup: no cgroup v2 hierarchy is mounted here (see /proc/self/mountinfo)");
	/* the directory itself (under the mount), or a path relative to the cgroup v2 root */
	char joined[PATH_MAX];
	const char *given = o->cgroup;
	size_t root_len = strlen(root);
	if (!strncmp(given, root, root_len) && (given[root_len] == '/' || !given[root_len]))
		snprintf(joined, sizeof(joined), "%s", given);
	else
		snprintf(joined, sizeof(joined), "%s%s%s", root, given[0] == '/' ? "" : "/", given);
	char *real = realpath(joined, NULL);
	struct stat st;
	if (!real || !is_cgroup2_dir(real, &st))
		die(EXIT_USAGE, "--cgroup %s: not a cgroup v2 directory (looked for %s)", given, joined);
	if (strncmp(real, root, root_len) || (real[root_len] && real[root_len] != '/'))
		die(EXIT_USAGE, "--cgroup %s: not under the cgroup v2 root %s", given, root);
	o->cgroup_path = real;
	o->cgroup_rel = strdup(real[root_len] ? real + root_len : "/");
	o->cgroup_id = st.st_ino; /* a cgroup's id is its directory's inode number */
	o->cgroup_level = 0;
	for (const char *p = o->cgroup_rel; *p; p++)
		if (*p == '/' && p[1])
			o->cgroup_level++;
}

void configure_attach(struct ptrace_bpf *skel, const struct options *o)
{
	skel->rodata->target_cgroup_id = o->cgroup ? o->cgroup_id : 0;
	skel->rodata->target_cgroup_level = o->cgroup_level;
}

void register_attach_roots(struct ptrace_bpf *skel, const struct options *o)
{
	int fd = bpf_map__fd(skel->maps.attach_roots);
	__u8 yes = 1;
	for (int i = 0; i < o->n_attach_pids; i++)
		if (bpf_map_update_elem(fd, &o->attach_pids[i], &yes, BPF_ANY))
			die(EXIT_FAILURE_SETUP, "cannot register --pid %u: %s", o->attach_pids[i], strerror(errno));
}

/* ---- the walk ------------------------------------------------------------------- */

/*
 * Fork tracing is on before the walk, so a process forked by one the walk
 * already attached is announced by its fork record, and the walk's own
 * find of it is dropped (the traced map holds it already). A process forked
 * by one not yet attached, and numbered below the walk's position (pid
 * numbers wrap), is found by the next pass: passes repeat until one attaches
 * nothing new.
 */
__u32 walk_running_processes(struct ptrace_bpf *skel)
{
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.attach_walk, NULL);
	if (!link)
		die(EXIT_FAILURE_SETUP, "cannot start the process walk: %s", strerror(errno));
	for (int pass = 0; pass < WALK_PASSES; pass++) {
		__u32 before = __atomic_load_n(&skel->bss->attached_by_walk, __ATOMIC_SEQ_CST);
		int fd = bpf_iter_create(bpf_link__fd(link));
		if (fd < 0)
			die(EXIT_FAILURE_SETUP, "cannot walk the running processes: %s", strerror(errno));
		char buf[4096];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			;
		close(fd);
		if (__atomic_load_n(&skel->bss->attached_by_walk, __ATOMIC_SEQ_CST) == before)
			break;
	}
	bpf_link__destroy(link);
	return skel->bss->attached_by_walk;
}

/* ---- strings of an attached process, from /proc ------------------------------------ */

static void write_chunks(struct writer *w, const struct pt_head *owner, __u8 kind, const char *s, size_t len,
			 bool cut, bool fault)
{
	size_t off = 0;
	do {
		size_t n = len - off > PT_DATA_MAX ? PT_DATA_MAX : len - off;
		struct pt_event c = {0};
		c.head = *owner;
		c.head.type = PT_DATA;
		c.head.flags = 0;
		c.data.owner_ts = owner->ts;
		c.data.offset = off;
		c.data.len = n;
		c.data.kind = kind;
		if (off + n >= len)
			c.data.flags = PT_DF_LAST | (cut ? PT_DF_TRUNCATED : 0) | (fault ? PT_DF_FAULT : 0);
		if (n)
			memcpy(c.data.data, s + off, n);
		out_record(w, &c);
		off += n;
	} while (off < len);
}

/* Whether /proc/PID (open as dir) is the process that started at `start` (CLOCK_BOOTTIME ns), not a later one with its pid. */
static bool same_process(int dir, __u64 start)
{
	char stat[1024];
	int fd = openat(dir, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return false;
	stat[n] = 0;
	char *p = strrchr(stat, ')');
	if (!p)
		return false;
	/* after "pid (comm)": field 3 is the state; field 22 the start time in clock ticks */
	unsigned long long ticks = 0;
	int field = 2;
	for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
		if (++field == 22) {
			ticks = strtoull(tok, NULL, 10);
			break;
		}
	long hz = sysconf(_SC_CLK_TCK);
	return field == 22 && hz > 0 && ticks == start / (1000000000ULL / hz);
}

/* Up to `limit` bytes of a /proc file; *cut when it has more, *fault when it cannot be read. */
static char *read_proc_file(int dir, const char *name, size_t limit, size_t *len, bool *cut, bool *fault)
{
	*len = 0, *cut = false, *fault = true;
	if (dir < 0)
		return NULL;
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096;
	char *buf = malloc(cap);
	for (;;) {
		if (*len == cap) {
			if (cap > limit)
				break;
			cap *= 2;
			buf = realloc(buf, cap);
		}
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			*len = 0;
			return buf;
		}
		if (n == 0)
			break;
		*len += n;
	}
	close(fd);
	*fault = false;
	if (*len > limit)
		*len = limit, *cut = true;
	return buf;
}

static void write_link(struct writer *w, const struct pt_head *owner, int dir, const char *name, __u8 kind)
{
	char target[PT_PATH_LIMIT + 1];
	ssize_t n = dir >= 0 ? readlinkat(dir, name, target, sizeof(target)) : -1;
	write_chunks(w, owner, kind, target, n > 0 ? (size_t)n : 0, n > PT_PATH_LIMIT, n < 0);
}

void write_attached(struct writer *w, const struct pt_event *e)
{
	struct pt_event a = *e;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u", a.head.pid);
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0 && !same_process(dir, a.head.start)) {
		close(dir);
		dir = -1;
	}
	size_t argv_len, env_len = 0;
	bool argv_cut, argv_fault, env_cut = false, env_fault = false;
	bool with_env = !(a.head.flags & PT_F_ENV_SKIPPED);
	char *argv = read_proc_file(dir, "cmdline", w->args_limit, &argv_len, &argv_cut, &argv_fault);
	char *env = with_env ? read_proc_file(dir, "environ", w->args_limit, &env_len, &env_cut, &env_fault) : NULL;
	if (argv_cut)
		a.head.flags |= PT_F_ARGV_TRUNCATED;
	if (env_cut)
		a.head.flags |= PT_F_ENV_TRUNCATED;
	out_record(w, &a);
	write_link(w, &a.head, dir, "exe", PT_D_EXE);
	write_link(w, &a.head, dir, "cwd", PT_D_CWD);
	write_chunks(w, &a.head, PT_D_ARGV, argv, argv_len, argv_cut, argv_fault);
	if (with_env)
		write_chunks(w, &a.head, PT_D_ENV, env, env_len, env_cut, env_fault);
	free(argv);
	free(env);
	if (dir >= 0)
		close(dir);
}

/* ---- cgroup paths ------------------------------------------------------------------ */

static void *cgroups_seen; /* tsearch tree of __u64 ids */
static int cgroup_root = -2;

static int compare_ids(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;
	return x < y ? -1 : x > y;
}

/* The path of a cgroup, relative to the cgroup v2 root, through its file handle (the id); NULL if it is gone. */
static char *cgroup_path(__u64 id)
{
	const char *root = cgroup2_root();
	if (cgroup_root == -2)
		cgroup_root = root ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (cgroup_root < 0)
		return NULL;
	union {
		struct file_handle fh;
		char bytes[sizeof(struct file_handle) + sizeof(__u64)];
	} h = {0};
	h.fh.handle_bytes = sizeof(__u64);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	int fd = open_by_handle_at(cgroup_root, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char link[64], target[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	target[n] = 0;
	size_t root_len = strlen(root);
	if (strncmp(target, root, root_len) || (target[root_len] && target[root_len] != '/'))
		return NULL;
	return strdup(target[root_len] ? target + root_len : "/");
}

void note_cgroup(struct writer *w, __u64 cgroup_id)
{
	if (!cgroup_id)
		return;
	__u64 *key = malloc(sizeof(*key));
	*key = cgroup_id;
	void **found = tsearch(key, &cgroups_seen, compare_ids);
	if (!found || *found != key) {
		free(key);
		return;
	}
	char *path = cgroup_path(cgroup_id);
	struct pt_event e = {0};
	e.head.type = PT_CGROUP;
	e.head.ts = clock_ns(CLOCK_BOOTTIME);
	e.cgroup.cgroup_id = cgroup_id;
	if (path)
		for (const char *p = path; *p; p++)
			if (*p == '/' && p[1])
				e.cgroup.level++;
	out_record(w, &e);
	write_chunks(w, &e.head, PT_D_CGROUP, path ? path : "", path ? strlen(path) : 0, false, !path);
	free(path);
}

/* ---- stopping ----------------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void install_stop_handlers(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	static const int always[] = {SIGINT, SIGTERM};
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		sigaction(always[i], &sa, NULL);
	static const int unless_ignored[] = {SIGHUP, SIGQUIT}; /* nohup keeps a capture running */
	for (size_t i = 0; i < sizeof(unless_ignored) / sizeof(unless_ignored[0]); i++) {
		struct sigaction old;
		if (!sigaction(unless_ignored[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(unless_ignored[i], &sa, NULL);
	}
}

bool stop_requested(void)
{
	return stop_flag;
}

bool target_cgroup_removed(const struct options *o)
{
	struct stat st;
	return o->cgroup && (stat(o->cgroup_path, &st) || st.st_ino != o->cgroup_id);
}
