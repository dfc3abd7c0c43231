/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Name lookups: UDP datagrams to and from port 53, and getaddrinfo() through
 * uprobes on the C libraries the capture tool finds.
 */
#ifndef PTRACE_DNS_BPF_H
#define PTRACE_DNS_BPF_H

#include "common.bpf.h"
#include "net.bpf.h"

/* ---- DNS messages: UDP datagrams to and from port 53 ------------------------ */

#define DNS_PORT 53
#define ETH_P_IP_BE 0x0008   /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86 /* htons(0x86DD) */
#define UDP_HEADER_LEN 8

/* The local end of a query a traced process sent: replies come back to it. */
struct dns_flow {
	__u8 addr[16];
	__u16 port; /* host order */
	__u16 family;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dns_flow);
	__type(value, struct sock_owner);
} dns_flows SEC(".maps");

struct udp_datagram {
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	const unsigned char *payload;
	__u32 length;   /* UDP payload bytes, from the UDP header */
	__u32 captured; /* of those, what can be read from the linear area, capped */
};

/* IPv4 or IPv6 (no extension headers) carrying UDP, from the network header at `net`. */
static __always_inline bool parse_udp(const struct sk_buff *skb, const unsigned char *net, __u16 proto,
				      struct udp_datagram *d)
{
	const unsigned char *udp;
	if (proto == ETH_P_IP_BE) {
		__u8 vihl = 0, ip_proto = 0;
		bpf_probe_read_kernel(&vihl, 1, net);
		bpf_probe_read_kernel(&ip_proto, 1, net + 9);
		if ((vihl >> 4) != 4 || ip_proto != IPPROTO_UDP)
			return false;
		d->family = AF_INET;
		bpf_probe_read_kernel(d->saddr, 4, net + 12);
		bpf_probe_read_kernel(d->daddr, 4, net + 16);
		udp = net + (vihl & 0xf) * 4;
	} else if (proto == ETH_P_IPV6_BE) {
		__u8 next = 0;
		bpf_probe_read_kernel(&next, 1, net + 6);
		if (next != IPPROTO_UDP)
			return false;
		d->family = AF_INET6;
		bpf_probe_read_kernel(d->saddr, 16, net + 8);
		bpf_probe_read_kernel(d->daddr, 16, net + 24);
		udp = net + 40;
	} else {
		return false;
	}
	__u16 ports[3] = {};
	if (bpf_probe_read_kernel(ports, sizeof(ports), udp))
		return false;
	d->sport = bpf_ntohs(ports[0]);
	d->dport = bpf_ntohs(ports[1]);
	if (d->sport != DNS_PORT && d->dport != DNS_PORT)
		return false;
	__u32 udp_len = bpf_ntohs(ports[2]);
	d->length = udp_len > UDP_HEADER_LEN ? udp_len - UDP_HEADER_LEN : 0;
	d->payload = udp + UDP_HEADER_LEN;
	/* a NIC may leave the tail of a large datagram in page fragments: only the linear part is read */
	const unsigned char *data = BPF_CORE_READ(skb, data);
	__s64 linear = (__s64)(BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len)) - (d->payload - data);
	__s64 n = d->length;
	if (n > linear)
		n = linear;
	if (n > PT_DNS_MSG_LIMIT)
		n = PT_DNS_MSG_LIMIT;
	d->captured = n > 0 ? n : 0;
	return true;
}

static __always_inline void emit_dns_msg(const struct udp_datagram *d, const struct sock_owner *o, __u8 direction, __u64 now)
{
	struct pt_event *e = reserve(PT_CAT_DNS);
	if (!e)
		return;
	fill_owner_head(&e->head, PT_DNS_MSG, o, now);
	__builtin_memset(&e->dns_msg, 0, sizeof(e->dns_msg));
	e->dns_msg.direction = direction;
	e->dns_msg.family = d->family;
	bool sent = direction == PT_DNS_SENT;
	e->dns_msg.local_port = sent ? d->sport : d->dport;
	e->dns_msg.remote_port = sent ? d->dport : d->sport;
	__builtin_memcpy(e->dns_msg.local_addr, sent ? d->saddr : d->daddr, 16);
	__builtin_memcpy(e->dns_msg.remote_addr, sent ? d->daddr : d->saddr, 16);
	e->dns_msg.length = d->length;
	e->dns_msg.captured = d->captured;
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_DNS;
	c.src = (const char *)d->payload;
	c.len = d->captured;
	c.kind = PT_D_DNS_MSG;
	c.cut = d->captured < d->length;
	submit(e);
	emit_string(&c);
}

