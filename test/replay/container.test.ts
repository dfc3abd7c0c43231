import test from 'ava';
import { containerOf } from '../../analyze/replay/container.ts';

const ID = '3f4e1c0a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f';
const ID2 = 'aa'.repeat(32);

const TABLE: [string, string, { runtime: string; id: string } | null][] = [
  ['docker, systemd driver', `/system.slice/docker-${ID}.scope`, { runtime: 'docker', id: ID }],
  ['docker, cgroupfs driver', `/docker/${ID}`, { runtime: 'docker', id: ID }],
  [
    'docker, a cgroup inside the container',
    `/system.slice/docker-${ID}.scope/init.scope`,
    { runtime: 'docker', id: ID },
  ],
  [
    'kubernetes with containerd, systemd driver',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-${ID}.scope`,
    { runtime: 'containerd', id: ID },
  ],
  [
    'kubernetes, cgroupfs driver',
    `/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/${ID}`,
    { runtime: 'kubernetes', id: ID },
  ],
  ['cri-o', `/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope`, { runtime: 'cri-o', id: ID }],
  ['podman as root', `/machine.slice/libpod-${ID}.scope`, { runtime: 'podman', id: ID }],
  [
    'podman rootless',
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container`,
    { runtime: 'podman', id: ID },
  ],
  ['podman cgroupfs', `/libpod_parent/libpod-${ID}`, { runtime: 'podman', id: ID }],
  ['podman conmon is not the container', `/machine.slice/libpod-conmon-${ID}.scope`, null],
  [
    'systemd-nspawn machine',
    '/machine.slice/machine-build\\x2dbox.scope',
    { runtime: 'systemd-nspawn', id: 'build-box' },
  ],
  ['nested: the deepest wins', `/system.slice/docker-${ID2}.scope/docker/${ID}`, { runtime: 'docker', id: ID }],
  ['a plain service', '/system.slice/ssh.service', null],
  ['a user session', '/user.slice/user-1000.slice/session-3.scope', null],
  ['the root', '/', null],
  ['empty', '', null],
  ['a 64-hex name under an unknown parent', `/mine/${ID}`, null],
  ['uppercase hex is not an id', `/system.slice/docker-${ID.toUpperCase()}.scope`, null],
  ['a short id is not an id', '/system.slice/docker-3f4e1c0a9b8d.scope', null],
];

for (const [name, path, expected] of TABLE) {
  test(`container of a cgroup path: ${name}`, (t) => {
    t.deepEqual(containerOf(path), expected);
  });
}
