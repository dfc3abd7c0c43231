// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace's kernel side: follows one process tree through fork, exec and exit
 * on tracepoints only, and emits fixed-size records (bpf/ptrace.h) into one
 * ring buffer. Strings (argv, env, paths) follow their record as PT_DATA
 * chunks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "ptrace.h"
#include "signals.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGNAL_GROUP_EXIT 0x00000004
#define PATH_BUF_SIZE 8192 /* two PATH_MAX halves: offsets are masked into the first */
#define PATH_MASK (PT_PATH_LIMIT - 1)
#define PATH_MAX_DEPTH 2048
#define NAME_MAX_LEN 255
#define MAX_TRACED 131072

/* Set by the capture tool before load. */
const volatile __u32 args_limit = PT_ARGS_LIMIT_DEFAULT;
const volatile __u8 capture_env = 1;
const volatile __u8 capture_hist = 0; /* --io or --sched: write histograms at exit */
const volatile __u32 page_kb = 4;      /* page size in KiB, for maxrss */
/* Set by the capture tool when it stops: cheaper than detaching, which waits for RCU grace periods. */
volatile __u8 stopped = 0;
/*
 * Processes in the traced map, kept exact under concurrent forks and exits
 * (--wait-all waits for 0): a child is counted in its parent's fork hook,
 * which runs before the fork returns, so before the parent can exit; a
 * process is uncounted in its own exit hook. Walking the map instead can
 * miss a child inserted behind the walk while its parent is deleted ahead.
 */
__s64 live = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 * 1024 * 1024); /* resized by the capture tool */
} events SEC(".maps");

/* tgid → identity start time of every live process in the traced tree */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TRACED);
	__type(key, __u32);
	__type(value, __u64);
} traced SEC(".maps");

/* tid → user pointer of the filename of an execve in flight */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} exec_in_flight SEC(".maps");

struct open_args {
	__u64 filename; /* user pointer */
	__u64 ts;
	__s32 dirfd;
	__u32 flags;
	__u32 mode;
	__u32 nr;
};

/* tid → arguments of an open in flight */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct open_args);
} open_in_flight SEC(".maps");

struct io_start {
	__u64 ts;
	__u32 kind;
	__u32 _pad;
};

/* tid → start of a read/write/fsync in flight (--io) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct io_start);
} io_in_flight SEC(".maps");

/* tid → when it blocked (--sched) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} blocked_since SEC(".maps");

struct hist_key {
	__u32 tgid;
	__u32 kind;
};

/* per process and kind, emitted as PT_HIST at the process's exit */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct hist_key);
	__type(value, struct pt_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_CAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} losses SEC(".maps");

struct path_buf {
	char buf[PATH_BUF_SIZE];
	/* walk state lives here, not on the stack: the verifier then treats it as
	 * an unknown scalar and the bpf_loop callback converges after one pass */
	__u32 pos; /* first byte of the path built so far, counting down from PT_PATH_LIMIT */
	__u32 cut;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

static __always_inline void count_loss(__u32 category)
{
	__u64 *n = bpf_map_lookup_elem(&losses, &category);
	if (n)
		*n += 1;
}

/* Wake the consumer only when the buffer is filling up; otherwise it drains on a timer. */
static __always_inline __u64 wakeup_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	return avail > size / 2 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline struct pt_event *reserve(__u32 category)
{
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		count_loss(category);
	return e;
}

static __always_inline void submit(struct pt_event *e)
{
	bpf_ringbuf_submit(e, wakeup_flags());
}

static __always_inline __u64 task_identity(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline void fill_head(struct pt_head *h, __u16 type, struct task_struct *task, __u64 ts)
{
	h->type = type;
	h->flags = 0;
	h->tid = BPF_CORE_READ(task, pid);
	h->ts = ts;
	h->start = task_identity(task);
	h->pid = BPF_CORE_READ(task, tgid);
	h->cpu = bpf_get_smp_processor_id();
}

/* ---- string chunks ---------------------------------------------------- */

struct chunk_ctx {
	struct pt_head head; /* copied into every chunk */
	__u64 owner_ts;
	const char *src;
	__u32 len;    /* bytes to emit */
	__u8 kind;
	__u8 user;    /* src is user memory */
	__u8 from_scratch; /* src is an offset into path_scratch */
	__u8 cut;     /* the string was longer than len */
	__u8 fault;   /* the string could not be read at all */
	__u32 category;
};

static long emit_chunk(__u32 index, struct chunk_ctx *c)
{
	/* 64-bit arithmetic so the verifier's bounds hold on the register passed to the helper */
	__u64 offset = (__u64)index * PT_DATA_MAX;
	__u64 len = c->len;
	if (offset > len)
		return 1;
	__u64 n = len - offset;
	if (n > PT_DATA_MAX)
		n = PT_DATA_MAX;

	struct pt_event *e = reserve(c->category);
	if (!e)
		return 1; /* the reader sees the missing last chunk and flags the string */
	e->head = c->head;
	e->head.type = PT_DATA;
	e->head.flags = 0;
	e->data.owner_ts = c->owner_ts;
	e->data.offset = offset;
	e->data.len = n;
	e->data.kind = c->kind;
	e->data.flags = 0;
	if (offset + n >= len) {
		e->data.flags |= PT_DF_LAST;
		if (c->cut)
			e->data.flags |= PT_DF_TRUNCATED;
		if (c->fault)
			e->data.flags |= PT_DF_FAULT;
	}
	long err = 0;
	if (n > 0) {
		if (c->from_scratch) {
			__u32 zero = 0;
			struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
			__u64 at = ((__u64)c->src + offset) & PATH_MASK;
			if (pb)
				err = bpf_probe_read_kernel(e->data.data, n, &pb->buf[at]);
			else
				err = -1;
		} else if (c->user) {
			err = bpf_probe_read_user(e->data.data, n, c->src + offset);
		} else {
			err = bpf_probe_read_kernel(e->data.data, n, c->src + offset);
		}
	}
	if (err) {
		__builtin_memset(e->data.data, 0, sizeof(e->data.data));
		e->data.flags |= PT_DF_FAULT;
	}
	submit(e);
	return offset + n >= len ? 1 : 0;
}

static __always_inline void emit_string(struct chunk_ctx *c)
{
	__u32 chunks = c->len / PT_DATA_MAX + 1;
	bpf_loop(chunks, emit_chunk, c, 0);
}

/* A NUL-terminated string of at most PATH_MAX bytes: bprm->filename (kernel) or a syscall's path argument (user). */
static __always_inline void emit_str(struct chunk_ctx *c, const char *str, __u8 kind, bool from_user)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return;
	/* one byte more than a path may have, so a path of exactly PATH_MAX-1 is not flagged */
	long n = from_user ? bpf_probe_read_user_str(pb->buf, PT_PATH_LIMIT + 1, str)
			   : bpf_probe_read_kernel_str(pb->buf, PT_PATH_LIMIT + 1, str);
	c->src = 0;
	c->len = n > 0 ? n - 1 : 0;
	c->cut = n == PT_PATH_LIMIT + 1;
	c->fault = n < 0;
	c->kind = kind;
	c->user = 0;
	c->from_scratch = 1;
	emit_string(c);
}

/* ---- absolute paths from a struct path ---------------------------------- */

struct walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
};

