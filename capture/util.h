/* SPDX-License-Identifier: MIT */
/* What every part of the capture tool uses: the one-line fatal error, clocks. */
#ifndef PTRACE_CAPTURE_UTIL_H
#define PTRACE_CAPTURE_UTIL_H

#include <linux/types.h>
#include <time.h>

#define EXIT_USAGE 2
#define EXIT_FAILURE_SETUP 1

/* Prints "ptrace: MESSAGE" and exits with code. */
void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
__u64 clock_ns(clockid_t id);

#endif /* PTRACE_CAPTURE_UTIL_H */
