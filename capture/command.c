// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "signals.h"
#include "util.h"

static volatile sig_atomic_t forward_pending[65];
static volatile __u64 forward_arrived[65]; /* CLOCK_BOOTTIME ns the handler ran */
static volatile sig_atomic_t signalled;
static volatile sig_atomic_t interrupted;

/* ---- the caller's process state ---------------------------------------------- */

/*
 * What the command must inherit as if run without ptrace: the ignored
 * signals, the signal mask and the open-files soft limit, as this tool got
 * them (the `ptrace` launcher is a shell that execs it: nothing changes
 * them before). Read before the tool installs its own handlers.
 */
struct caller_state {
	__u64 ignored;
	__u64 blocked;
	rlim_t nofile;
};

static struct caller_state caller;

void read_caller_state(void)
{
	sigset_t mask;
	struct rlimit rl;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	getrlimit(RLIMIT_NOFILE, &rl);
	caller.nofile = rl.rlim_cur;
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction sa;
		if (!sigaction(sig, NULL, &sa) && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
			caller.ignored |= 1ULL << (sig - 1);
		if (sigismember(&mask, sig) == 1)
			caller.blocked |= 1ULL << (sig - 1);
	}
}

static bool caller_ignores(int sig)
{
	return (caller.ignored >> (sig - 1)) & 1;
}

/* In the command's process, just before its exec (async-signal-safe calls only). */
static void restore_caller_state(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		struct sigaction sa = {0};
		sa.sa_handler = caller_ignores(sig) ? SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL); /* fails harmlessly for the C library's internal signals */
	}
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != caller.nofile) {
		rl.rlim_cur = caller.nofile;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigset_t mask;
	sigemptyset(&mask);
	for (int sig = 1; sig <= 64; sig++)
		if ((caller.blocked >> (sig - 1)) & 1)
			sigaddset(&mask, sig);
	sigprocmask(SIG_SETMASK, &mask, NULL);
}

/*
 * execvp() without its failed attempts: execvp tries execve() in each PATH
 * directory in turn, and the BPF programs would record every miss as a
 * failed exec of the user's command. Here each candidate is checked with
 * stat() and access() first, and only one that would run is exec'd. Same
 * rules as glibc: a name with a slash is used as is; PATH unset means
 * /bin:/usr/bin; an empty entry is the current directory; a directory or a
 * file without execute permission is skipped but makes the final error
 * EACCES; ENOEXEC (no #! line, not a binary) runs the file with /bin/sh.
 * When nothing qualifies, the first candidate (the first denied one for
 * EACCES) is exec'd anyway: the command's real failure is recorded once.
 * Returns the errno to report.
 */
static int exec_file(const char *path, char **argv)
{
	execve(path, argv, environ);
	int err = errno;
	if (err != ENOEXEC)
		return err;
	int argc = 0;
	while (argv[argc])
		argc++;
	char **sh_argv = calloc(argc + 2, sizeof(*sh_argv));
	if (!sh_argv)
		return ENOMEM;
	sh_argv[0] = "sh";
	sh_argv[1] = (char *)path;
	for (int i = 1; i <= argc; i++)
		sh_argv[i + 1] = argv[i];
	execve("/bin/sh", sh_argv, environ);
	free(sh_argv);
	return ENOEXEC;
}

static int exec_command(char **argv)
{
	const char *name = argv[0];
	if (!*name)
		return ENOENT;
	if (strchr(name, '/'))
		return exec_file(name, argv);
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	size_t name_len = strlen(name);
	bool denied = false, attempted = false;
	int last_err = ENOENT;
	char first[PATH_MAX] = "", first_denied[PATH_MAX] = "";
	for (const char *dir = path;; dir++) {
		const char *colon = strchrnul(dir, ':');
		size_t dir_len = colon - dir;
		char candidate[PATH_MAX];
		if (dir_len + 1 + name_len + 1 > sizeof(candidate)) {
			/* execve would fail with ENAMETOOLONG: glibc skips such an entry */
		} else {
			if (dir_len)
				memcpy(candidate, dir, dir_len);
			else
				candidate[0] = '.', dir_len = 1;
			candidate[dir_len] = '/';
			memcpy(candidate + dir_len + 1, name, name_len + 1);
			if (!first[0])
				memcpy(first, candidate, sizeof(candidate));
			struct stat st;
			if (stat(candidate, &st)) {
				if (errno == EACCES) {
					if (!denied)
						memcpy(first_denied, candidate, sizeof(candidate));
					denied = true;
				} else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV &&
					 errno != ETIMEDOUT)
					return errno;
			} else if (!S_ISREG(st.st_mode) || access(candidate, X_OK)) {
				if (!denied)
					memcpy(first_denied, candidate, sizeof(candidate));
				denied = true;
			} else {
				int err = exec_file(candidate, argv);
				attempted = true, last_err = err;
				if (err == EACCES)
					denied = true;
				else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV && err != ETIMEDOUT)
					return err;
			}
		}
		if (!*colon)
			break;
		dir = colon;
	}
	if (attempted) /* a file that looked runnable failed (a missing #! interpreter): that failure is recorded */
		return denied ? EACCES : last_err;
	const char *shown = first_denied[0] ? first_denied : first;
	if (shown[0])
		return exec_file(shown, argv);
	return denied ? EACCES : ENOENT;
}

