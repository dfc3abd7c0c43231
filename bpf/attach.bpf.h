/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching to what already runs (--pid, --cgroup): a task iterator walks
 * every process once fork tracing is on, adds the wanted ones to the traced
 * map and writes a PT_ATTACHED record for each; with --cgroup, processes
 * moved into the cgroup later (cgroup_attach_task) or forked into it by an
 * untraced parent are added the same way.
 */
#ifndef PTRACE_ATTACH_BPF_H
#define PTRACE_ATTACH_BPF_H

#include "common.bpf.h"
#include "hist.bpf.h"

#define ANCESTOR_DEPTH 128
#define PF_KTHREAD 0x00200000

/* Set by the capture tool before load (--cgroup): the cgroup whose subtree is traced. */
const volatile __u64 target_cgroup_id = 0;
const volatile __u32 target_cgroup_level = 0;

/* Processes the walk attached: a pass that adds none ends the walk. */
__u32 attached_by_walk = 0;

/* --pid: the processes attached to (tgid → 1); their descendants are wanted too. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} attach_roots SEC(".maps");

/* Whether a cgroup is the target or below it (0: the task's own cgroup). */
static __always_inline bool in_target_cgroup(struct task_struct *task, struct cgroup *cgrp)
{
	if (!cgrp)
		cgrp = task_cgroup(task);
	__u32 level = target_cgroup_level;
	if (BPF_CORE_READ(cgrp, level) < (int)level)
		return false;
	struct cgroup *ancestor = NULL;
	bpf_core_read(&ancestor, sizeof(ancestor), &cgrp->ancestors[level & 1023]);
	return ancestor && BPF_CORE_READ(ancestor, kn, id) == target_cgroup_id;
}

/* --pid: the task or one of its ancestors is an attach root. */
static __always_inline bool below_attach_root(struct task_struct *task)
{
	struct task_struct *t = task;
	for (int i = 0; i < ANCESTOR_DEPTH; i++) {
		__u32 tgid = BPF_CORE_READ(t, tgid);
		if (tgid == 0)
			return false;
		if (bpf_map_lookup_elem(&attach_roots, &tgid))
			return true;
		struct task_struct *parent = BPF_CORE_READ(t, real_parent);
		if (!parent || parent == t)
			return false;
		t = parent;
	}
	return false;
}

/*
 * Adds a process to the traced map and records it. The record is reserved
 * before the insertion, so it precedes every record the process's own hooks
 * write once it is traced. A process whose last thread was already exiting
 * may have passed its exit hook before the insertion: it is taken out again
 * (no record), or the map would keep it for ever.
 */
static __always_inline void attach_process(struct task_struct *task, __u32 reason, struct cgroup *joined)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	if (bpf_map_lookup_elem(&traced, &tgid))
		return; /* a fork record already announced it, or an earlier pass found it */
	__u64 start = task_identity(task);
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss(PT_CAT_TRACKING);
		return;
	}
	if (bpf_map_update_elem(&traced, &tgid, &start, BPF_NOEXIST)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	if (BPF_CORE_READ(task, signal, live.counter) == 0 && !bpf_map_delete_elem(&traced, &tgid)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	__sync_fetch_and_add(&live, 1);
	if (reason == PT_ATTACH_RUNNING)
		__sync_fetch_and_add(&attached_by_walk, 1);
	if (capture_hist) {
		for (__u32 kind = PT_H_READ; kind <= PT_H_OFFCPU; kind++) {
			struct hist_key key = {.tgid = tgid, .kind = kind};
			bpf_map_delete_elem(&hists, &key);
		}
	}

	__builtin_memset(&e->attached, 0, sizeof(e->attached));
	fill_head(&e->head, PT_ATTACHED, task, bpf_ktime_get_boot_ns());
	e->head.tid = tgid; /* the leader: the record is about the process, whichever task ran */
	struct task_struct *rparent = BPF_CORE_READ(task, real_parent);
	e->attached.parent_start = task_identity(rparent);
	e->attached.ppid = BPF_CORE_READ(rparent, tgid);
	e->attached.reason = reason;
	e->attached.uid = BPF_CORE_READ(task, real_cred, uid.val);
	e->attached.gid = BPF_CORE_READ(task, real_cred, gid.val);
	e->attached.euid = BPF_CORE_READ(task, real_cred, euid.val);
	e->attached.egid = BPF_CORE_READ(task, real_cred, egid.val);
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(tpid, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &tpid->numbers[level & 31]);
	e->attached.ns_pid = up.nr;
	e->attached.ns_level = level;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (mm) {
		e->attached.argv_len = BPF_CORE_READ(mm, arg_end) - BPF_CORE_READ(mm, arg_start);
		e->attached.env_len = BPF_CORE_READ(mm, env_end) - BPF_CORE_READ(mm, env_start);
	}
	BPF_CORE_READ_STR_INTO(&e->attached.comm, task, comm);
	fill_container(&e->attached.container, task);
	if (joined)
		e->attached.container.cgroup_id = BPF_CORE_READ(joined, kn, id);
	e->attached.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	if (!capture_env)
		e->head.flags |= PT_F_ENV_SKIPPED;
	bpf_ringbuf_submit(e, 0);
}

/* Run by the capture tool (read to the end, possibly in several passes) once the hooks are attached. */
SEC("iter/task")
int attach_walk(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task || stopped)
		return 0;
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) || (BPF_CORE_READ(task, flags) & PF_KTHREAD))
		return 0;
	bool wanted = target_cgroup_id ? in_target_cgroup(task, 0) : below_attach_root(task);
	if (wanted)
		attach_process(task, PT_ATTACH_RUNNING, 0);
	return 0;
}

/* --cgroup: a process moved into the traced cgroup (a write to cgroup.procs: systemd, container runtimes). */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
	if (stopped || !target_cgroup_id)
		return 0;
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	if (in_target_cgroup(task, dst))
		attach_process(task, PT_ATTACH_JOINED, dst);
	return 0;
}

#endif /* PTRACE_ATTACH_BPF_H */