static long walk_step(__u32 index, struct walk_ctx *w)
{
	/* locals: CO-RE relocations must not reach into struct walk_ctx */
	struct dentry *d = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);

	if (d == mnt_root || d == parent) {
		struct mount *mparent = BPF_CORE_READ(mnt, mnt_parent);
		if (d == mnt_root && mnt != mparent) {
			w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			w->mnt = mparent;
			w->vfsmnt = &mparent->mnt;
			return 0;
		}
		return 1; /* reached the root */
	}

	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return 1;
	struct qstr name = BPF_CORE_READ(d, d_name);
	__u64 len = name.len;
	if (len > NAME_MAX_LEN)
		len = NAME_MAX_LEN;
	__u64 pos = pb->pos;
	if (len + 1 > pos) {
		pb->cut = 1;
		return 1;
	}
	pos -= len;
	bpf_probe_read_kernel(&pb->buf[pos & PATH_MASK], len, name.name);
	pos -= 1;
	pb->buf[pos & PATH_MASK] = '/';
	pb->pos = pos;
	w->dentry = parent;
	return 0;
}

static __always_inline void emit_path(struct chunk_ctx *c, const struct path *path, __u8 kind)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return;
	struct walk_ctx w = {};
	w.dentry = BPF_CORE_READ(path, dentry);
	w.vfsmnt = BPF_CORE_READ(path, mnt);
	w.mnt = container_of(w.vfsmnt, struct mount, mnt);
	if (!w.dentry || !w.vfsmnt)
		return;
	pb->pos = PT_PATH_LIMIT;
	pb->cut = 0;
	bpf_loop(PATH_MAX_DEPTH, walk_step, &w, 0);

	__u32 pos = pb->pos;
	if (pos >= PT_PATH_LIMIT) { /* the root itself */
		pos = PT_PATH_LIMIT - 1;
		pb->buf[pos & PATH_MASK] = '/';
	}
	c->src = (const char *)(__u64)pos;
	c->len = PT_PATH_LIMIT - pos;
	c->cut = pb->cut;
	c->fault = 0;
	c->kind = kind;
	c->user = 0;
	c->from_scratch = 1;
	emit_string(c);
}

static __always_inline void emit_user_area(struct chunk_ctx *c, unsigned long start, unsigned long end,
					   __u8 kind)
{
	__u64 len = end > start ? end - start : 0;
	c->cut = len > args_limit;
	c->fault = 0;
	if (c->cut)
		len = args_limit;
	c->src = (const char *)start;
	c->len = len;
	c->kind = kind;
	c->user = 1;
	c->from_scratch = 0;
	emit_string(c);
}

/* ---- resource usage and histograms -------------------------------------- */

