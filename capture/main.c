// SPDX-License-Identifier: MIT
/*
 * ptrace-capture: runs a command under the BPF programs of bpf/ptrace.bpf.c
 * and writes every record of its process tree to a raw file
 * (formats/FORMAT.md). Usually started by `ptrace capture`.
 *
 * Order of work: note the caller's process state, check privileges and
 * output, fork the command (it waits on a pipe), load and attach BPF,
 * register it in the traced map, write the header (if that fails, the
 * command never runs), release it, then drain the ring buffer on a timer
 * until the command exits. Records are written as they are drained, so a
 * crash loses at most one drain interval; a full disk stops the writing, not
 * the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "command.h"
#include "connections.h"
#include "drain.h"
#include "libc.h"
#include "options.h"
#include "privileges.h"
#include "programs.h"
#include "ptrace.h"
#include "skel.h"
#include "rawfile.h"
#include "sink.h"
#include "util.h"

#define DRAIN_INTERVAL_MS 50

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptrace-capture -o FILE [options] -- command [args...]\n"
		"       ptrace-capture -o FILE [options] --pid PID [--pid PID...]\n"
		"       ptrace-capture -o FILE [options] --cgroup PATH\n"
		"  -o, --output FILE     raw file to write (created 0600; under sudo, as the invoking user)\n"
		"  -f, --force           overwrite FILE if it exists\n"
		"      --keep-root       under sudo, run the command as root instead of SUDO_UID\n"
		"      --wait-all        after the command exits, wait for all its descendants\n"
		"      --pid PID         trace this running process, its descendants and their new ones (repeatable)\n"
		"      --cgroup PATH     trace every process of this cgroup v2 and its descendants, and those joining it\n"
		"      --duration D      stop an attached capture after D (500ms, 10s, 5m, 1h; a number: seconds)\n"
		"      --no-env          do not record environments\n"
		"      --no-failed-execs do not hook execve exits (no record of failed exec attempts)\n"
		"      --no-files        do not record file opens\n"
		"      --no-net          do not record TCP connections\n"
		"      --no-dns          do not record name lookups (getaddrinfo() calls, UDP port 53 messages)\n"
		"      --io              read/write/fsync latency histograms per process\n"
		"      --sched           off-CPU (blocked) time histograms per process\n"
		"      --buffer-mb N     ring buffer size in MiB, a power of two (default 32)\n"
		"      --args-limit N    bytes of argv and of env kept per exec (default %u, min 131072)\n"
		"      --redact          write only a redacted file (secrets replaced, README \"Sharing a capture\"):\n"
		"                        the records go through a pipe to a Node process that redacts them\n"
		"      --keep NAME       with --redact: an environment variable kept as it is (repeatable)\n"
		"      --anonymize-paths with --redact: home directories and user names replaced\n"
		"      --rules FILE      with --redact: a rules file extending the built-in rules\n"
		"  -q, --quiet           no summary line\n"
		"An output named .gz or .zst is compressed by the same Node process; nothing\n"
		"is named until it is complete (a killed capture leaves no file).\n",
		PT_ARGS_LIMIT_DEFAULT);
}

static __u32 parse_u32(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX)
		die(EXIT_USAGE, "%s expects a whole number, got \"%s\"", flag, s);
	return (__u32)v;
}

/* 500ms, 10s, 5m, 1h, or a number of seconds */
static __u64 parse_duration(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double unit = !strcmp(end, "ms") ? 1e6 : !strcmp(end, "s") || !*end ? 1e9 : !strcmp(end, "m") ? 60e9 : !strcmp(end, "h") ? 3600e9 : 0;
	if (errno || end == s || !unit || !(v > 0) || v * unit > 1e18)
		die(EXIT_USAGE, "--duration expects a positive time such as 500ms, 10s, 5m or 1h, got \"%s\"", s);
	return (__u64)(v * unit);
}

