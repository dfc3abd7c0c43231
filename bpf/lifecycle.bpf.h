/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process lifecycle: fork, exec and exit on tracepoints, failed exec
 * attempts, and the signals generated for the root command and the capture.
 */
#ifndef PTRACE_LIFECYCLE_BPF_H
#define PTRACE_LIFECYCLE_BPF_H

#include "common.bpf.h"
#include "hist.bpf.h"
#include "attach.bpf.h"
#include "signals.h"

#define SIGNAL_GROUP_EXIT 0x00000004


/* tid → user pointer of the filename of an execve in flight */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} exec_in_flight SEC(".maps");

/* ---- resource usage ------------------------------------------------------- */

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

/* ---- process lifecycle ---------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	if (stopped)
		return 0;
	if (!bpf_map_lookup_elem(&traced, &ptgid)) {
		if (target_cgroup_id && BPF_CORE_READ(child, pid) == BPF_CORE_READ(child, tgid) && in_target_cgroup(child, 0))
			attach_process(child, PT_ATTACH_BORN, 0);
		return 0;
	}

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
	fill_container(&e->fork.child_container, child);
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
	fill_container(&e->exec.container, task);
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

#endif /* PTRACE_LIFECYCLE_BPF_H */