/* The exiting thread's own counters are not yet folded into signal_struct. */
static __always_inline void fill_rusage(struct pt_rusage *r, struct task_struct *task, struct signal_struct *sig)
{
	r->utime_ns = BPF_CORE_READ(sig, utime) + BPF_CORE_READ(task, utime);
	r->stime_ns = BPF_CORE_READ(sig, stime) + BPF_CORE_READ(task, stime);
	r->runtime_ns = BPF_CORE_READ(sig, sum_sched_runtime) + BPF_CORE_READ(task, se.sum_exec_runtime);
	r->maxrss_kb = BPF_CORE_READ(sig, maxrss) * page_kb; /* signal->maxrss counts pages */
	r->min_flt = BPF_CORE_READ(sig, min_flt) + BPF_CORE_READ(task, min_flt);
	r->maj_flt = BPF_CORE_READ(sig, maj_flt) + BPF_CORE_READ(task, maj_flt);
	r->nvcsw = BPF_CORE_READ(sig, nvcsw) + BPF_CORE_READ(task, nvcsw);
	r->nivcsw = BPF_CORE_READ(sig, nivcsw) + BPF_CORE_READ(task, nivcsw);
	if (bpf_core_field_exists(task->ioac)) {
		r->rchar = BPF_CORE_READ(sig, ioac.rchar) + BPF_CORE_READ(task, ioac.rchar);
		r->wchar = BPF_CORE_READ(sig, ioac.wchar) + BPF_CORE_READ(task, ioac.wchar);
		r->read_bytes = BPF_CORE_READ(sig, ioac.read_bytes) + BPF_CORE_READ(task, ioac.read_bytes);
		r->write_bytes = BPF_CORE_READ(sig, ioac.write_bytes) + BPF_CORE_READ(task, ioac.write_bytes);
	}
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r < PT_HIST_BUCKETS ? r : PT_HIST_BUCKETS - 1;
}

static __always_inline void hist_add(__u32 tgid, __u32 kind, __u64 ns)
{
	struct hist_key key = {.tgid = tgid, .kind = kind};
	struct pt_hist *h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		struct pt_hist zero = {.kind = kind};
		bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			count_loss(PT_CAT_HIST);
			return;
		}
	}
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->total_ns, ns);
	if (ns > h->max_ns)
		h->max_ns = ns;
	__u32 b = log2_bucket(ns);
	if (b < PT_HIST_BUCKETS)
		__sync_fetch_and_add(&h->buckets[b], 1);
}

static __always_inline void emit_hists(struct task_struct *task, __u32 tgid)
{
	__u64 now = bpf_ktime_get_boot_ns();
	for (__u32 kind = PT_H_READ; kind <= PT_H_OFFCPU; kind++) {
		struct hist_key key = {.tgid = tgid, .kind = kind};
		struct pt_hist *h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			continue;
		struct pt_event *e = reserve(PT_CAT_HIST);
		if (e) {
			fill_head(&e->head, PT_HIST, task, now);
			__builtin_memcpy(&e->hist, h, sizeof(*h));
			submit(e);
		}
		bpf_map_delete_elem(&hists, &key);
	}
}

/* ---- process lifecycle ---------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	if (stopped || !bpf_map_lookup_elem(&traced, &ptgid))
		return 0;

	__u64 now = bpf_ktime_get_boot_ns();
	__u32 child_pid = BPF_CORE_READ(child, pid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);

	if (child_pid != child_tgid) {
		struct pt_event *e = reserve(PT_CAT_PROCESS);
		if (!e)
			return 0;
		fill_head(&e->head, PT_THREAD, parent, now);
		e->thread.new_tid = child_pid;
		e->thread._pad = 0;
		submit(e);
		return 0;
	}

	__u64 child_start = BPF_CORE_READ(child, start_boottime);
	if (!bpf_map_update_elem(&traced, &child_tgid, &child_start, BPF_NOEXIST))
		__sync_fetch_and_add(&live, 1);
	else if (bpf_map_update_elem(&traced, &child_tgid, &child_start, BPF_ANY)) /* a stale entry: already counted */
		count_loss(PT_CAT_TRACKING);
	if (capture_hist) {
		for (__u32 kind = PT_H_READ; kind <= PT_H_OFFCPU; kind++) {
			struct hist_key key = {.tgid = child_tgid, .kind = kind};
			bpf_map_delete_elem(&hists, &key);
		}
	}

	struct pt_event *e = reserve(PT_CAT_PROCESS);
	if (!e)
		return 0;
	fill_head(&e->head, PT_FORK, parent, now);
	e->fork.child_start = child_start;
	e->fork.child_pid = child_tgid;
	e->fork.child_ppid = BPF_CORE_READ(child, real_parent, tgid);
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 *known = bpf_map_lookup_elem(&traced, &tgid);
	if (stopped || !known)
		return 0;

	__u64 start = task_identity(task);
	*known = start; /* the root was registered before its identity was known */
	__u32 old_tid = old_pid;
	bpf_map_delete_elem(&exec_in_flight, &old_tid);

	__u64 now = bpf_ktime_get_boot_ns();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
	unsigned long env_start = BPF_CORE_READ(mm, env_start);
	unsigned long env_end = BPF_CORE_READ(mm, env_end);

	struct pt_event *e = reserve(PT_CAT_EXEC);
	if (!e)
		return 0;
	fill_head(&e->head, PT_EXEC, task, now);
	struct task_struct *rparent = BPF_CORE_READ(task, real_parent);
	e->exec.parent_start = task_identity(rparent);
	e->exec.ppid = BPF_CORE_READ(rparent, tgid);
	e->exec.old_tid = old_pid;
	e->exec.uid = BPF_CORE_READ(task, real_cred, uid.val);
	e->exec.gid = BPF_CORE_READ(task, real_cred, gid.val);
	e->exec.euid = BPF_CORE_READ(task, real_cred, euid.val);
	e->exec.egid = BPF_CORE_READ(task, real_cred, egid.val);
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(tpid, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &tpid->numbers[level & 31]);
	e->exec.ns_pid = up.nr;
	e->exec.ns_level = level;
	e->exec.argc = BPF_CORE_READ(bprm, argc);
	e->exec.envc = BPF_CORE_READ(bprm, envc);
	e->exec.argv_len = arg_end - arg_start;
	e->exec.env_len = env_end - env_start;
	BPF_CORE_READ_STR_INTO(&e->exec.comm, task, comm);
	if (arg_end - arg_start > args_limit)
		e->head.flags |= PT_F_ARGV_TRUNCATED;
	if (!capture_env)
		e->head.flags |= PT_F_ENV_SKIPPED;
	else if (env_end - env_start > args_limit)
		e->head.flags |= PT_F_ENV_TRUNCATED;
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_EXEC;
	submit(e);

	const char *filename = BPF_CORE_READ(bprm, filename);
	const char *interp = BPF_CORE_READ(bprm, interp);
	emit_str(&c, filename, PT_D_FILENAME, false);
	if (interp != filename)
		emit_str(&c, interp, PT_D_INTERP, false);
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	if (exe)
		emit_path(&c, &exe->f_path, PT_D_EXE);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	if (fs)
		emit_path(&c, &fs->pwd, PT_D_CWD);
	emit_user_area(&c, arg_start, arg_end, PT_D_ARGV);
	if (capture_env)
		emit_user_area(&c, env_start, env_end, PT_D_ENV);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *task, bool group_dead)
{
	if (!group_dead || stopped)
		return 0;
	__u32 tgid = BPF_CORE_READ(task, tgid);
	if (bpf_map_delete_elem(&traced, &tgid))
		return 0;
	__sync_fetch_and_sub(&live, 1);

	struct pt_event *e = reserve(PT_CAT_PROCESS);
	if (!e) {
		if (capture_hist)
			emit_hists(task, tgid); /* also frees the entries: a reused pid must start empty */
		return 0;
	}
	fill_head(&e->head, PT_EXIT, task, bpf_ktime_get_boot_ns());
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	__u32 status = BPF_CORE_READ(task, exit_code);
	if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
		status = BPF_CORE_READ(sig, group_exit_code);
	e->exit.status = status;
	e->exit.nr_threads_seen = BPF_CORE_READ(sig, nr_threads);
	if (status & 0x80)
		e->head.flags |= PT_F_CORE_DUMPED;
	BPF_CORE_READ_STR_INTO(&e->exit.comm, task, comm);
	fill_rusage(&e->exit.rusage, task, sig);
	submit(e);
	if (capture_hist)
		emit_hists(task, tgid);
	return 0;
}