/* ---- signals ------------------------------------------------------------------- */

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	interrupted = 1; /* ends a --wait-all wait for daemons */
	/* Terminal-generated signals (SI_KERNEL) already reached the command, which is in our process group. */
	if (info->si_code == SI_KERNEL)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	forward_arrived[sig] = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	forward_pending[sig] = 1;
}

static void on_child(int sig)
{
	(void)sig;
}

void install_signal_handlers(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	/* a signal the caller ignores is ignored by the command too: nothing to forward (nohup) */
	static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], caller_ignores(forwarded[i]) ? &(struct sigaction){.sa_handler = SIG_IGN} : &sa, NULL);
	/* a no-op handler, without SA_RESTART, so the command's exit interrupts the drain wait */
	struct sigaction chld = {0};
	chld.sa_handler = on_child;
	sigemptyset(&chld.sa_mask);
	sigaction(SIGCHLD, &chld, NULL);
}

/*
 * One kill() reaches every member of a process group within microseconds; a
 * relay of the same signal (sudo passes on what reached it) follows the
 * root's copy, within milliseconds on an idle machine but much later on a
 * loaded one. A signal the root got up to this long before the capture's,
 * or just after it, is the one it already has.
 */
#define RELAY_DELAY_NS 1000000000ULL
/* A signal is decided this long after it arrived, when the kill() that sent it has surely reached everyone. */
#define SETTLE_NS 2000000ULL

/* Whether the root got this signal itself, from anyone but the capture, when the capture got it (recorded by BPF). */
static bool root_got_it_too(const struct ptrace_bpf *skel, int sig)
{
	struct pt_signal_seen root = skel->bss->root_signals[sig], capture = skel->bss->capture_signals[sig];
	if (!root.ts || !capture.ts)
		return false;
	if (root.ts > capture.ts)
		return root.ts - capture.ts < SETTLE_NS;
	return capture.ts - root.ts < RELAY_DELAY_NS;
}

/* Forwards what was sent to the capture alone; a signal to the process group already reached the command. */
void forward_signals(const struct ptrace_bpf *skel, pid_t child)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	__u64 now = clock_ns(CLOCK_BOOTTIME);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int sig = sigs[i];
		if (!forward_pending[sig] || now - forward_arrived[sig] < SETTLE_NS)
			continue;
		forward_pending[sig] = 0;
		if (root_got_it_too(skel, sig))
			continue;
		kill(child, sig);
		signalled = 1;
	}
}

/* ---- the command ---------------------------------------------------------------- */

pid_t start_command(char **command, const struct run_as *r, int *release_fd)
{
	int gate[2];
	if (pipe2(gate, O_CLOEXEC))
		die(EXIT_FAILURE_SETUP, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die(EXIT_FAILURE_SETUP, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(gate[1]);
		char go;
		if (read(gate[0], &go, 1) != 1)
			_exit(126); /* the capture gave up before releasing us */
		close(gate[0]);
		if (drop_privileges(r)) {
			fprintf(stderr, "ptrace: cannot switch to uid %u gid %u: %s\n", r->uid, r->gid, strerror(errno));
			_exit(126);
		}
		restore_caller_state();
		int err = exec_command(command);
		fprintf(stderr, "ptrace: %s: %s\n", command[0], err == ENOENT ? "command not found" : strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	close(gate[0]);
	*release_fd = gate[1];
	return pid;
}

bool command_signalled(void)
{
	return signalled;
}

bool capture_interrupted(void)
{
	return interrupted;
}
