/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connections: their state changes, and the socket iterator the capture
 * runs at stop for the connections still open.
 */
#ifndef PTRACE_NET_BPF_H
#define PTRACE_NET_BPF_H

#include "common.bpf.h"

/* ---- TCP connections ---------------------------------------------------- */

#define AF_INET 2
#define AF_INET6 10

/* Who owns a socket: set where the owner is current (connect, listen), used
 * where it is not (the state changes that follow run in softirq context). */
struct sock_owner {
	__u64 start; /* owner's process identity */
	__u64 t_start;
	__u32 pid;
	__u32 tid;
	__u32 conn_id;
	__u8 role;
	__u8 established;
	__u16 local_port; /* kept: the socket's own is cleared when it is unhashed at close */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct sock_owner);
} sockets SEC(".maps");

/* local port → the traced process listening on it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct sock_owner);
} listeners SEC(".maps");

__u32 next_conn_id = 0;

static __always_inline bool current_owner(struct sock_owner *o, __u64 now)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!bpf_map_lookup_elem(&traced, &tgid))
		return false;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	o->start = task_identity(task);
	o->t_start = now;
	o->pid = tgid;
	o->tid = (__u32)id;
	return true;
}

/* The head of a record about a socket: its owner, not the task that happens to run. */
static __always_inline void fill_owner_head(struct pt_head *h, __u16 type, const struct sock_owner *o, __u64 now)
{
	h->type = type;
	h->flags = 0;
	h->tid = o->tid;
	h->ts = now;
	h->start = o->start;
	h->pid = o->pid;
	h->cpu = bpf_get_smp_processor_id();
}

static __always_inline void fill_tcp(struct pt_event *e, const struct sock *sk, const struct sock_owner *o, __u8 event, __u64 now)
{
	fill_owner_head(&e->head, PT_TCP, o, now);
	__builtin_memset(&e->tcp, 0, sizeof(e->tcp));
	e->tcp.event = event;
	e->tcp.role = o->role;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->tcp.family = family;
	e->tcp.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!e->tcp.local_port)
		e->tcp.local_port = o->local_port;
	e->tcp.remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->tcp.conn_id = o->conn_id;
	if (family == AF_INET) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->tcp.local_addr, &laddr, 4);
		__builtin_memcpy(e->tcp.remote_addr, &raddr, 4);
	} else {
		BPF_CORE_READ_INTO(&e->tcp.local_addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->tcp.remote_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	e->tcp.start_ts = o->t_start;
	if (event == PT_TCP_CONNECTED || event == PT_TCP_FAILED)
		e->tcp.latency_ns = now - o->t_start;
	if (event == PT_TCP_FAILED) {
		e->tcp.error = BPF_CORE_READ(sk, sk_err);
		/* 0: the application closed the socket before an answer; what the kernel had seen meanwhile */
		if (!e->tcp.error)
			e->tcp.soft_error = BPF_CORE_READ(sk, sk_err_soft);
	}
	if (event == PT_TCP_AT_STOP)
		e->tcp.tcp_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (event == PT_TCP_CLOSED || event == PT_TCP_AT_STOP) {
		const struct tcp_sock *tp = (const struct tcp_sock *)sk;
		e->tcp.bytes_sent = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
		/* rcv_nxt also advanced over the peer's FIN (which set RCV_SHUTDOWN): not payload */
		__u64 received = BPF_CORE_READ(tp, bytes_received);
		if ((BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) & 1) && received > 0)
			received--;
		e->tcp.bytes_received = received;
		e->tcp.retransmits = BPF_CORE_READ(tp, total_retrans);
	}
}

static __always_inline void emit_tcp(const struct sock *sk, struct sock_owner *o, __u8 event, __u64 now)
{
	struct pt_event *e = reserve(PT_CAT_NET);
	if (!e)
		return;
	fill_tcp(e, sk, o, event, now);
	submit(e);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u64 key = (__u64)sk;
	if (stopped) {
		/* the stop-time scan reads the sockets still in the table: never one that is gone */
		if (newstate == TCP_CLOSE)
			bpf_map_delete_elem(&sockets, &key);
		return 0;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();

	if (newstate == TCP_SYN_SENT) { /* connect(), in the caller's context */
		struct sock_owner o = {.role = PT_TCP_CLIENT};
		if (!current_owner(&o, now))
			return 0;
		o.conn_id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
		if (bpf_map_update_elem(&sockets, &key, &o, BPF_ANY))
			count_loss(PT_CAT_NET);
		return 0;
	}
	if (newstate == TCP_LISTEN) { /* listen(), in the caller's context */
		struct sock_owner o = {.role = PT_TCP_SERVER};
		if (!current_owner(&o, now))
			return 0;
		__u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
		bpf_map_update_elem(&listeners, &port, &o, BPF_ANY);
		return 0;
	}
	if (oldstate == TCP_LISTEN) {
		/* LISTEN → SYN_RECV is a new child cloned from the listener, not the listener itself */
		if (newstate == TCP_CLOSE) {
			__u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
			bpf_map_delete_elem(&listeners, &port);
		}
		return 0;
	}

	struct sock_owner *o = bpf_map_lookup_elem(&sockets, &key);
	if (newstate == TCP_ESTABLISHED) {
		if (o) {
			if (o->role == PT_TCP_CLIENT && !o->established) {
				o->established = 1;
				o->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
				emit_tcp(sk, o, PT_TCP_CONNECTED, now);
			}
			return 0;
		}
		if (oldstate != TCP_SYN_RECV)
			return 0;
		__u32 port = BPF_CORE_READ(sk, __sk_common.skc_num);
		struct sock_owner *listener = bpf_map_lookup_elem(&listeners, &port);
		if (!listener)
			return 0;
		struct sock_owner accepted = *listener;
		accepted.role = PT_TCP_SERVER;
		accepted.established = 1;
		accepted.t_start = now;
		accepted.local_port = port;
		accepted.conn_id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
		if (bpf_map_update_elem(&sockets, &key, &accepted, BPF_ANY))
			count_loss(PT_CAT_NET);
		emit_tcp(sk, &accepted, PT_TCP_ACCEPTED, now);
		return 0;
	}
	if (newstate == TCP_CLOSE && o) {
		struct sock_owner owner = *o;
		bpf_map_delete_elem(&sockets, &key);
		emit_tcp(sk, &owner, owner.established ? PT_TCP_CLOSED : PT_TCP_FAILED, now);
	}
	return 0;
}

/*
 * Stop-time scan: run by the capture (a TCP socket iterator, over the
 * capture's network namespace) after the programs stopped, one
 * PT_TCP_AT_STOP record per traced connection that had not reached CLOSE,
 * written to the iterator's output rather than to the ring buffer.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_event);
} at_stop_scratch SEC(".maps");

SEC("iter/tcp")
int sockets_at_stop(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc)
		return 0;
	__u64 key = (__u64)skc; /* a full socket's struct sock starts with its sock_common */
	struct sock_owner *o = bpf_map_lookup_elem(&sockets, &key);
	__u32 zero = 0;
	struct pt_event *e = bpf_map_lookup_elem(&at_stop_scratch, &zero);
	if (!o || !e)
		return 0;
	const struct sock *sk = (const struct sock *)skc;
	__builtin_memset(e, 0, sizeof(*e));
	fill_tcp(e, sk, o, PT_TCP_AT_STOP, bpf_ktime_get_boot_ns());
	bpf_seq_write(ctx->meta->seq, e, sizeof(*e));
	return 0;
}

#endif /* PTRACE_NET_BPF_H */