/* ---- failed exec attempts: execve/execveat that return an error ---------- */

struct sys_enter_execve_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 filename;
};

struct sys_enter_execveat_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 fd;
	__u64 filename;
};

struct sys_exit_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__s64 ret;
};

static __always_inline int remember_exec(__u64 filename)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (stopped || !bpf_map_lookup_elem(&traced, &tgid))
		return 0;
	__u32 tid = (__u32)id;
	bpf_map_update_elem(&exec_in_flight, &tid, &filename, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int sys_enter_execve(struct sys_enter_execve_args *ctx)
{
	return remember_exec(ctx->filename);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int sys_enter_execveat(struct sys_enter_execveat_args *ctx)
{
	return remember_exec(ctx->filename);
}

static __always_inline int report_failed_exec(struct sys_exit_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *filename = bpf_map_lookup_elem(&exec_in_flight, &tid);
	if (!filename)
		return 0;
	__u64 user_filename = *filename;
	bpf_map_delete_elem(&exec_in_flight, &tid);
	if (ctx->ret >= 0)
		return 0;

	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_boot_ns();
	struct pt_event *e = reserve(PT_CAT_EXEC_FAILED);
	if (!e)
		return 0;
	fill_head(&e->head, PT_EXEC_FAILED, task, now);
	e->exec_failed.err = -ctx->ret;
	e->exec_failed.syscall_nr = ctx->nr;
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_EXEC_FAILED;
	submit(e);
	emit_str(&c, (const char *)user_filename, PT_D_FILENAME, true);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int sys_exit_execve(struct sys_exit_args *ctx)
{
	return report_failed_exec(ctx);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int sys_exit_execveat(struct sys_exit_args *ctx)
{
	return report_failed_exec(ctx);
}

/* ---- file opens --------------------------------------------------------- */

struct sys_enter_openat_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 dfd;
	__u64 filename;
	__u64 flags;
	__u64 mode;
};

struct sys_enter_open_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 filename;
	__u64 flags;
	__u64 mode;
};

struct sys_enter_creat_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 pathname;
	__u64 mode;
};

struct sys_enter_openat2_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__u64 dfd;
	__u64 filename;
	__u64 how; /* struct open_how __user * */
	__u64 usize;
};

#define AT_FDCWD_VALUE -100
#define O_CREAT_WRONLY_TRUNC (0100 | 01 | 01000)

static __always_inline int remember_open(int nr, __u64 filename, __s32 dirfd, __u32 flags, __u32 mode)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (stopped || !bpf_map_lookup_elem(&traced, &tgid))
		return 0;
	__u32 tid = (__u32)id;
	struct open_args args = {.filename = filename, .ts = bpf_ktime_get_boot_ns(), .dirfd = dirfd,
				 .flags = flags, .mode = mode, .nr = nr};
	bpf_map_update_elem(&open_in_flight, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int sys_enter_openat(struct sys_enter_openat_args *ctx)
{
	return remember_open(ctx->nr, ctx->filename, (__s32)ctx->dfd, ctx->flags, ctx->mode);
}

SEC("tracepoint/syscalls/sys_enter_open")
int sys_enter_open(struct sys_enter_open_args *ctx)
{
	return remember_open(ctx->nr, ctx->filename, AT_FDCWD_VALUE, ctx->flags, ctx->mode);
}

SEC("tracepoint/syscalls/sys_enter_creat")
int sys_enter_creat(struct sys_enter_creat_args *ctx)
{
	return remember_open(ctx->nr, ctx->pathname, AT_FDCWD_VALUE, O_CREAT_WRONLY_TRUNC, ctx->mode);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int sys_enter_openat2(struct sys_enter_openat2_args *ctx)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->how);
	return remember_open(ctx->nr, ctx->filename, (__s32)ctx->dfd, how.flags, how.mode);
}

