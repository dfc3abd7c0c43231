// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "rawfile.h"
#include "util.h"

#ifndef PTRACE_VERSION
#define PTRACE_VERSION "0.0.0"
#endif

void out_append(struct writer *w, const void *data, size_t len)
{
	if (w->len + len > w->cap) {
		size_t cap = w->cap ? w->cap : 1 << 20;
		while (cap < w->len + len)
			cap *= 2;
		char *buf = realloc(w->buf, cap);
		if (!buf)
			die(EXIT_FAILURE_SETUP, "out of memory buffering %zu bytes", w->len + len);
		w->buf = buf;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

/*
 * Writing failed (a full disk): keep the file readable up to there. Cut it
 * after the last whole record, note where and why in the header's
 * PT_TLV_WRITE_STOP value (overwriting bytes already on disk needs no new
 * space), and say so at once. The command is not disturbed: the drain goes
 * on and its records are dropped.
 */
static void stop_writing(struct writer *w)
{
	if (!w->header_size)
		return; /* the header itself failed: main() refuses to run the command */
	__u64 records = w->bytes > w->header_size ? (w->bytes - w->header_size) / sizeof(struct pt_event) : 0;
	off_t whole = w->header_size + records * sizeof(struct pt_event);
	if ((__u64)whole != w->bytes && ftruncate(w->fd, whole) == 0)
		w->bytes = whole;
	struct pt_write_stop stop = {.ts = clock_ns(CLOCK_BOOTTIME), .error = w->err, .records = records};
	bool noted = pwrite(w->fd, &stop, sizeof(stop), w->write_stop_offset) == sizeof(stop);
	double after = (stop.ts - w->start_boottime) / 1e9;
	fprintf(stderr, "ptrace: %s: writing %s stopped at +%.3fs (%s) after %llu records%s; the command keeps running\n",
		w->err == ENOSPC || w->err == EDQUOT ? "disk full" : "write error", w->path, after, strerror(w->err),
		(unsigned long long)records, noted ? "" : " (the file does not say so: the header could not be updated)");
}

void out_flush(struct writer *w)
{
	size_t done = 0;
	while (done < w->len && !w->failed) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			done += n;
			w->bytes += n;
			continue;
		}
		w->failed = true;
		w->err = n < 0 ? errno : ENOSPC;
		stop_writing(w);
	}
	w->len = 0;
}

/*
 * The records are checksummed in segments of segment_records records; when
 * PT_SEGMENTS_MAX are full, neighbours are merged (crc32_combine) and the
 * segment size doubles, so the footer locates damage to 1/16–1/32 of the file.
 */
static void checksum_record(struct writer *w, const struct pt_event *e)
{
	if (!w->segment_records)
		w->segment_records = PT_SEGMENT_RECORDS_MIN;
	w->open_crc = crc32(w->open_crc, (const Bytef *)e, sizeof(*e));
	if (++w->open_records < w->segment_records)
		return;
	w->segment_crc[w->segments++] = w->open_crc;
	w->open_crc = crc32(0, Z_NULL, 0);
	w->open_records = 0;
	if (w->segments < PT_SEGMENTS_MAX)
		return;
	z_off_t half = (z_off_t)w->segment_records * sizeof(struct pt_event);
	for (__u32 i = 0; i < PT_SEGMENTS_MAX / 2; i++)
		w->segment_crc[i] = crc32_combine(w->segment_crc[2 * i], w->segment_crc[2 * i + 1], half);
	w->segments = PT_SEGMENTS_MAX / 2;
	w->segment_records *= 2;
}

void out_record(struct writer *w, const struct pt_event *e)
{
	out_append(w, e, sizeof(*e));
	checksum_record(w, e);
	w->records++;
}

/* ---- header ----------------------------------------------------------------- */

/* The three clocks read as close together as possible: the tightest of a few tries. */
struct pt_clock_anchor read_anchor(void)
{
	struct pt_clock_anchor best = {0};
	__u64 best_window = UINT64_MAX;
	for (int i = 0; i < 5; i++) {
		__u64 b1 = clock_ns(CLOCK_BOOTTIME);
		__u64 r = clock_ns(CLOCK_REALTIME);
		__u64 m = clock_ns(CLOCK_MONOTONIC);
		__u64 b2 = clock_ns(CLOCK_BOOTTIME);
		if (b2 - b1 < best_window) {
			best_window = b2 - b1;
			best = (struct pt_clock_anchor){.realtime = r, .boottime = b1 + (b2 - b1) / 2, .monotonic = m};
		}
	}
	return best;
}

static void put_tlv(struct writer *w, __u16 tag, const void *value, __u32 len)
{
	struct pt_tlv t = {.tag = tag, .len = len};
	static const char zeros[8];
	out_append(w, &t, sizeof(t));
	out_append(w, value, len);
	out_append(w, zeros, (8 - len % 8) % 8);
}

static void put_tlv_str(struct writer *w, __u16 tag, const char *s)
{
	if (s && *s)
		put_tlv(w, tag, s, strlen(s));
}

static void put_tlv_argv(struct writer *w, __u16 tag, int argc, char **argv)
{
	size_t len = 0;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *buf = malloc(len ? len : 1), *p = buf;
	for (int i = 0; i < argc; i++)
		p = stpcpy(p, argv[i]) + 1;
	put_tlv(w, tag, buf, len);
	free(buf);
}

