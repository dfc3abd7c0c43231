/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --io and --sched: latency histograms per process, filled by the files
 * feature's hooks and written as PT_HIST records at the process's exit.
 */
#ifndef PTRACE_HIST_BPF_H
#define PTRACE_HIST_BPF_H

#include "common.bpf.h"

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

/* ---- histograms ---------------------------------------------------------- */

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

#endif /* PTRACE_HIST_BPF_H */