static void add_attach_pid(struct options *o, const char *s)
{
	__u32 pid = parse_u32("--pid", s);
	if (!pid)
		die(EXIT_USAGE, "--pid expects a process id, got \"%s\"", s);
	if (o->n_attach_pids == 1024)
		die(EXIT_USAGE, "--pid: at most 1024 processes");
	__u32 *pids = realloc(o->attach_pids, (o->n_attach_pids + 1) * sizeof(*pids));
	if (!pids)
		die(EXIT_FAILURE_SETUP, "out of memory");
	pids[o->n_attach_pids++] = pid;
	o->attach_pids = pids;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_KEEP_ROOT = 256, OPT_WAIT_ALL, OPT_NO_ENV, OPT_NO_FAILED, OPT_BUFFER, OPT_ARGS, OPT_NO_FILES, OPT_IO, OPT_SCHED, OPT_NO_NET, OPT_NO_DNS, OPT_REDACT, OPT_KEEP, OPT_ANON, OPT_RULES, OPT_PID, OPT_CGROUP, OPT_DURATION };
	static const struct option longopts[] = {
		{"output", required_argument, 0, 'o'},
		{"force", no_argument, 0, 'f'},
		{"keep-root", no_argument, 0, OPT_KEEP_ROOT},
		{"wait-all", no_argument, 0, OPT_WAIT_ALL},
		{"no-env", no_argument, 0, OPT_NO_ENV},
		{"no-failed-execs", no_argument, 0, OPT_NO_FAILED},
		{"no-files", no_argument, 0, OPT_NO_FILES},
		{"no-net", no_argument, 0, OPT_NO_NET},
		{"no-dns", no_argument, 0, OPT_NO_DNS},
		{"io", no_argument, 0, OPT_IO},
		{"sched", no_argument, 0, OPT_SCHED},
		{"buffer-mb", required_argument, 0, OPT_BUFFER},
		{"args-limit", required_argument, 0, OPT_ARGS},
		{"pid", required_argument, 0, OPT_PID},
		{"cgroup", required_argument, 0, OPT_CGROUP},
		{"duration", required_argument, 0, OPT_DURATION},
		{"quiet", no_argument, 0, 'q'},
		{"redact", no_argument, 0, OPT_REDACT},
		{"keep", required_argument, 0, OPT_KEEP},
		{"anonymize-paths", no_argument, 0, OPT_ANON},
		{"rules", required_argument, 0, OPT_RULES},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	*o = (struct options){.env = true, .failed_execs = true, .files = true, .net = true, .dns = true, .dns_msg = true,
			      .buffer_mb = 32,
			      .args_limit = PT_ARGS_LIMIT_DEFAULT, .capture_argc = argc, .capture_argv = argv};
	int c;
	const char *last_value = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:fqh", longopts, NULL)) != -1) {
		last_value = optarg;
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'f': o->force = true; break;
		case 'q': o->quiet = true; break;
		case OPT_KEEP_ROOT: o->keep_root = true; break;
		case OPT_WAIT_ALL: o->wait_all = true; break;
		case OPT_NO_ENV: o->env = false; break;
		case OPT_NO_FAILED: o->failed_execs = false; break;
		case OPT_NO_FILES: o->files = false; break;
		case OPT_NO_NET: o->net = false; break;
		case OPT_NO_DNS: o->dns = o->dns_msg = false; break;
		case OPT_IO: o->io = true; break;
		case OPT_SCHED: o->sched = true; break;
		case OPT_BUFFER: o->buffer_mb = parse_u32("--buffer-mb", optarg); break;
		case OPT_ARGS: o->args_limit = parse_u32("--args-limit", optarg); break;
		case OPT_REDACT: o->redact = true; break;
		case OPT_ANON: o->anonymize_paths = true; break;
		case OPT_RULES: o->rules = optarg; break;
		case OPT_KEEP:
			o->keep = realloc(o->keep, (o->nkeep + 1) * sizeof(*o->keep));
			if (!o->keep)
				die(EXIT_FAILURE_SETUP, "out of memory");
			o->keep[o->nkeep++] = optarg;
			break;
		case OPT_PID: add_attach_pid(o, optarg); break;
		case OPT_CGROUP:
			if (o->cgroup)
				die(EXIT_USAGE, "--cgroup given twice: one cgroup per capture");
			o->cgroup = optarg;
			break;
		case OPT_DURATION: o->duration_ns = parse_duration(optarg); break;
		case 'h': usage(stdout); exit(0);
		default:
			die(EXIT_USAGE, "unknown or incomplete option \"%s\" (see --help)", argv[optind - 1]);
		}
	}
	if (!o->output)
		die(EXIT_USAGE, "missing -o FILE: where to write the capture");
	if (!o->redact && (o->nkeep || o->rules || o->anonymize_paths))
		die(EXIT_USAGE, "--keep, --rules and --anonymize-paths go with --redact");
	o->attach = o->n_attach_pids || o->cgroup;
	if (o->attach) {
		if (o->n_attach_pids && o->cgroup)
			die(EXIT_USAGE, "--pid and --cgroup exclude each other: give one");
		bool dashes = optind >= 2 && !strcmp(argv[optind - 1], "--") && argv[optind - 1] != last_value;
		if (optind < argc || dashes)
			die(EXIT_USAGE, "%s traces running processes: no command is run (remove what follows the options)",
			    o->cgroup ? "--cgroup" : "--pid");
		if (o->keep_root || o->wait_all)
			die(EXIT_USAGE, "%s: an attached capture runs no command and always waits for every traced process",
			    o->keep_root ? "--keep-root" : "--wait-all");
	} else if (o->duration_ns) {
		die(EXIT_USAGE, "--duration stops a capture of running processes (--pid, --cgroup); a command's capture ends with it");
	}
	if (!o->attach) {
		/* the options end at the first `--` (not one given as an option's value); the command is what follows */
		if (optind < 2 || strcmp(argv[optind - 1], "--") || argv[optind - 1] == last_value)
			die(EXIT_USAGE, "missing `--` before the command: ptrace capture -o FILE [FLAGS] -- COMMAND [ARGS...]");
		if (optind >= argc)
			die(EXIT_USAGE, "missing command after `--`");
		o->command = &argv[optind];
	}
	if (o->buffer_mb < 1 || o->buffer_mb > 1024 || (o->buffer_mb & (o->buffer_mb - 1)))
		die(EXIT_USAGE, "--buffer-mb expects a power of two from 1 to 1024, got %u", o->buffer_mb);
	if (o->args_limit < 131072 || o->args_limit > 16 * 1024 * 1024)
		die(EXIT_USAGE, "--args-limit expects 131072 to 16777216 bytes, got %u", o->args_limit);
}