/* Sending: in the sender's own context for UDP (the stack transmits synchronously). */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue, struct sk_buff *skb)
{
	if (stopped)
		return 0;
	const unsigned char *head = BPF_CORE_READ(skb, head);
	struct udp_datagram d = {};
	if (!parse_udp(skb, head + BPF_CORE_READ(skb, network_header), BPF_CORE_READ(skb, protocol), &d) ||
	    d.dport != DNS_PORT)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();
	struct sock_owner o = {};
	if (!current_owner(&o, now))
		return 0;
	struct dns_flow flow = {.port = d.sport, .family = d.family};
	__builtin_memcpy(flow.addr, d.saddr, 16);
	bpf_map_update_elem(&dns_flows, &flow, &o, BPF_ANY);
	emit_dns_msg(&d, &o, PT_DNS_SENT, now);
	return 0;
}

/* Receiving: softirq context, so the owner comes from the query's flow. */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netif_receive_skb, struct sk_buff *skb)
{
	if (stopped)
		return 0;
	/* the network header is reset after this tracepoint: data already points at it */
	struct udp_datagram d = {};
	if (!parse_udp(skb, BPF_CORE_READ(skb, data), BPF_CORE_READ(skb, protocol), &d) || d.sport != DNS_PORT)
		return 0;
	struct dns_flow flow = {.port = d.dport, .family = d.family};
	__builtin_memcpy(flow.addr, d.daddr, 16);
	struct sock_owner *o = bpf_map_lookup_elem(&dns_flows, &flow);
	if (!o)
		return 0;
	struct sock_owner owner = *o;
	emit_dns_msg(&d, &owner, PT_DNS_RECEIVED, bpf_ktime_get_boot_ns());
	return 0;
}

/* ---- name lookups: getaddrinfo() in the libc the capture tool found ------ */

/* glibc's struct addrinfo on LP64 */
struct libc_addrinfo {
	__s32 ai_flags;
	__s32 ai_family;
	__s32 ai_socktype;
	__s32 ai_protocol;
	__u32 ai_addrlen;
	__u32 _pad;
	__u64 ai_addr;
	__u64 ai_canonname;
	__u64 ai_next;
};

struct lookup {
	__u64 node; /* user pointer to the name */
	__u64 res;  /* user pointer to the struct addrinfo * the call fills */
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct lookup);
} lookups SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(getaddrinfo_enter, const char *node, const char *service, const void *hints, void **res)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (stopped || !bpf_map_lookup_elem(&traced, &tgid) || !node)
		return 0;
	__u32 tid = (__u32)id;
	struct lookup l = {.node = (__u64)node, .res = (__u64)res, .ts = bpf_ktime_get_boot_ns()};
	bpf_map_update_elem(&lookups, &tid, &l, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(getaddrinfo_exit, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct lookup *found = bpf_map_lookup_elem(&lookups, &tid);
	if (!found)
		return 0;
	struct lookup l = *found;
	bpf_map_delete_elem(&lookups, &tid);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u64 now = bpf_ktime_get_boot_ns();
	struct pt_event *e = reserve(PT_CAT_DNS);
	if (!e)
		return 0;
	fill_head(&e->head, PT_DNS, task, now);
	__builtin_memset(&e->dns, 0, sizeof(e->dns));
	e->dns.result = ret;
	e->dns.start_ts = l.ts;
	e->dns.latency_ns = now - l.ts;
	if (ret == 0) {
		__u64 ai = 0;
		bpf_probe_read_user(&ai, sizeof(ai), (void *)l.res);
		__u32 n = 0;
		for (int i = 0; i < 32 && ai; i++) {
			struct libc_addrinfo info = {};
			if (bpf_probe_read_user(&info, sizeof(info), (void *)ai))
				break;
			if (n < PT_DNS_ANSWERS && (info.ai_family == AF_INET || info.ai_family == AF_INET6)) {
				e->dns.families[n & (PT_DNS_ANSWERS - 1)] = info.ai_family;
				/* sockaddr_in: port at 2, address at 4; sockaddr_in6: address at 8 */
				if (info.ai_family == AF_INET)
					bpf_probe_read_user(e->dns.addrs[n & (PT_DNS_ANSWERS - 1)], 4, (void *)(info.ai_addr + 4));
				else
					bpf_probe_read_user(e->dns.addrs[n & (PT_DNS_ANSWERS - 1)], 16, (void *)(info.ai_addr + 8));
			}
			n++;
			ai = info.ai_next;
		}
		e->dns.count = n;
	}
	struct chunk_ctx c = {};
	c.head = e->head;
	c.owner_ts = now;
	c.category = PT_CAT_DNS;
	submit(e);
	emit_str(&c, (const char *)l.node, PT_D_NAME, true);
	return 0;
}

#endif /* PTRACE_DNS_BPF_H */
