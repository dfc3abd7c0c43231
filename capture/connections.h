/* SPDX-License-Identifier: MIT */
/* Connections at stop: the linger for closes after the command, then a record per connection still open. */
#ifndef PTRACE_CAPTURE_CONNECTIONS_H
#define PTRACE_CAPTURE_CONNECTIONS_H

#include <bpf/libbpf.h>
#include "rawfile.h"
#include "skel.h"

void linger_for_connections(struct writer *w, struct ptrace_bpf *skel, struct ring_buffer *rb, int losses_fd);
void write_connections_at_stop(struct writer *w, struct ptrace_bpf *skel);

#endif /* PTRACE_CAPTURE_CONNECTIONS_H */