static void read_small_file(const char *path, char *buf, size_t size)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static void os_pretty_name(char *buf, size_t size)
{
	char text[4096];
	buf[0] = 0;
	int fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = 0;
	char *line = strstr(text, "PRETTY_NAME=");
	if (!line)
		return;
	line += strlen("PRETTY_NAME=");
	if (*line == '"')
		line++;
	size_t len = strcspn(line, "\"\n");
	snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), line);
}

void write_header(struct writer *w, const struct options *o, pid_t root, struct pt_clock_anchor start,
		  __u32 ringbuf_size, bool kept_root)
{
	struct pt_file_header h = {0};
	memcpy(h.magic, PT_FILE_MAGIC, sizeof(h.magic));
	h.byte_order = PT_BYTE_ORDER_MAGIC;
	h.version_major = PT_VERSION_MAJOR;
	h.version_minor = PT_VERSION_MINOR;
	h.record_size = sizeof(struct pt_event);
	h.root_pid = root;
	h.capture_pid = getpid();
	h.options = (o->env ? PT_OPT_ENV : 0) | (o->failed_execs ? PT_OPT_FAILED_EXECS : 0) |
		    (kept_root ? PT_OPT_KEEP_ROOT : 0) | (o->files ? PT_OPT_FILES : 0) |
		    (o->io ? PT_OPT_IO : 0) | (o->sched ? PT_OPT_SCHED : 0) | (o->net ? PT_OPT_NET : 0) |
		    (o->dns ? PT_OPT_DNS : 0) | (o->dns_msg ? PT_OPT_DNS_MSG : 0) | (o->attach ? PT_OPT_ATTACH : 0);
	h.start = start;
	h.args_limit = o->args_limit;
	h.ringbuf_size = ringbuf_size;
	out_append(w, &h, sizeof(h));

	struct utsname u;
	char host[256], boot_id[64], os[256];
	uname(&u);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = 0;
	read_small_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	os_pretty_name(os, sizeof(os));
	put_tlv_str(w, PT_TLV_KERNEL_RELEASE, u.release);
	put_tlv_str(w, PT_TLV_KERNEL_VERSION, u.version);
	put_tlv_str(w, PT_TLV_HOSTNAME, host);
	put_tlv_str(w, PT_TLV_MACHINE, u.machine);
	put_tlv_str(w, PT_TLV_PTRACE_VERSION, PTRACE_VERSION);
	put_tlv_argv(w, PT_TLV_CAPTURE_ARGV, o->capture_argc, o->capture_argv);
	if (o->command) {
		int command_argc = 0;
		while (o->command[command_argc])
			command_argc++;
		put_tlv_argv(w, PT_TLV_COMMAND_ARGV, command_argc, o->command);
	}
	if (o->n_attach_pids)
		put_tlv(w, PT_TLV_ATTACH_PIDS, o->attach_pids, o->n_attach_pids * sizeof(__u32));
	if (o->cgroup)
		put_tlv_str(w, PT_TLV_ATTACH_CGROUP, o->cgroup_rel);
	put_tlv_str(w, PT_TLV_BOOT_ID, boot_id);
	put_tlv_str(w, PT_TLV_OS_RELEASE, os);
	put_tlv_str(w, PT_TLV_TRACEPARENT, getenv("TRACEPARENT"));
	struct pt_write_stop not_stopped = {0};
	w->write_stop_offset = w->bytes + w->len + sizeof(struct pt_tlv);
	put_tlv(w, PT_TLV_WRITE_STOP, &not_stopped, sizeof(not_stopped));
	put_tlv(w, PT_TLV_END, "", 0);

	struct pt_file_header *written = (struct pt_file_header *)w->buf;
	written->header_size = w->len;
	size_t header_size = w->len;
	w->header_crc = crc32(crc32(0, Z_NULL, 0), (const Bytef *)w->buf, header_size);
	w->open_crc = crc32(0, Z_NULL, 0);
	w->start_boottime = start.boottime;
	out_flush(w);
	if (!w->failed)
		w->header_size = header_size;
}

void write_footer(struct writer *w, __u64 lost, int root_status, __u32 still_running, __u32 end_flags)
{
	struct pt_event footer = {0};
	footer.head.type = PT_FOOTER;
	footer.footer.stop = read_anchor();
	footer.head.ts = footer.footer.stop.boottime;
	footer.footer.records = w->records;
	footer.footer.lost = lost;
	footer.footer.root_status = root_status;
	footer.footer.processes = w->processes;
	footer.footer.still_running = still_running;
	footer.footer.end_flags = end_flags | PT_END_CHECKSUM;
	if (!w->segment_records)
		w->segment_records = PT_SEGMENT_RECORDS_MIN;
	memcpy(footer.footer.segment_crc32, w->segment_crc, sizeof(w->segment_crc));
	footer.footer.segments = w->segments;
	if (w->open_records)
		footer.footer.segment_crc32[footer.footer.segments++] = w->open_crc;
	footer.footer.segment_records = w->segment_records;
	footer.footer.header_crc32 = w->header_crc;
	/* the whole file: header, the segments in turn, then the footer with its crc32 field zero */
	uLong crc = w->header_crc;
	for (__u32 i = 0; i < footer.footer.segments; i++) {
		__u64 n = i < w->segments ? w->segment_records : w->open_records;
		crc = crc32_combine(crc, footer.footer.segment_crc32[i], (z_off_t)(n * sizeof(struct pt_event)));
	}
	footer.footer.crc32 = crc32(crc, (const Bytef *)&footer, sizeof(footer));
	out_append(w, &footer, sizeof(footer));
	w->records++;
	out_flush(w);
}
