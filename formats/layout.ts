// Byte layout of the raw file. Every number comes from bpf/ptrace.h (the
// single definition) through formats/layout.generated.ts, which
// scripts/gen-layout.ts writes with the C compiler (npm run gen:layout;
// test/formats/layout.test.ts fails when it is stale). This file only gives the
// generated structs and enums the short names the reader uses.
//
// Payload field offsets are relative to the START OF THE RECORD (the 32-byte
// head included), so `off + FORK.child_pid` reads the field directly.

import * as G from './layout.generated.ts';

/** A field: byte offset and size. */
export interface Field {
  readonly off: number;
  readonly size: number;
  /** A signed integer (all other integer fields are unsigned). */
  readonly signed: boolean;
}

export interface Struct {
  readonly size: number;
  /** Offset of the struct in a record (payload structs and the head), else 0. */
  readonly base: number;
  readonly fields: Readonly<Record<string, Field>>;
}

/** Every struct of ptrace.h: size, place in a record, each field's offset, size and signedness. */
export const STRUCTS: Readonly<Record<string, Struct>> = G.STRUCTS;

export const FILE_MAGIC = G.PT_FILE_MAGIC;
export const BYTE_ORDER_MAGIC = G.PT_BYTE_ORDER_MAGIC;
export const VERSION_MAJOR = G.PT_VERSION_MAJOR;
export const VERSION_MINOR = G.PT_VERSION_MINOR;

export const RECORD_SIZE = G.PT_RECORD_SIZE;
export const HEAD_SIZE = G.PT_HEAD_SIZE;
export const DATA_HEAD_SIZE = G.PT_DATA_HEAD_SIZE;
export const DATA_MAX = G.PT_DATA_MAX;
export const COMM_LEN = G.PT_COMM_LEN;

export const ARGS_LIMIT_DEFAULT = G.PT_ARGS_LIMIT_DEFAULT;
export const PATH_LIMIT = G.PT_PATH_LIMIT;
export const DNS_MSG_LIMIT = G.PT_DNS_MSG_LIMIT;
export const DNS_ANSWERS = G.PT_DNS_ANSWERS;
export const HIST_BUCKETS = G.PT_HIST_BUCKETS;
/** Integrity (1.7): segments of records checksummed in the footer. */
export const SEGMENTS_MAX = G.PT_SEGMENTS_MAX;
export const SEGMENT_RECORDS_MIN = G.PT_SEGMENT_RECORDS_MIN;

/** enum pt_record_type */
export const RT = G.pt_record_type;
/** enum pt_record_flags (head.flags) */
export const F = G.pt_record_flags;
/** enum pt_data_kind */
export const DK = G.pt_data_kind;
/** enum pt_data_flags */
export const DF = G.pt_data_flags;
/** enum pt_loss_category */
export const CAT = G.pt_loss_category;
/** enum pt_end_flags (footer.end_flags) */
export const END = G.pt_end_flags;
/** enum pt_options (file header options) */
export const OPT = G.pt_options;
/** enum pt_dns_direction (pt_dns_msg.direction) */
export const DNSD = G.pt_dns_direction;
/** enum pt_tcp_event (pt_tcp.event) */
export const TCPE = G.pt_tcp_event;
/** enum pt_tcp_role (pt_tcp.role) */
export const TCPR = G.pt_tcp_role;
/** enum pt_hist_kind (pt_hist.kind) */
export const HK = G.pt_hist_kind;
/** enum pt_tlv_tag */
export const TLV = G.pt_tlv_tag;

/** struct pt_head, at the start of every record. */
export const HEAD = G.pt_head;
/** Payload structs: offsets from the record start. */
export const FORK = G.pt_fork;
export const THREAD = G.pt_thread;
export const EXEC = G.pt_exec;
export const EXEC_FAILED = G.pt_exec_failed;
export const EXIT = G.pt_exit;
export const OPEN = G.pt_open;
export const HIST = G.pt_hist;
export const TCP = G.pt_tcp;
export const DNS = G.pt_dns;
export const DNS_MSG = G.pt_dns_msg;
export const ATTACHED = G.pt_attached;
export const CGROUP = G.pt_cgroup;
/** struct pt_container, offsets inside the struct (add FORK.child_container, EXEC.container or ATTACHED.container). */
export const CONTAINER = G.pt_container;
/** enum pt_attach_reason (pt_attached.reason) */
export const ATTACH_REASON = G.pt_attach_reason;
export const DATA = G.pt_data;
export const LOSS = G.pt_loss;
export const FOOTER = G.pt_footer;

/** struct pt_rusage, offsets inside the struct (add EXIT.rusage for a record offset). */
export const RUSAGE = G.pt_rusage;
export const RUSAGE_SIZE = G.STRUCTS.pt_rusage.size;
/** struct pt_clock_anchor, offsets inside the anchor. */
export const ANCHOR = G.pt_clock_anchor;
/** struct pt_file_header, offsets from the file start. */
export const FILE_HEADER = G.pt_file_header;
export const FILE_HEADER_SIZE = G.STRUCTS.pt_file_header.size;
/** struct pt_tlv, offsets inside one TLV. */
export const TLV_HEAD = G.pt_tlv;
export const TLV_HEAD_SIZE = G.STRUCTS.pt_tlv.size;
/** struct pt_write_stop: the value of PT_TLV_WRITE_STOP (format 1.5). */
export const WRITE_STOP = G.pt_write_stop;
export const WRITE_STOP_SIZE = G.STRUCTS.pt_write_stop.size;
/** struct pt_redaction: the fixed part of the value of PT_TLV_REDACTION (format 1.7). */
export const REDACTION = G.pt_redaction;
export const REDACTION_SIZE = G.STRUCTS.pt_redaction.size;
/** enum pt_redaction_flags */
export const REDACT = G.pt_redaction_flags;

/** Lower-case record type names, as used in Capture.recordCounts. */
export const RECORD_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RT).map(([name, type]) => [type, name.toLowerCase()]),
);
