/* SPDX-License-Identifier: MIT */
/*
 * getaddrinfo() uprobes on every C library the capture tool and the traced
 * processes map, found through /proc/PID/map_files in a scanning thread.
 */
#ifndef PTRACE_CAPTURE_LIBC_H
#define PTRACE_CAPTURE_LIBC_H

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <bpf/libbpf.h>
#include "skel.h"

/* Attaches to this tool's own C library and enables the scans; -1 (warned) if it cannot. */
int attach_dns(struct ptrace_bpf *skel, bool quiet);
/* From the drain: a traced process exec'd (it is scanned one drain later), or exited. */
void note_exec(pid_t pid);
void note_exit(pid_t pid);
/* Called after each drain: hands the processes that exec'd one drain ago to the scanning thread. */
void scan_exec_libcs(void);
void stop_libc_scans(void);
/* libbpf_set_print() callback: messages from the scans are rate-limited. */
int libbpf_message(enum libbpf_print_level level, const char *fmt, va_list args);

#endif /* PTRACE_CAPTURE_LIBC_H */
