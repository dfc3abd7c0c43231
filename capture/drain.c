// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "drain.h"
#include "libc.h"
#include "rawfile.h"
#include "util.h"

int on_record(void *ctx, void *data, size_t size)
{
	struct writer *w = ctx;
	if (size != sizeof(struct pt_event))
		return 0;
	const struct pt_event *e = data;
	switch (e->head.type) {
	case PT_FORK:
		w->processes++;
		out_record(w, e);
		note_cgroup(w, e->fork.child_container.cgroup_id);
		return 0;
	case PT_EXEC:
		note_exec(e->head.pid);
		out_record(w, e);
		note_cgroup(w, e->exec.container.cgroup_id);
		return 0;
	case PT_ATTACHED: /* its strings come from /proc, written right after it */
		w->processes++;
		note_exec(e->head.pid);
		write_attached(w, e);
		note_cgroup(w, e->attached.container.cgroup_id);
		return 0;
	case PT_EXIT:
		note_exit(e->head.pid);
		break;
	}
	out_record(w, e);
	return 0;
}

static __u64 lost_seen[PT_CAT_MAX];

/* Losses are counted per CPU in BPF; each change becomes a PT_LOSS record in-band. */
__u64 flush_losses(struct writer *w, int losses_fd)
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
		out_record(w, &e);
	}
	free(values);
	return total;
}

__u32 write_still_running(struct writer *w, int traced_fd)
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
		out_record(w, &e);
		count++;
		key = next;
		prev = &key;
	}
	return count;
}

/* Whether a hash map has no entry (a snapshot: entries may come and go meanwhile). */
bool map_empty(int fd)
{
	__u64 next[8]; /* room for any key of these maps (the sockets map's is 8 bytes) */
	return bpf_map_get_next_key(fd, NULL, next) != 0;
}

__u64 drain_once(struct writer *w, struct ring_buffer *rb, int losses_fd, int timeout_ms)
{
	/* Records are submitted without wakeups: the poll returns on the timer (or when BPF
	 * forces a wakeup because the buffer is half full), and consume drains it either way. */
	int n = ring_buffer__poll(rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		fprintf(stderr, "ptrace: warning: ring buffer poll: %s\n", strerror(-n));
	ring_buffer__consume(rb);
	__u64 lost = flush_losses(w, losses_fd);
	out_flush(w);
	return lost;
}
