// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privileges.h"
#include "util.h"

static bool has_capability(int cap)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

void check_privileges(void)
{
	if (geteuid() == 0)
		return;
	if (!has_capability(39 /* CAP_BPF */) || !has_capability(38 /* CAP_PERFMON */))
		die(EXIT_FAILURE_SETUP,
		    "loading BPF needs root or CAP_BPF and CAP_PERFMON (euid is %u): run it with sudo",
		    geteuid());
}

void check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		die(EXIT_FAILURE_SETUP,
		    "no kernel BTF at /sys/kernel/btf/vmlinux (%s): the kernel needs CONFIG_DEBUG_INFO_BTF=y",
		    strerror(errno));
}

/* Classic tracepoints (the execve exits) are found through tracefs. */
void ensure_tracefs(void)
{
	if (!access("/sys/kernel/debug/tracing/events/syscalls", F_OK) ||
	    !access("/sys/kernel/tracing/events/syscalls", F_OK))
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		die(EXIT_FAILURE_SETUP,
		    "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: %s "
		    "(or use --no-failed-execs)", strerror(errno));
	fprintf(stderr, "ptrace: mounted tracefs at /sys/kernel/tracing (needed for the execve exit tracepoints)\n");
}

/* A decimal user or group id, nothing else (no sign, no spaces, not the (uid_t)-1 that means "no change"). */
static bool parse_id(const char *s, unsigned int *id)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return false;
	unsigned long long v = strtoull(s, NULL, 10);
	if (v >= UINT32_MAX)
		return false;
	*id = v;
	return true;
}

static int user_groups(const struct run_as *r, gid_t **groups);

struct run_as sudo_user(bool keep_root)
{
	struct run_as r = {0};
	const char *suid = getenv("SUDO_UID"), *sgid = getenv("SUDO_GID");
	if (geteuid() != 0 || !suid || !sgid)
		return r;
	unsigned int uid, gid;
	if (!parse_id(suid, &uid) || !parse_id(sgid, &gid))
		die(EXIT_FAILURE_SETUP, "SUDO_UID and SUDO_GID must be user and group ids (numbers): refusing to guess "
					"whom to run the command as");
	r.sudo = true;
	r.drop = !keep_root && uid != 0;
	r.kept_root = keep_root && uid != 0;
	r.uid = uid;
	r.gid = gid;
	r.user = getenv("SUDO_USER");
	if (r.drop)
		r.ngroups = user_groups(&r, &r.groups);
	return r;
}

/* The user's supplementary groups (malloc'd; at least the primary group). */
static int user_groups(const struct run_as *r, gid_t **groups)
{
	/* SUDO_USER names the account only if it agrees with SUDO_UID */
	struct passwd *pw = r->user ? getpwnam(r->user) : NULL;
	if (!pw || pw->pw_uid != r->uid)
		pw = getpwuid(r->uid);
	int n = 64;
	for (int tries = 0; tries < 3; tries++) {
		*groups = malloc(n * sizeof(gid_t));
		if (!*groups)
			break;
		int want = n;
		if (pw && getgrouplist(pw->pw_name, r->gid, *groups, &want) >= 0)
			return want;
		free(*groups);
		*groups = NULL;
		if (!pw || want <= n)
			break;
		n = want;
	}
	*groups = malloc(sizeof(gid_t));
	if (!*groups)
		return -1;
	(*groups)[0] = r->gid;
	return 1;
}

int drop_privileges(const struct run_as *r)
{
	if (!r->drop)
		return 0;
	if (r->ngroups < 0 || setgroups(r->ngroups, r->groups) || setgid(r->gid) || setuid(r->uid))
		return -1;
	return 0;
}

/* ---- output ----------------------------------------------------------------- */

/*
 * Under sudo the output is created, replaced (--force) and removed with the
 * file-system identity of the user who ran sudo (setfsuid, setfsgid, their
 * groups): a path through a directory that user controls then resolves
 * exactly as it would for them, never with root's rights, so a symlink or a
 * directory swapped in cannot make root create, truncate or delete a file
 * elsewhere. The directory is held open for the removal if set-up fails.
 */
static int out_dir_fd = -1;
static char *out_name;
static gid_t *root_groups;
static int root_ngroups = -1;

static void as_invoking_user(const struct run_as *r)
{
	if (!r->sudo || r->uid == 0)
		return;
	root_ngroups = getgroups(0, NULL);
	root_groups = malloc((root_ngroups > 0 ? root_ngroups : 1) * sizeof(gid_t));
	if (!root_groups || getgroups(root_ngroups, root_groups) < 0)
		die(EXIT_FAILURE_SETUP, "cannot read this process's groups: %s", strerror(errno));
	gid_t *groups;
	int n = user_groups(r, &groups);
	if (n < 0 || setgroups(n, groups))
		die(EXIT_FAILURE_SETUP, "cannot take the groups of uid %u to create the output: %s", r->uid, strerror(errno));
	free(groups);
	setfsgid(r->gid);
	setfsuid(r->uid);
	if ((uid_t)setfsuid(-1) != r->uid || (gid_t)setfsgid(-1) != r->gid)
		die(EXIT_FAILURE_SETUP, "cannot take uid %u gid %u to create the output", r->uid, r->gid);
}