static __always_inline int report_open(struct sys_exit_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args *found = bpf_map_lookup_elem(&open_in_flight, &tid);
	if (!found)
		return 0;
	struct open_args args = *found;
	bpf_map_delete_elem(&open_in_flight, &tid);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_boot_ns();
	struct pt_event *e = reserve(PT_CAT_FILES);
	if (!e)
		return 0;
	fill_head(&e->head, PT_OPEN, task, now);
	e->open.dirfd = args.dirfd;
	e->open.result = ctx->ret;
	e->open.flags = args.flags;
	e->open.mode = args.mode;
	e->open.syscall_nr = args.nr;
	e->open._pad = 0;
	e->open.latency_ns = now - args.ts;
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_FILES;
	submit(e);
	emit_str(&c, (const char *)args.filename, PT_D_PATH, true);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_openat(struct sys_exit_args *ctx)
{
	return report_open(ctx);
}

SEC("tracepoint/syscalls/sys_exit_open")
int sys_exit_open(struct sys_exit_args *ctx)
{
	return report_open(ctx);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int sys_exit_creat(struct sys_exit_args *ctx)
{
	return report_open(ctx);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct sys_exit_args *ctx)
{
	return report_open(ctx);
}

/* ---- --io: read/write/fsync latency histograms -------------------------- */

static __always_inline int io_enter(__u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (stopped || !bpf_map_lookup_elem(&traced, &tgid))
		return 0;
	__u32 tid = (__u32)id;
	struct io_start start = {.ts = bpf_ktime_get_boot_ns(), .kind = kind};
	bpf_map_update_elem(&io_in_flight, &tid, &start, BPF_ANY);
	return 0;
}

static __always_inline int io_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct io_start *start = bpf_map_lookup_elem(&io_in_flight, &tid);
	if (!start)
		return 0;
	__u64 ns = bpf_ktime_get_boot_ns() - start->ts;
	__u32 kind = start->kind;
	bpf_map_delete_elem(&io_in_flight, &tid);
	hist_add(id >> 32, kind, ns);
	return 0;
}

#define IO_HOOKS(name, kind)                                                   \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int io_enter_##name(void *ctx) { return io_enter(kind); }             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int io_exit_##name(void *ctx) { return io_exit(); }

IO_HOOKS(read, PT_H_READ)
IO_HOOKS(pread64, PT_H_READ)
IO_HOOKS(readv, PT_H_READ)
IO_HOOKS(write, PT_H_WRITE)
IO_HOOKS(pwrite64, PT_H_WRITE)
IO_HOOKS(writev, PT_H_WRITE)
IO_HOOKS(fsync, PT_H_FSYNC)
IO_HOOKS(fdatasync, PT_H_FSYNC)

/* ---- --sched: time spent blocked off CPU -------------------------------- */

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	if (stopped)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();
	/* prev_state 0 is TASK_RUNNING: preempted, not blocked */
	if (prev_state != 0) {
		__u32 ptgid = BPF_CORE_READ(prev, tgid);
		if (bpf_map_lookup_elem(&traced, &ptgid)) {
			__u32 ptid = BPF_CORE_READ(prev, pid);
			bpf_map_update_elem(&blocked_since, &ptid, &now, BPF_ANY);
		}
	}
	__u32 ntid = BPF_CORE_READ(next, pid);
	__u64 *since = bpf_map_lookup_elem(&blocked_since, &ntid);
	if (since) {
		__u64 ns = now - *since;
		bpf_map_delete_elem(&blocked_since, &ntid);
		hist_add(BPF_CORE_READ(next, tgid), PT_H_OFFCPU, ns);
	}
	return 0;
}

/* ---- TCP connections ---------------------------------------------------- */

#define AF_INET 2
#define AF_INET6 10

/* Who owns a socket: set where the owner is current (connect, listen), used
 * where it is not (the state changes that follow run in softirq context). */
struct sock_owner {
	__u64 start; /* owner's process identity */
	__u64 t_start;
	__u32 pid;
	__u32 tid;
	__u32 conn_id;
	__u8 role;
	__u8 established;
	__u16 local_port; /* kept: the socket's own is cleared when it is unhashed at close */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct sock_owner);
} sockets SEC(".maps");

/* local port → the traced process listening on it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct sock_owner);
} listeners SEC(".maps");

__u32 next_conn_id = 0;

static __always_inline bool current_owner(struct sock_owner *o, __u64 now)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!bpf_map_lookup_elem(&traced, &tgid))
		return false;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	o->start = task_identity(task);
	o->t_start = now;
	o->pid = tgid;
	o->tid = (__u32)id;
	return true;
}

/* The head of a record about a socket: its owner, not the task that happens to run. */
static __always_inline void fill_owner_head(struct pt_head *h, __u16 type, const struct sock_owner *o, __u64 now)
{
	h->type = type;
	h->flags = 0;
	h->tid = o->tid;
	h->ts = now;
	h->start = o->start;
	h->pid = o->pid;
	h->cpu = bpf_get_smp_processor_id();
}

