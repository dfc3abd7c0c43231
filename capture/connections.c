// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "connections.h"
#include "drain.h"
#include "rawfile.h"
#include "util.h"

/*
 * Connections are often closed just after the command exits (a child's, or
 * the kernel finishing the close of the command's own sockets). After the
 * command, draining goes on while traced connections have not reached CLOSE,
 * for at most LINGER_MS; then each one still not closed gets a
 * PT_TCP_AT_STOP record with its counters and TCP state, read by a BPF TCP
 * socket iterator (which sees the capture's network namespace: connections
 * of traced processes in other namespaces get no such record).
 */
#define LINGER_MS 100

static bool connections_scanned(struct ptrace_bpf *skel)
{
	return bpf_program__autoload(skel->progs.sockets_at_stop);
}

void linger_for_connections(struct writer *w, struct ptrace_bpf *skel, struct ring_buffer *rb, int losses_fd)
{
	if (!connections_scanned(skel))
		return;
	int sockets_fd = bpf_map__fd(skel->maps.sockets);
	__u64 until = clock_ns(CLOCK_MONOTONIC) + LINGER_MS * 1000000ULL;
	while (!map_empty(sockets_fd) && clock_ns(CLOCK_MONOTONIC) < until)
		drain_once(w, rb, losses_fd, 5);
}

/* After the programs stopped: one PT_TCP_AT_STOP record per traced connection not at CLOSE. */
void write_connections_at_stop(struct writer *w, struct ptrace_bpf *skel)
{
	if (!connections_scanned(skel))
		return;
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.sockets_at_stop, NULL);
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		fprintf(stderr, "ptrace: warning: cannot read the connections still open at the end: %s\n", strerror(errno));
		bpf_link__destroy(link);
		return;
	}
	static char buf[16 * sizeof(struct pt_event)];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		size_t whole = have - have % sizeof(struct pt_event);
		for (size_t off = 0; off < whole; off += sizeof(struct pt_event))
			out_record(w, (const struct pt_event *)(buf + off));
		memmove(buf, buf + whole, have - whole);
		have -= whole;
	}
	close(fd);
	bpf_link__destroy(link);
}
