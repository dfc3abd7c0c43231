/* SPDX-License-Identifier: MIT */
/*
 * Shared by the BPF program and the capture tool only, never in a file: the
 * last signal generated for the root command, and for the capture, by
 * signal number (1..31; the forwarded ones are among them). The capture
 * forwards a signal only if the root did not get it too at the same moment.
 */
#ifndef PTRACE_SIGNALS_H
#define PTRACE_SIGNALS_H

#define PT_SIGNALS_SEEN 32

struct pt_signal_seen {
	__u32 sender; /* tgid of the task that generated it */
	__u32 _pad;
	__u64 ts;     /* CLOCK_BOOTTIME ns */
};

#endif /* PTRACE_SIGNALS_H */
