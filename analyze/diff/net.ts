// Network differences: connects that fail in one run only, name lookups
// (getaddrinfo and DNS queries on the wire) whose answers changed or that
// fail in one run only, and peers talked to in one run only. Compared over
// all the images in scope, by peer and by name, whichever process made them.
// A peer is its name (from the lookup that gave the address) or address, and
// its port; ports from 32768 up (the kernel's ephemeral range: a test server
// on a port picked at run time) compare equal.

import { connectFailure, queryOutcome } from '../replay/net.ts';
import type { TreeNode } from '../tree/build.ts';
import type { NodeText } from './align.ts';
import { type ProcRef, procRef } from './process-ref.ts';

export interface ConnectChange {
  /** `name (address):port` or `address:port`, as the failing run saw it. */
  peer: string;
  /** The failing run's error (ECONNREFUSED, abandoned…). */
  error: string;
  failures: number;
  where: ProcRef;
}

export interface LookupChange {
  /** `example.com` (getaddrinfo) or `dns A example.com` (a query on the wire). */
  name: string;
  /** The answers, sorted, or the failure (EAI_NONAME, NXDOMAIN, no reply); null: not looked up in that run. */
  a: string | null;
  b: string | null;
  kind: 'changed' | 'failed' | 'fixed';
  /** The first process of B that looked it up (of A for `fixed`). */
  where: ProcRef;
}

export interface NetChanges {
  /** Connects to a peer that fail in B and never failed in A. */
  newFailedConnects: ConnectChange[];
  /** Connects that failed in A and never fail in B. */
  fixedConnects: ConnectChange[];
  lookups: LookupChange[];
  peersOnlyA: string[];
  peersOnlyB: string[];
}

const EPHEMERAL_FROM = 32768;
const portKey = (port: number): string => (port >= EPHEMERAL_FROM ? 'ephemeral' : String(port));

interface PeerSide {
  text: string;
  ok: number;
  failed: number;
  first: { error: string; node: TreeNode } | null;
}

interface NameSide {
  answers: Set<string>;
  failure: string | null;
  node: TreeNode;
}

function netOf(nodes: Iterable<TreeNode>) {
  const peers = new Map<string, PeerSide>();
  const names = new Map<string, NameSide>();
  const nameSide = (key: string, n: TreeNode): NameSide => {
    let s = names.get(key);
    if (s === undefined) names.set(key, (s = { answers: new Set(), failure: null, node: n }));
    return s;
  };
  for (const n of nodes) {
    for (const c of n.connections) {
      const key =
        c.role === 'server'
          ? `server\u0000${c.remoteAddress}\u0000${portKey(c.localPort)}`
          : `client\u0000${c.peerName ?? c.remoteAddress}\u0000${portKey(c.remotePort)}`;
      let s = peers.get(key);
      if (s === undefined) {
        const text =
          c.role === 'server'
            ? `${c.remoteAddress} on :${c.localPort}`
            : c.peerName === null
              ? `${c.remoteAddress}:${c.remotePort}`
              : `${c.peerName} (${c.remoteAddress}):${c.remotePort}`;
        peers.set(key, (s = { text, ok: 0, failed: 0, first: null }));
      }
      if (c.state === 'failed') {
        s.failed++;
        s.first ??= { error: connectFailure(c), node: n };
      } else s.ok++;
    }
    for (const l of n.lookups) {
      const s = nameSide(l.name, n);
      if (l.result !== 0) s.failure ??= l.resultName ?? `error ${l.result}`;
      else for (const x of l.answers) s.answers.add(x.address);
    }
    for (const q of n.queries) {
      const s = nameSide(`dns ${q.type} ${q.name}`, n);
      const failure = queryOutcome(q);
      if (failure !== null) s.failure ??= failure;
      else for (const x of q.answers) s.answers.add(x);
    }
  }
  return { peers, names };
}

/** The answers of a name as text, or its failure when it never answered. */
function nameText(s: NameSide): { text: string; failed: boolean } {
  if (s.answers.size === 0 && s.failure !== null) return { text: s.failure, failed: true };
  return { text: [...s.answers].sort().join(', ') || '(no addresses)', failed: false };
}

function connectChanges(from: Map<string, PeerSide>, to: Map<string, PeerSide>, text: NodeText): ConnectChange[] {
  const out: ConnectChange[] = [];
  for (const [key, t] of to) {
    if (t.first === null || (from.get(key)?.failed ?? 0) > 0) continue;
    out.push({ peer: t.text, error: t.first.error, failures: t.failed, where: procRef(t.first.node, text) });
  }
  return out.sort((x, y) => x.where.startNs - y.where.startNs || (x.peer < y.peer ? -1 : 1));
}

export function netChanges(nodesA: Iterable<TreeNode>, nodesB: Iterable<TreeNode>, text: NodeText): NetChanges {
  const a = netOf(nodesA);
  const b = netOf(nodesB);
  const lookups: LookupChange[] = [];
  for (const [name, sb] of b.names) {
    const sa = a.names.get(name);
    const tb = nameText(sb);
    if (sa === undefined) {
      // A name only B looked up: its peers show the difference, unless it failed.
      if (tb.failed) lookups.push({ name, a: null, b: tb.text, kind: 'failed', where: procRef(sb.node, text) });
      continue;
    }
    const ta = nameText(sa);
    if (ta.text === tb.text) continue;
    const kind = tb.failed && !ta.failed ? 'failed' : ta.failed && !tb.failed ? 'fixed' : 'changed';
    lookups.push({ name, a: ta.text, b: tb.text, kind, where: procRef(kind === 'fixed' ? sa.node : sb.node, text) });
  }
  const order = { failed: 0, changed: 1, fixed: 2 };
  lookups.sort(
    (x, y) => order[x.kind] - order[y.kind] || x.where.startNs - y.where.startNs || (x.name < y.name ? -1 : 1),
  );
  const only = (from: Map<string, PeerSide>, to: Map<string, PeerSide>): string[] =>
    [...to]
      .filter(([k, s]) => s.ok > 0 && !from.has(k))
      .map(([, s]) => s.text)
      .sort();
  return {
    newFailedConnects: connectChanges(a.peers, b.peers, text),
    fixedConnects: connectChanges(b.peers, a.peers, text),
    lookups,
    peersOnlyA: only(b.peers, a.peers),
    peersOnlyB: only(a.peers, b.peers),
  };
}
