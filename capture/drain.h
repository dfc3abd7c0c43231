/* SPDX-License-Identifier: MIT */
/* Draining: records from the ring buffer, losses, and what still runs at the end, into the raw file. */
#ifndef PTRACE_CAPTURE_DRAIN_H
#define PTRACE_CAPTURE_DRAIN_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "rawfile.h"

struct ring_buffer;

/* ring_buffer__new() callback; ctx is the struct writer */
int on_record(void *ctx, void *data, size_t size);
/* Writes a PT_LOSS record for each category whose count changed; returns the total lost. */
__u64 flush_losses(struct writer *w, int losses_fd);
/* One PT_RUNNING record per process still in the traced map; returns how many. */
__u32 write_still_running(struct writer *w, int traced_fd);
bool map_empty(int fd);
/* One drain: waits up to timeout_ms for records, writes them and the changed loss counts; returns the total lost. */
__u64 drain_once(struct writer *w, struct ring_buffer *rb, int losses_fd, int timeout_ms);

#endif /* PTRACE_CAPTURE_DRAIN_H */
