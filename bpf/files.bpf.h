/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files: the open family of syscalls (open, openat, openat2, creat), and the
 * --io (read/write/fsync latency) and --sched (off-CPU time) hooks that fill
 * the histograms.
 */
#ifndef PTRACE_FILES_BPF_H
#define PTRACE_FILES_BPF_H

#include "common.bpf.h"
#include "hist.bpf.h"

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

#endif /* PTRACE_FILES_BPF_H */
