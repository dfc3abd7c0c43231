/* SPDX-License-Identifier: MIT */
/* The command line, as parsed by main.c. */
#ifndef PTRACE_CAPTURE_OPTIONS_H
#define PTRACE_CAPTURE_OPTIONS_H

#include <linux/types.h>
#include <stdbool.h>

struct options {
	const char *output;
	bool force;
	bool keep_root;
	bool wait_all;
	bool env;
	bool failed_execs;
	bool files;
	bool io;
	bool sched;
	bool net;
	bool dns;     /* getaddrinfo() uprobes */
	bool dns_msg; /* UDP port 53 packets */
	bool quiet;
	bool redact;          /* --redact: through the sink (sink.c) */
	bool anonymize_paths; /* --anonymize-paths (with --redact) */
	const char *rules;    /* --rules FILE (with --redact) */
	const char **keep;    /* --keep NAME... (with --redact) */
	const char *cli_node; /* the Node.js that ran `ptrace capture` (sink.c take_cli_node) */
	int nkeep;
	__u32 buffer_mb;
	__u32 args_limit;
	char **command; /* NULL when attaching */
	/* attaching (--pid, --cgroup) instead of running a command */
	bool attach;
	__u32 *attach_pids; /* --pid, as given, then each resolved to its process */
	int n_attach_pids;
	const char *cgroup;  /* --cgroup as given */
	char *cgroup_path;   /* the directory, absolute */
	char *cgroup_rel;    /* relative to the cgroup v2 root, starting with / */
	__u64 cgroup_id;
	__u32 cgroup_level;
	__u64 duration_ns;   /* --duration; 0: none */
	int capture_argc;
	char **capture_argv;
};

#endif /* PTRACE_CAPTURE_OPTIONS_H */
