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
#include "ptrace.h"

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
/* Set by the capture tool when it stops: cheaper than detaching, which waits for RCU grace periods. */
volatile __u8 stopped = 0;

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

/* A NUL-terminated kernel string of at most PATH_MAX bytes (bprm->filename). */
static __always_inline void emit_kernel_str(struct chunk_ctx *c, const char *str, __u8 kind)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return;
	long n = bpf_probe_read_kernel_str(pb->buf, PT_PATH_LIMIT, str);
	c->src = 0;
	c->len = n > 0 ? n - 1 : 0;
	c->cut = c->len >= PT_PATH_LIMIT - 1;
	c->kind = kind;
	c->user = 0;
	c->from_scratch = 1;
	emit_string(c);
}

static __always_inline void emit_user_str(struct chunk_ctx *c, const char *str, __u8 kind)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return;
	long n = bpf_probe_read_user_str(pb->buf, PT_PATH_LIMIT, str);
	c->src = 0;
	c->len = n > 0 ? n - 1 : 0;
	c->cut = c->len >= PT_PATH_LIMIT - 1;
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
	if (c->cut)
		len = args_limit;
	c->src = (const char *)start;
	c->len = len;
	c->kind = kind;
	c->user = 1;
	c->from_scratch = 0;
	emit_string(c);
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
	if (bpf_map_update_elem(&traced, &child_tgid, &child_start, BPF_ANY))
		count_loss(PT_CAT_TRACKING);

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
	emit_kernel_str(&c, filename, PT_D_FILENAME);
	if (interp != filename)
		emit_kernel_str(&c, interp, PT_D_INTERP);
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
	if (!bpf_map_lookup_elem(&traced, &tgid))
		return 0;
	bpf_map_delete_elem(&traced, &tgid);

	struct pt_event *e = reserve(PT_CAT_PROCESS);
	if (!e)
		return 0;
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
	submit(e);
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
	emit_user_str(&c, (const char *)user_filename, PT_D_FILENAME);
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