static __always_inline void fill_tcp(struct pt_event *e, const struct sock *sk, const struct sock_owner *o, __u8 event, __u64 now)
{
	fill_owner_head(&e->head, PT_TCP, o, now);
	__builtin_memset(&e->tcp, 0, sizeof(e->tcp));
	e->tcp.event = event;
	e->tcp.role = o->role;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->tcp.family = family;
	e->tcp.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!e->tcp.local_port)
		e->tcp.local_port = o->local_port;
	e->tcp.remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->tcp.conn_id = o->conn_id;
	if (family == AF_INET) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->tcp.local_addr, &laddr, 4);
		__builtin_memcpy(e->tcp.remote_addr, &raddr, 4);
	} else {
		BPF_CORE_READ_INTO(&e->tcp.local_addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->tcp.remote_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	e->tcp.start_ts = o->t_start;
	if (event == PT_TCP_CONNECTED || event == PT_TCP_FAILED)
		e->tcp.latency_ns = now - o->t_start;
	if (event == PT_TCP_FAILED) {
		e->tcp.error = BPF_CORE_READ(sk, sk_err);
		/* 0: the application closed the socket before an answer; what the kernel had seen meanwhile */
		if (!e->tcp.error)
			e->tcp.soft_error = BPF_CORE_READ(sk, sk_err_soft);
	}
	if (event == PT_TCP_AT_STOP)
		e->tcp.tcp_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (event == PT_TCP_CLOSED || event == PT_TCP_AT_STOP) {
		const struct tcp_sock *tp = (const struct tcp_sock *)sk;
		e->tcp.bytes_sent = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
		/* rcv_nxt also advanced over the peer's FIN (which set RCV_SHUTDOWN): not payload */
		__u64 received = BPF_CORE_READ(tp, bytes_received);
		if ((BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) & 1) && received > 0)
			received--;
		e->tcp.bytes_received = received;
		e->tcp.retransmits = BPF_CORE_READ(tp, total_retrans);
	}
}

static __always_inline void emit_tcp(const struct sock *sk, struct sock_owner *o, __u8 event, __u64 now)
{
	struct pt_event *e = reserve(PT_CAT_NET);
	if (!e)
		return;
	fill_tcp(e, sk, o, event, now);
	submit(e);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u64 key = (__u64)sk;
	if (stopped) {
		/* the stop-time scan reads the sockets still in the table: never one that is gone */
		if (newstate == TCP_CLOSE)
			bpf_map_delete_elem(&sockets, &key);
		return 0;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();

	if (newstate == TCP_SYN_SENT) { /* connect(), in the caller's context */
		struct sock_owner o = {.role = PT_TCP_CLIENT};
		if (!current_owner(&o, now))
			return 0;
		o.conn_id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
		if (bpf_map_update_elem(&sockets, &key, &o, BPF_ANY))
			count_loss(PT_CAT_NET);
		return 0;
	}
	if (newstate == TCP_LISTEN) { /* listen(), in the caller's context */
		struct sock_owner o = {.role = PT_TCP_SERVER};
		if (!current_owner(&o, now))
			return 0;
		__u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
		bpf_map_update_elem(&listeners, &port, &o, BPF_ANY);
		return 0;
	}
	if (oldstate == TCP_LISTEN) {
		/* LISTEN → SYN_RECV is a new child cloned from the listener, not the listener itself */
		if (newstate == TCP_CLOSE) {
			__u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
			bpf_map_delete_elem(&listeners, &port);
		}
		return 0;
	}

	struct sock_owner *o = bpf_map_lookup_elem(&sockets, &key);
	if (newstate == TCP_ESTABLISHED) {
		if (o) {
			if (o->role == PT_TCP_CLIENT && !o->established) {
				o->established = 1;
				o->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
				emit_tcp(sk, o, PT_TCP_CONNECTED, now);
			}
			return 0;
		}
		if (oldstate != TCP_SYN_RECV)
			return 0;
		__u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
		struct sock_owner *listener = bpf_map_lookup_elem(&listeners, &port);
		if (!listener)
			return 0;
		struct sock_owner accepted = *listener;
		accepted.role = PT_TCP_SERVER;
		accepted.established = 1;
		accepted.t_start = now;
		accepted.local_port = port;
		accepted.conn_id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
		if (bpf_map_update_elem(&sockets, &key, &accepted, BPF_ANY))
			count_loss(PT_CAT_NET);
		emit_tcp(sk, &accepted, PT_TCP_ACCEPTED, now);
		return 0;
	}
	if (newstate == TCP_CLOSE && o) {
		struct sock_owner owner = *o;
		bpf_map_delete_elem(&sockets, &key);
		emit_tcp(sk, &owner, owner.established ? PT_TCP_CLOSED : PT_TCP_FAILED, now);
	}
	return 0;
}

/*
 * Stop-time scan: run by the capture (a TCP socket iterator, over the
 * capture's network namespace) after the programs stopped, one
 * PT_TCP_AT_STOP record per traced connection that had not reached CLOSE,
 * written to the iterator's output rather than to the ring buffer.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_event);
} at_stop_scratch SEC(".maps");

SEC("iter/tcp")
int sockets_at_stop(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc)
		return 0;
	__u64 key = (__u64)skc; /* a full socket's struct sock starts with its sock_common */
	struct sock_owner *o = bpf_map_lookup_elem(&sockets, &key);
	__u32 zero = 0;
	struct pt_event *e = bpf_map_lookup_elem(&at_stop_scratch, &zero);
	if (!o || !e)
		return 0;
	const struct sock *sk = (const struct sock *)skc;
	__builtin_memset(e, 0, sizeof(*e));
	fill_tcp(e, sk, o, PT_TCP_AT_STOP, bpf_ktime_get_boot_ns());
	bpf_seq_write(ctx->meta->seq, e, sizeof(*e));
	return 0;
}

