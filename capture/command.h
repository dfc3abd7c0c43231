/* SPDX-License-Identifier: MIT */
/*
 * The command: started behind a gate pipe with the caller's signal state and
 * open-files limit, found on PATH like execvp, and sent the signals the
 * capture got and it did not.
 */
#ifndef PTRACE_CAPTURE_COMMAND_H
#define PTRACE_CAPTURE_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>
#include "privileges.h"
#include "skel.h"

/* Read before the tool installs its own handlers. */
void read_caller_state(void);
void install_signal_handlers(void);
/* Forks the command, which waits until a byte is written to *release_fd (EOF: it exits 126). */
pid_t start_command(char **command, const struct run_as *r, int *release_fd);
void forward_signals(const struct ptrace_bpf *skel, pid_t child);
/* The capture forwarded a signal to the command. */
bool command_signalled(void);
/* The capture got a signal (ends a --wait-all wait). */
bool capture_interrupted(void);

#endif /* PTRACE_CAPTURE_COMMAND_H */
