// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "programs.h"

static bool syscall_tracepoint_exists(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s", name);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/syscalls/%s", name);
	return !access(path, F_OK);
}

/* Which hooks load: the options' sets, minus syscalls this architecture lacks (open, creat). */
void select_programs(struct ptrace_bpf *skel, const struct options *o)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		const char *tp = strrchr(sec, '/');
		bool load = true;
		if (!strncmp(sec, "tracepoint/syscalls/", 20)) {
			bool execve = strstr(sec, "_execve") != NULL;
			bool open = strstr(sec, "_open") || strstr(sec, "_creat");
			load = execve ? o->failed_execs : open ? o->files : o->io;
			if (load && tp && !syscall_tracepoint_exists(tp + 1))
				load = false;
		} else if (!strcmp(sec, "tp_btf/sched_switch")) {
			load = o->sched;
		} else if (!strcmp(sec, "tp_btf/inet_sock_set_state")) {
			load = o->net;
		} else if (!strcmp(sec, "iter/tcp")) {
			load = o->net; /* the stop-time connection scan, run by write_connections_at_stop() */
			bpf_program__set_autoattach(prog, false);
		} else if (!strcmp(sec, "iter/task")) {
			load = o->attach; /* the walk at the start, run by walk_running_processes() */
			bpf_program__set_autoattach(prog, false);
		} else if (!strcmp(sec, "tp_btf/cgroup_attach_task")) {
			load = o->cgroup != NULL;
		} else if (!strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe")) {
			load = o->dns;
		} else if (!strcmp(sec, "tp_btf/net_dev_queue") || !strcmp(sec, "tp_btf/netif_receive_skb")) {
			load = o->dns_msg;
		}
		bpf_program__set_autoload(prog, load);
	}
}
