/* SPDX-License-Identifier: MIT */
/* The capture sink (sink.c): a Node process that redacts and/or compresses the records into the output. */
#ifndef PTRACE_CAPTURE_SINK_H
#define PTRACE_CAPTURE_SINK_H

#include <stdbool.h>
#include <sys/types.h>
#include "options.h"
#include "privileges.h"

struct sink {
	pid_t pid;
	int final_fd;   /* the output, an unnamed file until the sink succeeded */
	int scratch_fd; /* an unnamed file for the redacted records before compression */
};

/* Takes PTRACE_CLI_NODE (the Node.js that ran `ptrace capture`) out of the environment, into o->cli_node. */
void take_cli_node(struct options *o);
/* --redact, or an output named .gz or .zst */
bool sink_wanted(const struct options *o);
/* Dies when Node.js or the sink script cannot be found (before the command runs). */
void check_sink(const struct options *o);
/* Starts the sink; returns the pipe to write the raw file into. */
int start_sink(struct sink *s, const struct options *o, const struct run_as *r);
/* Waits for the sink: 0 when it wrote the output. */
int finish_sink(struct sink *s);

#endif /* PTRACE_CAPTURE_SINK_H */
