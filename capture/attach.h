/* SPDX-License-Identifier: MIT */
/*
 * Attaching to what already runs (--pid, --cgroup): the targets checked and
 * handed to BPF, the task-iterator walk, the strings of each attached
 * process read from /proc, the paths of the cgroups the records name, and
 * the stop signals (never forwarded: the capture did not start them).
 */
#ifndef PTRACE_CAPTURE_ATTACH_H
#define PTRACE_CAPTURE_ATTACH_H

#include <stdbool.h>
#include "options.h"
#include "rawfile.h"
#include "skel.h"

/* Checks --pid (each to its process) and --cgroup (a cgroup v2 directory: its id, level, path); dies on a bad one. */
void resolve_attach_targets(struct options *o);
/* Before load: the cgroup filter. */
void configure_attach(struct ptrace_bpf *skel, const struct options *o);
/* After load: the --pid roots in their map. */
void register_attach_roots(struct ptrace_bpf *skel, const struct options *o);
/* Walks every process with the task iterator (repeated until a pass finds nothing new); returns the processes attached. */
__u32 walk_running_processes(struct ptrace_bpf *skel);
/* From the drain: a PT_ATTACHED record, followed by its strings read from /proc/PID. */
void write_attached(struct writer *w, const struct pt_event *e);
/* From the drain: a PT_CGROUP record with its path, the first time a cgroup id is seen. */
void note_cgroup(struct writer *w, __u64 cgroup_id);
/* SIGINT, SIGTERM, SIGHUP (unless the caller ignores it) and SIGQUIT end an attached capture. */
void install_stop_handlers(void);
bool stop_requested(void);
/* --cgroup: the directory is gone (the capture then stops). */
bool target_cgroup_removed(const struct options *o);

#endif /* PTRACE_CAPTURE_ATTACH_H */