/* ---- DNS messages: UDP datagrams to and from port 53 ------------------------ */

#define DNS_PORT 53
#define ETH_P_IP_BE 0x0008   /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86 /* htons(0x86DD) */
#define UDP_HEADER_LEN 8

/* The local end of a query a traced process sent: replies come back to it. */
struct dns_flow {
	__u8 addr[16];
	__u16 port; /* host order */
	__u16 family;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dns_flow);
	__type(value, struct sock_owner);
} dns_flows SEC(".maps");

struct udp_datagram {
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	const unsigned char *payload;
	__u32 length;   /* UDP payload bytes, from the UDP header */
	__u32 captured; /* of those, what can be read from the linear area, capped */
};

/* IPv4 or IPv6 (no extension headers) carrying UDP, from the network header at `net`. */
static __always_inline bool parse_udp(const struct sk_buff *skb, const unsigned char *net, __u16 proto,
				      struct udp_datagram *d)
{
	const unsigned char *udp;
	if (proto == ETH_P_IP_BE) {
		__u8 vihl = 0, ip_proto = 0;
		bpf_probe_read_kernel(&vihl, 1, net);
		bpf_probe_read_kernel(&ip_proto, 1, net + 9);
		if ((vihl >> 4) != 4 || ip_proto != IPPROTO_UDP)
			return false;
		d->family = AF_INET;
		bpf_probe_read_kernel(d->saddr, 4, net + 12);
		bpf_probe_read_kernel(d->daddr, 4, net + 16);
		udp = net + (vihl & 0xf) * 4;
	} else if (proto == ETH_P_IPV6_BE) {
		__u8 next = 0;
		bpf_probe_read_kernel(&next, 1, net + 6);
		if (next != IPPROTO_UDP)
			return false;
		d->family = AF_INET6;
		bpf_probe_read_kernel(d->saddr, 16, net + 8);
		bpf_probe_read_kernel(d->daddr, 16, net + 24);
		udp = net + 40;
	} else {
		return false;
	}
	__u16 ports[3] = {};
	if (bpf_probe_read_kernel(ports, sizeof(ports), udp))
		return false;
	d->sport = bpf_ntohs(ports[0]);
	d->dport = bpf_ntohs(ports[1]);
	if (d->sport != DNS_PORT && d->dport != DNS_PORT)
		return false;
	__u32 udp_len = bpf_ntohs(ports[2]);
	d->length = udp_len > UDP_HEADER_LEN ? udp_len - UDP_HEADER_LEN : 0;
	d->payload = udp + UDP_HEADER_LEN;
	/* a NIC may leave the tail of a large datagram in page fragments: only the linear part is read */
	const unsigned char *data = BPF_CORE_READ(skb, data);
	__s64 linear = (__s64)(BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len)) - (d->payload - data);
	__s64 n = d->length;
	if (n > linear)
		n = linear;
	if (n > PT_DNS_MSG_LIMIT)
		n = PT_DNS_MSG_LIMIT;
	d->captured = n > 0 ? n : 0;
	return true;
}

static __always_inline void emit_dns_msg(const struct udp_datagram *d, const struct sock_owner *o, __u8 direction, __u64 now)
{
	struct pt_event *e = reserve(PT_CAT_DNS);
	if (!e)
		return;
	fill_owner_head(&e->head, PT_DNS_MSG, o, now);
	__builtin_memset(&e->dns_msg, 0, sizeof(e->dns_msg));
	e->dns_msg.direction = direction;
	e->dns_msg.family = d->family;
	bool sent = direction == PT_DNS_SENT;
	e->dns_msg.local_port = sent ? d->sport : d->dport;
	e->dns_msg.remote_port = sent ? d->dport : d->sport;
	__builtin_memcpy(e->dns_msg.local_addr, sent ? d->saddr : d->daddr, 16);
	__builtin_memcpy(e->dns_msg.remote_addr, sent ? d->daddr : d->saddr, 16);
	e->dns_msg.length = d->length;
	e->dns_msg.captured = d->captured;
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_DNS;
	c.src = (const char *)d->payload;
	c.len = d->captured;
	c.kind = PT_D_DNS_MSG;
	c.cut = d->captured < d->length;
	submit(e);
	emit_string(&c);
}

/* Sending: in the sender's own context for UDP (the stack transmits synchronously). */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue, struct sk_buff *skb)
{
	if (stopped)
		return 0;
	const unsigned char *head = BPF_CORE_READ(skb, head);
	struct udp_datagram d = {};
	if (!parse_udp(skb, head + BPF_CORE_READ(skb, network_header), BPF_CORE_READ(skb, protocol), &d) ||
	    d.dport != DNS_PORT)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();
	struct sock_owner o = {};
	if (!current_owner(&o, now))
		return 0;
	struct dns_flow flow = {.port = d.sport, .family = d.family};
	__builtin_memcpy(flow.addr, d.saddr, 16);
	bpf_map_update_elem(&dns_flows, &flow, &o, BPF_ANY);
	emit_dns_msg(&d, &o, PT_DNS_SENT, now);
	return 0;
}

