// SPDX-License-Identifier: MIT
/*
 * The sink: with --redact, or an output named .gz or .zst, the raw records
 * never reach the disk as such. The tool writes them into a pipe read by a
 * Node process started beside the command (never between the caller and the
 * command: the command is still the tool's own child, exec'd directly):
 * bin/capture-sink.ts, which redacts and/or compresses into an unnamed file
 * (O_TMPFILE) in the output's directory. Only once the sink has finished
 * does the tool give that file its name (linkat), so a capture killed at any
 * point leaves no file, temporary or not, and no unredacted byte on disk.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privileges.h"
#include "sink.h"
#include "util.h"

bool sink_wanted(const struct options *o)
{
	size_t n = strlen(o->output);
	return o->redact || (n > 3 && !strcmp(o->output + n - 3, ".gz")) || (n > 4 && !strcmp(o->output + n - 4, ".zst"));
}

static const char *compression_of(const char *path)
{
	size_t n = strlen(path);
	if (n > 3 && !strcmp(path + n - 3, ".gz"))
		return "gzip";
	if (n > 4 && !strcmp(path + n - 4, ".zst"))
		return "zstd";
	return "none";
}

/* bin/capture-sink.ts of the clone or dist/bin/capture-sink.js of the package this tool belongs to, or PTRACE_SINK_SCRIPT. */
static void sink_script(char *buf, size_t size)
{
	const char *env = getenv("PTRACE_SINK_SCRIPT");
	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		die(EXIT_FAILURE_SETUP, "cannot find this tool's own path: %s", strerror(errno));
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	/* a clone: capture/build/ptrace-capture and its TypeScript; a package: prebuilt/ARCH/ptrace-capture and dist/ */
	snprintf(buf, size, "%s/../../bin/capture-sink.ts", exe);
	if (access(buf, R_OK))
		snprintf(buf, size, "%s/../../dist/bin/capture-sink.js", exe);
}

/*
 * The `ptrace capture` CLI execs this tool with PTRACE_CLI_NODE set to its own
 * Node.js, so that the sink runs the same one, not whichever `node` comes
 * first on root's PATH. It is taken out of the environment before anything
 * else: the traced command gets the caller's environment exactly.
 */
void take_cli_node(struct options *o)
{
	const char *node = getenv("PTRACE_CLI_NODE");
	if (node && *node) {
		o->cli_node = strdup(node);
		if (!o->cli_node)
			die(EXIT_FAILURE_SETUP, "out of memory");
	}
	unsetenv("PTRACE_CLI_NODE");
}

/* PTRACE_NODE (the caller's explicit choice), else the Node.js that ran `ptrace capture`, else `node` along PATH. */
static void node_binary(const struct options *o, char *buf, size_t size)
{
	const char *env = getenv("PTRACE_NODE");
	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	if (o->cli_node) {
		snprintf(buf, size, "%s", o->cli_node);
		return;
	}
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		snprintf(buf, size, "%.*s/node", (int)len, p);
		if (len && !access(buf, X_OK))
			return;
		p += len + (p[len] == ':');
	}
	die(EXIT_USAGE, "%s needs Node.js to redact or compress: none on PATH (set PTRACE_NODE)",
	    "ptrace capture");
}

void check_sink(const struct options *o)
{
	char node[PATH_MAX], script[PATH_MAX];
	node_binary(o, node, sizeof(node));
	sink_script(script, sizeof(script));
	if (access(script, R_OK))
		die(EXIT_FAILURE_SETUP, "cannot find the capture sink %s: %s", script, strerror(errno));
	(void)o;
}

int start_sink(struct sink *s, const struct options *o, const struct run_as *r)
{
	char node[PATH_MAX], script[PATH_MAX];
	node_binary(o, node, sizeof(node));
	sink_script(script, sizeof(script));
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		die(EXIT_FAILURE_SETUP, "cannot make the sink's pipe: %s", strerror(errno));
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* room for a drain's records while the sink works */

	const char *argv[64];
	int n = 0;
	argv[n++] = node;
	argv[n++] = script;
	argv[n++] = "--compress";
	argv[n++] = compression_of(o->output);
	argv[n++] = "--name";
	argv[n++] = o->output;
	if (o->quiet)
		argv[n++] = "--quiet";
	if (o->redact) {
		argv[n++] = "--redact";
		if (o->anonymize_paths)
			argv[n++] = "--anonymize-paths";
		if (o->rules) {
			argv[n++] = "--rules";
			argv[n++] = o->rules;
		}
		for (int i = 0; i < o->nkeep && n < 60; i++) {
			argv[n++] = "--keep";
			argv[n++] = o->keep[i];
		}
	}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		die(EXIT_FAILURE_SETUP, "cannot start the sink: %s", strerror(errno));
	if (pid == 0) {
		/* its own session: a Ctrl-C at the terminal goes to the command, not to the file being written */
		setsid();
		/* stdin the records, stdout nothing, stderr the caller's; 3 and 4 the files; none of the caller's other descriptors */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		/* moved above the targets first, so that no dup2 overwrites a source or is a no-op keeping O_CLOEXEC */
		int in = fcntl(p[0], F_DUPFD_CLOEXEC, 10), final = fcntl(s->final_fd, F_DUPFD_CLOEXEC, 10),
		    scratch = fcntl(s->scratch_fd, F_DUPFD_CLOEXEC, 10);
		if (null < 0 || in < 0 || final < 0 || scratch < 0 || dup2(in, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(final, 3) < 0 || dup2(scratch, 4) < 0)
			_exit(127);
		close_range(5, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		if (r->sudo && r->uid && drop_privileges(&(struct run_as){.drop = true, .uid = r->uid, .gid = r->gid,
									    .ngroups = r->ngroups, .groups = r->groups}))
			_exit(126);
		execv(node, (char **)argv);
		fprintf(stderr, "ptrace: cannot run %s: %s\n", node, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	s->pid = pid;
	return p[1];
}

int finish_sink(struct sink *s)
{
	int status = 0;
	while (waitpid(s->pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
