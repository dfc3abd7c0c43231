// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace's kernel side: follows one process tree through fork, exec and exit
 * on tracepoints only, and emits fixed-size records (bpf/ptrace.h) into one
 * ring buffer. Strings (argv, env, paths) follow their record as PT_DATA
 * chunks. One BPF object (one skeleton); each feature lives in its own
 * header, included once here: common.bpf.h (shared maps, record heads,
 * string and path chunks), hist.bpf.h (--io/--sched histograms),
 * attach.bpf.h (--pid, --cgroup: what already runs),
 * lifecycle.bpf.h (fork, exec, exit, failed execs, signals), files.bpf.h
 * (opens, --io, --sched), net.bpf.h (TCP), dns.bpf.h (port 53, getaddrinfo).
 */
#include "common.bpf.h"
#include "hist.bpf.h"
#include "attach.bpf.h"
#include "lifecycle.bpf.h"
#include "files.bpf.h"
#include "net.bpf.h"
#include "dns.bpf.h"

char LICENSE[] SEC("license") = "GPL";
