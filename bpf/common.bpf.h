/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by every feature of the BPF side: the configuration the capture
 * tool sets, the maps all features write (events ring buffer, traced set,
 * losses, path scratch), record heads, and the emission of strings and paths
 * as PT_DATA chunks.
 */
#ifndef PTRACE_COMMON_BPF_H
#define PTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "ptrace.h"

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

/*
 * Processes in the traced map, kept exact under concurrent forks and exits
 * (--wait-all waits for 0): a child is counted in its parent's fork hook,
 * which runs before the fork returns, so before the parent can exit; a
 * process is uncounted in its own exit hook. Walking the map instead can
 * miss a child inserted behind the walk while its parent is deleted ahead.
 */
__s64 live = 0;

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

/* ---- where a process runs: cgroup and namespaces ------------------------ */

static __always_inline struct cgroup *task_cgroup(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp);
}

static __always_inline void fill_container(struct pt_container *c, struct task_struct *task)
{
	c->cgroup_id = BPF_CORE_READ(task_cgroup(task), kn, id);
	struct nsproxy *ns = BPF_CORE_READ(task, nsproxy);
	if (ns) { /* NULL once an exiting task has let go of its namespaces */
		c->mnt_ns = BPF_CORE_READ(ns, mnt_ns, ns.inum);
		c->net_ns = BPF_CORE_READ(ns, net_ns, ns.inum);
		c->uts_ns = BPF_CORE_READ(ns, uts_ns, ns.inum);
	} else {
		c->mnt_ns = c->net_ns = c->uts_ns = 0;
	}
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(tpid, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &tpid->numbers[level & 31]);
	c->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
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

/* a syscall exit tracepoint's arguments */
struct sys_exit_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__s64 ret;
};

#endif /* PTRACE_COMMON_BPF_H */
