/* SPDX-License-Identifier: MIT */
/* Which BPF programs load, from the options. */
#ifndef PTRACE_CAPTURE_PROGRAMS_H
#define PTRACE_CAPTURE_PROGRAMS_H

#include "options.h"
#include "skel.h"

/* The options' sets, minus syscalls this architecture lacks (open, creat). */
void select_programs(struct ptrace_bpf *skel, const struct options *o);

#endif /* PTRACE_CAPTURE_PROGRAMS_H */
