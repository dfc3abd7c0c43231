/*
 * Prints, as JSON, what the C compiler makes of bpf/ptrace.h: every struct's
 * size, every field's offset and size (payload fields relative to the record
 * start, through struct pt_event), and every enum and #define value.
 * test/layout.test.ts compiles and runs this and compares with formats/layout.ts.
 */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../../bpf/ptrace.h"

static int first;

#define SIZEOF_MEMBER(T, m) sizeof(((T *)0)->m)
#define IS_SIGNED(T, m) (((__typeof__(((T *)0)->m))-1 > (__typeof__(((T *)0)->m))0) ? 0 : 1)

static void begin_struct(const char *name, size_t size, size_t base)
{
	printf("%s\n    \"%s\": { \"size\": %zu, \"base\": %zu, \"fields\": {", first ? "" : ",", name, size, base);
	first = 0;
}

static int first_field;
static void field(const char *name, size_t off, size_t size, int is_signed)
{
	printf("%s\n      \"%s\": { \"off\": %zu, \"size\": %zu, \"signed\": %s }", first_field ? "" : ",", name, off, size,
	       is_signed ? "true" : "false");
	first_field = 0;
}

static void end_struct(void)
{
	printf(" } }");
	first_field = 1;
}

/* A scalar field of struct T (offsets relative to container C through path P). */
#define F(C, P, T, m) field(#m, offsetof(C, P m), SIZEOF_MEMBER(T, m), IS_SIGNED(T, m))
/* An array field (no signedness). */
#define A(C, P, T, m) field(#m, offsetof(C, P m), SIZEOF_MEMBER(T, m), 0)

#define EV struct pt_event
#define HDR struct pt_file_header

static void constant(const char *name, long long value)
{
	printf("%s\n    \"%s\": %lld", first ? "" : ",", name, value);
	first = 0;
}
#define C(x) constant(#x, (long long)(x))

