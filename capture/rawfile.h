/* SPDX-License-Identifier: MIT */
/*
 * The raw-file writer (formats/FORMAT.md): header with its TLVs, records
 * buffered and written after each drain, the footer; on a write error (a
 * full disk) the file is cut after its last whole record and says so.
 * Every byte written is checksummed (crc32 per segment of records, stored in
 * the footer).
 */
#ifndef PTRACE_CAPTURE_RAWFILE_H
#define PTRACE_CAPTURE_RAWFILE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "options.h"
#include "ptrace.h"

struct writer {
	int fd;
	const char *path;
	char *buf;
	size_t len, cap;
	__u64 records;
	__u64 bytes;
	__u32 processes;
	bool failed;
	int err;
	size_t header_size;       /* 0 until the header is written */
	size_t write_stop_offset; /* file offset of the PT_TLV_WRITE_STOP value */
	__u64 start_boottime;     /* the header's start anchor, for "+N s" */
	__u32 args_limit;         /* bytes of argv, and of env, kept per process */
	/* integrity (FORMAT.md): crc32 of the header and of each segment of records */
	__u32 header_crc;
	__u32 segment_records;             /* records per segment, doubled when PT_SEGMENTS_MAX are full */
	__u32 segments;                    /* completed segments */
	__u32 segment_crc[PT_SEGMENTS_MAX];
	__u32 open_crc;                    /* crc32 of the records of the segment being filled */
	__u32 open_records;                /* records in it */
};

void out_append(struct writer *w, const void *data, size_t len);
/* Writes what is buffered; on failure, stops writing for good (see stop_writing). */
void out_flush(struct writer *w);
void out_record(struct writer *w, const struct pt_event *e);
/* The three clocks read as close together as possible. */
struct pt_clock_anchor read_anchor(void);
void write_header(struct writer *w, const struct options *o, pid_t root, struct pt_clock_anchor start,
		  __u32 ringbuf_size, bool kept_root);
/* The last record (totals, the stop anchor, how the capture ended), then a flush. */
void write_footer(struct writer *w, __u64 lost, int root_status, __u32 still_running, __u32 end_flags);

#endif /* PTRACE_CAPTURE_RAWFILE_H */
