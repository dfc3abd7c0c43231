// Container ids from cgroup paths. Container runtimes name the cgroup of
// each container after its id, in a few well-known shapes (systemd and
// cgroupfs drivers); the deepest path component that matches one gives the
// container. Pure: a path in, a runtime and id out.

export interface ContainerRef {
  /** docker, containerd, cri-o, podman, systemd-nspawn. */
  runtime: string;
  /** The runtime's container id (64 hex digits), or the machine name of a systemd-nspawn container. */
  id: string;
}

const HEX64 = '([0-9a-f]{64})';

/** One path component each; the first that matches names the runtime. */
const SHAPES: readonly { runtime: string; re: RegExp }[] = [
  // systemd cgroup driver: docker-<id>.scope (Docker), cri-containerd-<id>.scope (Kubernetes with containerd)
  { runtime: 'docker', re: new RegExp(`^docker-${HEX64}\\.scope$`) },
  { runtime: 'containerd', re: new RegExp(`^cri-containerd-${HEX64}\\.scope$`) },
  { runtime: 'cri-o', re: new RegExp(`^crio-${HEX64}\\.scope$`) },
  // podman: libpod-<id>.scope (systemd), libpod-<id> (cgroupfs); libpod-conmon-<id> is its monitor, not the container
  { runtime: 'podman', re: new RegExp(`^libpod-${HEX64}(?:\\.scope)?$`) },
  // systemd-nspawn / machinectl: machine-<name>.scope under machine.slice (the name \x2d-escaped)
  { runtime: 'systemd-nspawn', re: /^machine-(.+)\.scope$/ },
];

/** cgroupfs driver: /docker/<id>, /kubepods/<qos>/pod<uid>/<id> (the runtime then unknown from the path alone). */
const PARENT_SHAPES: readonly { parent: RegExp; runtime: string }[] = [
  { parent: /^docker$/, runtime: 'docker' },
  { parent: /^pod[0-9a-f_-]+$/, runtime: 'kubernetes' },
  { parent: /^libpod_parent$/, runtime: 'podman' },
];

const BARE_ID = new RegExp(`^${HEX64}$`);

/** Undoes systemd's unit-name escaping (\x2d for '-'). */
function unescapeUnit(s: string): string {
  return s.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** The container a cgroup path belongs to, or null (a plain service, a user session, the root). */
export function containerOf(cgroupPath: string): ContainerRef | null {
  const parts = cgroupPath.split('/').filter((p) => p !== '');
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    for (const s of SHAPES) {
      const m = s.re.exec(part);
      if (m !== null) {
        const id = m[1]!;
        return { runtime: s.runtime, id: s.runtime === 'systemd-nspawn' ? unescapeUnit(id) : id };
      }
    }
    if (BARE_ID.test(part) && i > 0) {
      const parent = parts[i - 1]!;
      const shape = PARENT_SHAPES.find((p) => p.parent.test(parent));
      if (shape !== undefined) return { runtime: shape.runtime, id: part };
    }
  }
  return null;
}