static void as_root_again(const struct run_as *r)
{
	if (!r->sudo || r->uid == 0)
		return;
	setfsuid(0);
	setfsgid(0);
	if ((uid_t)setfsuid(-1) != 0 || setgroups(root_ngroups, root_groups))
		die(EXIT_FAILURE_SETUP, "cannot return to root after creating the output: %s", strerror(errno));
	free(root_groups);
	root_groups = NULL;
}

static const struct run_as *out_owner;
static bool unnamed; /* the output is an unnamed file: nothing to remove */

/*
 * The output's directory, opened as the invoking user (whose ids stay in
 * force), and the output's name in it: refuses a directory, and an existing
 * file without --force (*exists says whether one is there).
 */
static int output_dir(const struct options *o, const struct run_as *r, char **name_out, bool *exists)
{
	char *dir_copy = strdup(o->output), *name_copy = strdup(o->output);
	if (!dir_copy || !name_copy)
		die(EXIT_FAILURE_SETUP, "out of memory");
	const char *dir = dirname(dir_copy), *name = basename(name_copy);
	if (!strcmp(name, "/") || !strcmp(name, ".") || !strcmp(name, "..") || o->output[strlen(o->output) - 1] == '/')
		die(EXIT_FAILURE_SETUP, "output is a directory: %s", o->output);
	as_invoking_user(r);
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		die(EXIT_FAILURE_SETUP, "cannot write %s: %s", o->output, strerror(errno));
	struct stat st;
	*exists = !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
	if (*exists) {
		if (!o->force)
			die(EXIT_FAILURE_SETUP, "output exists: %s (use --force to overwrite)", o->output);
		if (S_ISDIR(st.st_mode))
			die(EXIT_FAILURE_SETUP, "output is a directory: %s", o->output);
	}
	*name_out = strdup(name);
	if (!*name_out)
		die(EXIT_FAILURE_SETUP, "out of memory");
	free(dir_copy);
	free(name_copy);
	return dirfd;
}

/* Back to root; the output (in `dirfd` as `name`) is now ours to name or remove; under sudo it belongs to the user. */
static void output_made(const struct options *o, const struct run_as *r, int dirfd, char *name, int fd)
{
	as_root_again(r);
	out_dir_fd = dirfd;
	out_name = name;
	out_owner = r;
	/* --keep-root keeps the file root's, as the command's own files are */
	uid_t uid = r->drop ? r->uid : 0;
	gid_t gid = r->drop ? r->gid : 0;
	if (r->sudo && r->uid && fchown(fd, uid, gid))
		fprintf(stderr, "ptrace: warning: cannot give %s to uid %u: %s\n", o->output, uid, strerror(errno));
}

int open_output(const struct options *o, const struct run_as *r)
{
	char *name;
	bool exists;
	int dirfd = output_dir(o, r, &name, &exists);
	if (exists && unlinkat(dirfd, name, 0))
		die(EXIT_FAILURE_SETUP, "cannot replace %s: %s", o->output, strerror(errno));
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		die(EXIT_FAILURE_SETUP, "cannot write %s: %s%s", o->output, strerror(errno),
		    r->sudo && r->uid && errno == EACCES ? " (under sudo the output is created as the user who ran sudo)" : "");
	output_made(o, r, dirfd, name, fd);
	return fd;
}

/*
 * The output as unnamed files (O_TMPFILE) in its directory, created as the
 * user, for the sink: `final` gets the name once complete (name_output),
 * `scratch` never has one. Both vanish with the last descriptor, whatever
 * kills the capture.
 */
void open_output_unnamed(const struct options *o, const struct run_as *r, int *final, int *scratch)
{
	char *name;
	bool exists;
	int dirfd = output_dir(o, r, &name, &exists);
	for (int i = 0; i < 2; i++) {
		int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0)
			die(EXIT_FAILURE_SETUP, "cannot write %s: %s%s", o->output, strerror(errno),
			    errno == EOPNOTSUPP || errno == EISDIR ? " (its file system has no unnamed files, O_TMPFILE: write a plain .raw and run ptrace redact)" : "");
		*(i ? scratch : final) = fd;
	}
	unnamed = true;
	output_made(o, r, dirfd, name, *final);
}

int name_output(int fd, bool force)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	as_invoking_user(out_owner);
	int err = 0;
	if (force && unlinkat(out_dir_fd, out_name, 0) && errno != ENOENT)
		err = errno;
	if (!err && linkat(AT_FDCWD, proc, out_dir_fd, out_name, AT_SYMLINK_FOLLOW))
		err = errno;
	as_root_again(out_owner);
	return err;
}

/* Set-up failed: the half-made output goes, through the directory it was made in, as the user who made it. */
void remove_output(void)
{
	if (out_dir_fd < 0 || !out_name || unnamed)
		return;
	as_invoking_user(out_owner);
	unlinkat(out_dir_fd, out_name, 0);
	as_root_again(out_owner);
}