int main(void)
{
	const char magic[] = PT_FILE_MAGIC;

	printf("{\n  \"magic_hex\": \"");
	for (size_t i = 0; i < sizeof(magic) - 1; i++)
		printf("%02x", (unsigned char)magic[i]);
	printf("\",\n  \"structs\": {");
	first = 1;
	first_field = 1;

	begin_struct("pt_head", sizeof(struct pt_head), offsetof(EV, head));
	F(EV, head., struct pt_head, type);
	F(EV, head., struct pt_head, flags);
	F(EV, head., struct pt_head, tid);
	F(EV, head., struct pt_head, ts);
	F(EV, head., struct pt_head, start);
	F(EV, head., struct pt_head, pid);
	F(EV, head., struct pt_head, cpu);
	end_struct();

	begin_struct("pt_fork", sizeof(struct pt_fork), offsetof(EV, fork));
	F(EV, fork., struct pt_fork, child_start);
	F(EV, fork., struct pt_fork, child_pid);
	F(EV, fork., struct pt_fork, child_ppid);
	end_struct();

	begin_struct("pt_thread", sizeof(struct pt_thread), offsetof(EV, thread));
	F(EV, thread., struct pt_thread, new_tid);
	F(EV, thread., struct pt_thread, _pad);
	end_struct();

	begin_struct("pt_exec", sizeof(struct pt_exec), offsetof(EV, exec));
	F(EV, exec., struct pt_exec, parent_start);
	F(EV, exec., struct pt_exec, ppid);
	F(EV, exec., struct pt_exec, old_tid);
	F(EV, exec., struct pt_exec, uid);
	F(EV, exec., struct pt_exec, gid);
	F(EV, exec., struct pt_exec, euid);
	F(EV, exec., struct pt_exec, egid);
	F(EV, exec., struct pt_exec, ns_pid);
	F(EV, exec., struct pt_exec, ns_level);
	F(EV, exec., struct pt_exec, argc);
	F(EV, exec., struct pt_exec, envc);
	F(EV, exec., struct pt_exec, argv_len);
	F(EV, exec., struct pt_exec, env_len);
	A(EV, exec., struct pt_exec, comm);
	end_struct();

	begin_struct("pt_exec_failed", sizeof(struct pt_exec_failed), offsetof(EV, exec_failed));
	F(EV, exec_failed., struct pt_exec_failed, err);
	F(EV, exec_failed., struct pt_exec_failed, syscall_nr);
	end_struct();

	begin_struct("pt_exit", sizeof(struct pt_exit), offsetof(EV, exit));
	F(EV, exit., struct pt_exit, status);
	F(EV, exit., struct pt_exit, nr_threads_seen);
	A(EV, exit., struct pt_exit, comm);
	A(EV, exit., struct pt_exit, rusage);
	end_struct();

	begin_struct("pt_rusage", sizeof(struct pt_rusage), offsetof(EV, exit.rusage));
	F(struct pt_rusage, , struct pt_rusage, utime_ns);
	F(struct pt_rusage, , struct pt_rusage, stime_ns);
	F(struct pt_rusage, , struct pt_rusage, runtime_ns);
	F(struct pt_rusage, , struct pt_rusage, maxrss_kb);
	F(struct pt_rusage, , struct pt_rusage, min_flt);
	F(struct pt_rusage, , struct pt_rusage, maj_flt);
	F(struct pt_rusage, , struct pt_rusage, nvcsw);
	F(struct pt_rusage, , struct pt_rusage, nivcsw);
	F(struct pt_rusage, , struct pt_rusage, rchar);
	F(struct pt_rusage, , struct pt_rusage, wchar);
	F(struct pt_rusage, , struct pt_rusage, read_bytes);
	F(struct pt_rusage, , struct pt_rusage, write_bytes);
	end_struct();

	begin_struct("pt_open", sizeof(struct pt_open), offsetof(EV, open));
	F(EV, open., struct pt_open, dirfd);
	F(EV, open., struct pt_open, result);
	F(EV, open., struct pt_open, flags);
	F(EV, open., struct pt_open, mode);
	F(EV, open., struct pt_open, syscall_nr);
	F(EV, open., struct pt_open, _pad);
	F(EV, open., struct pt_open, latency_ns);
	end_struct();

	begin_struct("pt_tcp", sizeof(struct pt_tcp), offsetof(EV, tcp));
	F(EV, tcp., struct pt_tcp, event);
	F(EV, tcp., struct pt_tcp, role);
	F(EV, tcp., struct pt_tcp, family);
	F(EV, tcp., struct pt_tcp, local_port);
	F(EV, tcp., struct pt_tcp, remote_port);
	F(EV, tcp., struct pt_tcp, error);
	F(EV, tcp., struct pt_tcp, conn_id);
	A(EV, tcp., struct pt_tcp, local_addr);
	A(EV, tcp., struct pt_tcp, remote_addr);
	F(EV, tcp., struct pt_tcp, start_ts);
	F(EV, tcp., struct pt_tcp, latency_ns);
	F(EV, tcp., struct pt_tcp, bytes_sent);
	F(EV, tcp., struct pt_tcp, bytes_received);
	F(EV, tcp., struct pt_tcp, retransmits);
	F(EV, tcp., struct pt_tcp, tcp_state);
	F(EV, tcp., struct pt_tcp, _pad);
	F(EV, tcp., struct pt_tcp, soft_error);
	end_struct();

	begin_struct("pt_dns", sizeof(struct pt_dns), offsetof(EV, dns));
	F(EV, dns., struct pt_dns, result);
	F(EV, dns., struct pt_dns, count);
	F(EV, dns., struct pt_dns, start_ts);
	F(EV, dns., struct pt_dns, latency_ns);
	A(EV, dns., struct pt_dns, families);
	A(EV, dns., struct pt_dns, addrs);
	end_struct();

	begin_struct("pt_dns_msg", sizeof(struct pt_dns_msg), offsetof(EV, dns_msg));
	F(EV, dns_msg., struct pt_dns_msg, direction);
	F(EV, dns_msg., struct pt_dns_msg, _pad);
	F(EV, dns_msg., struct pt_dns_msg, family);
	F(EV, dns_msg., struct pt_dns_msg, local_port);
	F(EV, dns_msg., struct pt_dns_msg, remote_port);
	F(EV, dns_msg., struct pt_dns_msg, length);
	F(EV, dns_msg., struct pt_dns_msg, captured);
	A(EV, dns_msg., struct pt_dns_msg, local_addr);
	A(EV, dns_msg., struct pt_dns_msg, remote_addr);
	end_struct();

	begin_struct("pt_hist", sizeof(struct pt_hist), offsetof(EV, hist));
	F(EV, hist., struct pt_hist, kind);
	F(EV, hist., struct pt_hist, _pad);
	F(EV, hist., struct pt_hist, count);
	F(EV, hist., struct pt_hist, total_ns);
	F(EV, hist., struct pt_hist, max_ns);
	A(EV, hist., struct pt_hist, buckets);
	end_struct();

	begin_struct("pt_data", sizeof(struct pt_data), offsetof(EV, data));
	F(EV, data., struct pt_data, owner_ts);
	F(EV, data., struct pt_data, offset);
	F(EV, data., struct pt_data, len);
	F(EV, data., struct pt_data, kind);
	F(EV, data., struct pt_data, flags);
	A(EV, data., struct pt_data, data);
	end_struct();

	begin_struct("pt_loss", sizeof(struct pt_loss), offsetof(EV, loss));
	F(EV, loss., struct pt_loss, category);
	F(EV, loss., struct pt_loss, _pad);
	F(EV, loss., struct pt_loss, count);
	end_struct();

	begin_struct("pt_clock_anchor", sizeof(struct pt_clock_anchor), 0);
	F(struct pt_clock_anchor, , struct pt_clock_anchor, realtime);
	F(struct pt_clock_anchor, , struct pt_clock_anchor, boottime);
	F(struct pt_clock_anchor, , struct pt_clock_anchor, monotonic);
	end_struct();

	begin_struct("pt_footer", sizeof(struct pt_footer), offsetof(EV, footer));
	F(EV, footer., struct pt_footer, records);
	F(EV, footer., struct pt_footer, lost);
	A(EV, footer., struct pt_footer, stop);
	F(EV, footer., struct pt_footer, root_status);
	F(EV, footer., struct pt_footer, processes);
	F(EV, footer., struct pt_footer, still_running);
	F(EV, footer., struct pt_footer, end_flags);
	end_struct();

	begin_struct("pt_event", sizeof(struct pt_event), 0);
	A(EV, , struct pt_event, head);
	A(EV, , struct pt_event, payload);
	end_struct();

	begin_struct("pt_file_header", sizeof(struct pt_file_header), 0);
	A(HDR, , HDR, magic);
	F(HDR, , HDR, byte_order);
	F(HDR, , HDR, version_major);
	F(HDR, , HDR, version_minor);
	F(HDR, , HDR, header_size);
	F(HDR, , HDR, record_size);
	F(HDR, , HDR, root_pid);
	F(HDR, , HDR, capture_pid);
	F(HDR, , HDR, options);
	A(HDR, , HDR, start);
	F(HDR, , HDR, args_limit);
	F(HDR, , HDR, ringbuf_size);
	end_struct();

	begin_struct("pt_tlv", sizeof(struct pt_tlv), 0);
	F(struct pt_tlv, , struct pt_tlv, tag);
	F(struct pt_tlv, , struct pt_tlv, _pad);
	F(struct pt_tlv, , struct pt_tlv, len);
	end_struct();

	begin_struct("pt_write_stop", sizeof(struct pt_write_stop), 0);
	F(struct pt_write_stop, , struct pt_write_stop, ts);
	F(struct pt_write_stop, , struct pt_write_stop, error);
	F(struct pt_write_stop, , struct pt_write_stop, _pad);
	F(struct pt_write_stop, , struct pt_write_stop, records);
	end_struct();

	printf("\n  },\n  \"constants\": {");
	first = 1;
	C(PT_BYTE_ORDER_MAGIC);
	C(PT_VERSION_MAJOR);
	C(PT_VERSION_MINOR);
	C(PT_RECORD_SIZE);
	C(PT_HEAD_SIZE);
	C(PT_DATA_HEAD_SIZE);
	C(PT_DATA_MAX);
	C(PT_COMM_LEN);
	C(PT_ARGS_LIMIT_DEFAULT);
	C(PT_PATH_LIMIT);
	C(PT_DNS_MSG_LIMIT);
	C(PT_FORK);
	C(PT_THREAD);
	C(PT_EXEC);
	C(PT_EXEC_FAILED);
	C(PT_EXIT);
	C(PT_DATA);
	C(PT_OPEN);
	C(PT_HIST);
	C(PT_TCP);
	C(PT_DNS);
	C(PT_DNS_MSG);
	C(PT_LOSS);
	C(PT_RUNNING);
	C(PT_FOOTER);
	C(PT_F_ARGV_TRUNCATED);
	C(PT_F_ENV_TRUNCATED);
	C(PT_F_ENV_SKIPPED);
	C(PT_F_CORE_DUMPED);
	C(PT_D_FILENAME);
	C(PT_D_INTERP);
	C(PT_D_EXE);
	C(PT_D_CWD);
	C(PT_D_ARGV);
	C(PT_D_ENV);
	C(PT_D_PATH);
	C(PT_D_NAME);
	C(PT_D_DNS_MSG);
	C(PT_DF_LAST);
	C(PT_DF_TRUNCATED);
	C(PT_DF_FAULT);
	C(PT_CAT_PROCESS);
	C(PT_CAT_EXEC);
	C(PT_CAT_EXEC_FAILED);
	C(PT_CAT_TRACKING);
	C(PT_CAT_FILES);
	C(PT_CAT_HIST);
	C(PT_CAT_NET);
	C(PT_CAT_DNS);
	C(PT_CAT_MAX);
	C(PT_END_SIGNALLED);
	C(PT_END_WAITED_ALL);
	C(PT_OPT_ENV);
	C(PT_OPT_FAILED_EXECS);
	C(PT_OPT_KEEP_ROOT);
	C(PT_OPT_FILES);
	C(PT_OPT_IO);
	C(PT_OPT_SCHED);
	C(PT_OPT_NET);
	C(PT_OPT_DNS);
	C(PT_OPT_DNS_MSG);
	C(PT_DNS_SENT);
	C(PT_DNS_RECEIVED);
	C(PT_DNS_ANSWERS);
	C(PT_TCP_CONNECTED);
	C(PT_TCP_FAILED);
	C(PT_TCP_ACCEPTED);
	C(PT_TCP_CLOSED);
	C(PT_TCP_AT_STOP);
	C(PT_TCP_CLIENT);
	C(PT_TCP_SERVER);
	C(PT_HIST_BUCKETS);
	C(PT_H_READ);
	C(PT_H_WRITE);
	C(PT_H_FSYNC);
	C(PT_H_OFFCPU);
	C(PT_TLV_END);
	C(PT_TLV_KERNEL_RELEASE);
	C(PT_TLV_KERNEL_VERSION);
	C(PT_TLV_HOSTNAME);
	C(PT_TLV_MACHINE);
	C(PT_TLV_PTRACE_VERSION);
	C(PT_TLV_CAPTURE_ARGV);
	C(PT_TLV_COMMAND_ARGV);
	C(PT_TLV_BOOT_ID);
	C(PT_TLV_OS_RELEASE);
	C(PT_TLV_TRACEPARENT);
	C(PT_TLV_WRITE_STOP);
	printf("\n  }\n}\n");
	return 0;
}
