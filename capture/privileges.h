/* SPDX-License-Identifier: MIT */
/*
 * Privileges: what loading BPF needs, the user who ran sudo (whom the command
 * runs as), and the output file created with that user's identity.
 */
#ifndef PTRACE_CAPTURE_PRIVILEGES_H
#define PTRACE_CAPTURE_PRIVILEGES_H

#include <stdbool.h>
#include <sys/types.h>
#include "options.h"

struct run_as {
	bool sudo; /* run by root under sudo (SUDO_UID and SUDO_GID set): the output is created as that user */
	bool drop; /* the command runs as that user (not --keep-root, and the user is not root) */
	bool kept_root; /* under sudo by a non-root user, --keep-root left the command running as root */
	uid_t uid;
	gid_t gid;
	const char *user;
	int ngroups;    /* the command's supplementary groups (drop): looked up before the command is */
	gid_t *groups;  /* forked, so that its process opens no user databases; -1 if they could not be */
};

void check_privileges(void);
void check_btf(void);
void ensure_tracefs(void);
struct run_as sudo_user(bool keep_root);
/* In the command's process, before its exec: takes the user's groups, gid and uid (when r->drop). */
int drop_privileges(const struct run_as *r);
/* Creates the output (0600, O_EXCL; --force replaces it) as the user who ran sudo; dies on failure. */
int open_output(const struct options *o, const struct run_as *r);
/* The output as two unnamed files in its directory (O_TMPFILE), for the sink: dies on failure. */
void open_output_unnamed(const struct options *o, const struct run_as *r, int *final, int *scratch);
/* Gives the unnamed output `fd` its name (--force: replacing a file there); 0 or an errno. */
int name_output(int fd, bool force);
/* Set-up failed: removes the half-made output. */
void remove_output(void);

#endif /* PTRACE_CAPTURE_PRIVILEGES_H */