/* Receiving: softirq context, so the owner comes from the query's flow. */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netif_receive_skb, struct sk_buff *skb)
{
	if (stopped)
		return 0;
	/* the network header is reset after this tracepoint: data already points at it */
	struct udp_datagram d = {};
	if (!parse_udp(skb, BPF_CORE_READ(skb, data), BPF_CORE_READ(skb, protocol), &d) || d.sport != DNS_PORT)
		return 0;
	struct dns_flow flow = {.port = d.dport, .family = d.family};
	__builtin_memcpy(flow.addr, d.daddr, 16);
	struct sock_owner *o = bpf_map_lookup_elem(&dns_flows, &flow);
	if (!o)
		return 0;
	struct sock_owner owner = *o;
	emit_dns_msg(&d, &owner, PT_DNS_RECEIVED, bpf_ktime_get_boot_ns());
	return 0;
}

/* ---- name lookups: getaddrinfo() in the libc the capture tool found ------ */

/* glibc's struct addrinfo on LP64 */
struct libc_addrinfo {
	__s32 ai_flags;
	__s32 ai_family;
	__s32 ai_socktype;
	__s32 ai_protocol;
	__u32 ai_addrlen;
	__u32 _pad;
	__u64 ai_addr;
	__u64 ai_canonname;
	__u64 ai_next;
};

struct lookup {
	__u64 node; /* user pointer to the name */
	__u64 res;  /* user pointer to the struct addrinfo * the call fills */
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct lookup);
} lookups SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(getaddrinfo_enter, const char *node, const char *service, const void *hints, void **res)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (stopped || !bpf_map_lookup_elem(&traced, &tgid) || !node)
		return 0;
	__u32 tid = (__u32)id;
	struct lookup l = {.node = (__u64)node, .res = (__u64)res, .ts = bpf_ktime_get_boot_ns()};
	bpf_map_update_elem(&lookups, &tid, &l, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(getaddrinfo_exit, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lookup *found = bpf_map_lookup_elem(&lookups, &tid);
	if (!found)
		return 0;
	struct lookup l = *found;
	bpf_map_delete_elem(&lookups, &tid);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_boot_ns();
	struct pt_event *e = reserve(PT_CAT_DNS);
	if (!e)
		return 0;
	fill_head(&e->head, PT_DNS, task, now);
	__builtin_memset(&e->dns, 0, sizeof(e->dns));
	e->dns.result = ret;
	e->dns.start_ts = l.ts;
	e->dns.latency_ns = now - l.ts;
	if (ret == 0) {
		__u64 ai = 0;
		bpf_probe_read_user(&ai, sizeof(ai), (void *)l.res);
		__u32 n = 0;
		for (int i = 0; i < 32 && ai; i++) {
			struct libc_addrinfo info = {};
			if (bpf_probe_read_user(&info, sizeof(info), (void *)ai))
				break;
			if (n < PT_DNS_ANSWERS && (info.ai_family == AF_INET || info.ai_family == AF_INET6)) {
				e->dns.families[n & (PT_DNS_ANSWERS - 1)] = info.ai_family;
				/* sockaddr_in: port at 2, address at 4; sockaddr_in6: address at 8 */
				if (info.ai_family == AF_INET)
					bpf_probe_read_user(e->dns.addrs[n & (PT_DNS_ANSWERS - 1)], 4, (void *)(info.ai_addr + 4));
				else
					bpf_probe_read_user(e->dns.addrs[n & (PT_DNS_ANSWERS - 1)], 16, (void *)(info.ai_addr + 8));
			}
			n++;
			ai = info.ai_next;
		}
		e->dns.count = n;
	}
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_DNS;
	submit(e);
	emit_str(&c, (const char *)l.node, PT_D_NAME, true);
	return 0;
}

/* ---- signals to the capture and to the root ------------------------------ */

/*
 * A signal sent to the capture's process group (kill -INT -PGID) reaches
 * the root command directly: the capture must not forward it a second time.
 * For the forwarded signals, the last one generated for the root and for the
 * capture: who sent it, when. The capture forwards a signal only if the
 * root did not get the same one at the same moment from someone else than
 * the capture (the same kill() of a process group, or a relay such as sudo's
 * of the signal that reached it too).
 */
volatile __u32 root_tgid = 0;    /* set by the capture once the command is forked */
volatile __u32 capture_tgid = 0;
struct pt_signal_seen root_signals[PT_SIGNALS_SEEN];
struct pt_signal_seen capture_signals[PT_SIGNALS_SEEN];

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	if (sig <= 0 || sig >= PT_SIGNALS_SEEN || !root_tgid)
		return 0;
	__u32 target = BPF_CORE_READ(task, tgid);
	__u32 sender = bpf_get_current_pid_tgid() >> 32;
	struct pt_signal_seen *seen;
	if (target == root_tgid && sender != capture_tgid) /* not what the capture itself forwarded */
		seen = &root_signals[sig & (PT_SIGNALS_SEEN - 1)];
	else if (target == capture_tgid)
		seen = &capture_signals[sig & (PT_SIGNALS_SEEN - 1)];
	else
		return 0;
	seen->sender = sender;
	seen->ts = bpf_ktime_get_boot_ns();
	return 0;
}