static void human_size(__u64 bytes, char *buf, size_t size)
{
	if (bytes < 1024)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, size, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
}

/*
 * Unloading the programs waits for RCU grace periods (~0.3 s). A detached
 * child holding the only other references does it, so the capture exits as
 * soon as the file is complete; it owns no stdio, so pipes close right away.
 */
static void release_in_background(struct ptrace_bpf *skel, struct ring_buffer *rb)
{
	int parent_alive[2];
	if (pipe(parent_alive))
		parent_alive[0] = parent_alive[1] = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		setsid();
		/* hold the references until the parent is gone, or its exit would do the slow release */
		close(parent_alive[1]);
		char c;
		while (read(parent_alive[0], &c, 1) < 0 && errno == EINTR)
			;
		ring_buffer__free(rb);
		ptrace_bpf__destroy(skel);
		_exit(0);
	}
	if (pid < 0) {
		ring_buffer__free(rb);
		ptrace_bpf__destroy(skel);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct writer out = {.fd = -1};
	read_caller_state();
	parse_options(argc, argv, &o);
	take_cli_node(&o);
	check_privileges();
	check_btf();
	struct run_as run_as = sudo_user(o.keep_root);
	if (o.attach)
		resolve_attach_targets(&o);
	struct sink sink = {.pid = -1, .final_fd = -1, .scratch_fd = -1};
	bool use_sink = sink_wanted(&o);
	if (use_sink) {
		check_sink(&o);
		open_output_unnamed(&o, &run_as, &sink.final_fd, &sink.scratch_fd);
	} else {
		out.fd = open_output(&o, &run_as);
	}
	out.path = o.output;
	out.args_limit = o.args_limit;
	/* Forked before the BPF work so the command does not inherit (and report as its
	 * pre-exec max RSS) the memory libbpf uses to parse the kernel's BTF. It waits on
	 * a pipe until it is registered; if we die first, it sees EOF and exits 126. */
	int release_fd = -1;
	pid_t child = o.attach ? 0 : start_command(o.command, &run_as, &release_fd);
	if (use_sink) { /* started after the command: it holds none of the sink's descriptors */
		signal(SIGPIPE, SIG_IGN); /* a sink that died is a write error, said once */
		out.fd = start_sink(&sink, &o, &run_as);
	}

	libbpf_set_print(libbpf_message);
	if (o.failed_execs || o.files || o.io)
		ensure_tracefs();

	__u64 t_open = clock_ns(CLOCK_MONOTONIC);
	struct ptrace_bpf *skel = ptrace_bpf__open();
	if (!skel) {
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot open the BPF object: %s", strerror(errno));
	}
	skel->rodata->args_limit = o.args_limit;
	skel->rodata->capture_env = o.env;
	__u32 ringbuf_size = o.buffer_mb * 1024 * 1024;
	bpf_map__set_max_entries(skel->maps.events, ringbuf_size);
	skel->rodata->capture_hist = o.io || o.sched;
	skel->rodata->page_kb = getpagesize() / 1024;
	select_programs(skel, &o);
	configure_attach(skel, &o);
	int err = ptrace_bpf__load(skel);
	if (!err)
		err = ptrace_bpf__attach(skel);
	if (err) {
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot load or attach the BPF programs: %s", strerror(-err));
	}
	if (o.dns && attach_dns(skel, o.quiet))
		o.dns = false; /* the header then says lookups were not recorded */
	if (getenv("PTRACE_TIMING"))
		fprintf(stderr, "ptrace: BPF open+load+attach %.1f ms\n", (clock_ns(CLOCK_MONOTONIC) - t_open) / 1e6);
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &out, NULL);
	if (!rb) {
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot open the ring buffer: %s", strerror(errno));
	}
	int traced_fd = bpf_map__fd(skel->maps.traced);
	int losses_fd = bpf_map__fd(skel->maps.losses);

	if (o.attach) {
		register_attach_roots(skel, &o);
		install_stop_handlers();
	} else {
		install_signal_handlers();
	}
	struct pt_clock_anchor start = read_anchor();
	if (!o.attach) {
		__u32 key = child;
		__u64 unknown_start = 0;
		if (bpf_map_update_elem(traced_fd, &key, &unknown_start, BPF_ANY)) {
			kill(child, SIGKILL);
			remove_output();
			die(EXIT_FAILURE_SETUP, "cannot register the command in the traced map: %s", strerror(errno));
		}
		skel->bss->live = 1;
		skel->bss->root_tgid = child;
		out.processes = 1;
	}
	skel->bss->capture_tgid = getpid();
	write_header(&out, &o, child, start, ringbuf_size, run_as.kept_root);
	if (out.failed) { /* the command never runs: closing the gate makes it exit 126 before its exec */
		remove_output();
		die(EXIT_FAILURE_SETUP, "cannot write the header of %s: %s", o.output, strerror(out.err));
	}
	if (o.attach) {
		walk_running_processes(skel);
	} else {
		if (write(release_fd, "x", 1) != 1)
			die(EXIT_FAILURE_SETUP, "cannot release the command: %s", strerror(errno));
		close(release_fd);
	}

	int status = 0;
	bool root_done = false;
	__u64 lost = 0;
	__u32 end_flags = o.wait_all ? PT_END_WAITED_ALL : 0;
	for (;;) {
		lost = drain_once(&out, rb, losses_fd, DRAIN_INTERVAL_MS);
		scan_exec_libcs();
		if (o.attach) {
			/* never forwarded: the traced processes are not the capture's */
			if (stop_requested())
				end_flags |= PT_END_INTERRUPTED;
			else if (o.duration_ns && clock_ns(CLOCK_BOOTTIME) - start.boottime >= o.duration_ns)
				end_flags |= PT_END_DURATION;
			else if (o.cgroup ? !target_cgroup_removed(&o) : __atomic_load_n(&skel->bss->live, __ATOMIC_SEQ_CST) > 0)
				continue;
			break;
		}
		if (!root_done) /* once reaped, its pid may belong to someone else */
			forward_signals(skel, child);
		if (!root_done) {
			pid_t w = waitpid(child, &status, WNOHANG);
			if (w == child)
				root_done = true;
		}
		if (root_done && (!o.wait_all || capture_interrupted() || __atomic_load_n(&skel->bss->live, __ATOMIC_SEQ_CST) <= 0))
			break;
	}

	stop_libc_scans();
	linger_for_connections(&out, skel, rb, losses_fd);
	/* Stop the programs first so the traced map is a consistent snapshot of what still runs. */
	skel->bss->stopped = 1;
	__sync_synchronize();
	usleep(2000); /* let programs that passed the check before it finish their records */
	ring_buffer__consume(rb);
	lost = flush_losses(&out, losses_fd);
	write_connections_at_stop(&out, skel);
	__u32 still_running = write_still_running(&out, traced_fd);

	write_footer(&out, lost, status, still_running, end_flags | (command_signalled() ? PT_END_SIGNALLED : 0));
	if (!out.failed && close(out.fd)) {
		out.failed = true, out.err = errno;
		fprintf(stderr, "ptrace: closing %s failed: %s; its last records may be missing\n", o.output, strerror(out.err));
	}

	int code = o.attach ? 0 : WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	__u64 written = out.bytes;
	if (use_sink) {
		int err = finish_sink(&sink) ? -1 : name_output(sink.final_fd, o.force);
		if (err) {
			fprintf(stderr, "ptrace: %s was not written: %s\n", o.output,
				err < 0 ? "the redaction or compression failed (said above)" : strerror(err));
			return code;
		}
		struct stat st;
		written = fstat(sink.final_fd, &st) ? 0 : (__u64)st.st_size;
		close(sink.final_fd);
		close(sink.scratch_fd);
	}
	if (out.failed)
		return code; /* said when it happened; the command's own result stands */
	if (!o.quiet) {
		char size[32], raw[32];
		human_size(written, size, sizeof(size));
		human_size(out.bytes, raw, sizeof(raw));
		if (use_sink && written != out.bytes)
			fprintf(stderr, "ptrace: %u processes, %llu records, %llu lost, %s%s written to %s (%s captured)\n", out.processes,
				(unsigned long long)out.records - 1, (unsigned long long)lost, size, o.redact ? " redacted" : "", o.output, raw);
		else
			fprintf(stderr, "ptrace: %u processes, %llu records, %llu lost, %s%s written to %s\n", out.processes,
				(unsigned long long)out.records - 1, (unsigned long long)lost, size, o.redact ? " redacted" : "", o.output);
	}
	release_in_background(skel, rb);
	return code;
}
