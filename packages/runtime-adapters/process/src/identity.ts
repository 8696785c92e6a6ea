import { readFileSync } from 'node:fs';
import type { LinuxContainerSecurityContext } from '@peapod/runtime';

/** Linux capabilities by bit number (linux/capability.h), as `setpriv` names them. */
const CAPABILITIES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'linux_immutable',
  'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace',
  'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write',
  'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
];

/** The set containerd (and Docker) give a container that is not privileged. */
const DEFAULT_CAPABILITIES = [
  'chown', 'dac_override', 'fsetid', 'fowner', 'mknod', 'net_raw', 'setgid', 'setuid', 'setfcap', 'setpcap', 'net_bind_service', 'sys_chroot', 'kill', 'audit_write',
];

/** A capability as the API names it (`NET_ADMIN`, `CAP_NET_ADMIN`, `ALL`) in `setpriv`'s spelling. */
const capName = (c: string) => c.toLowerCase().replace(/^cap_/, '');

/** The capability names in `sc` no kernel knows (containerd refuses such a container). */
export function unknownCapabilities(sc: LinuxContainerSecurityContext | undefined): string[] {
  const named = [...(sc?.capabilities?.addCapabilities ?? []), ...(sc?.capabilities?.dropCapabilities ?? [])];
  return named.filter((c) => capName(c) !== 'all' && !CAPABILITIES.includes(capName(c)));
}

/**
 * Who a container's processes are and what they may do, as containerd derives it from CRI's
 * security context: the user `runAsUser` (else the image's, which for this runtime is root), the
 * group `runAsGroup` (else the user's primary group in the image's /etc/passwd, here the host's,
 * else 0), exactly `supplementalGroups` besides it, and the capabilities: all when privileged or
 * when `ALL` is added; otherwise containerd's default set (none when `ALL` is dropped) without the
 * dropped and with the added ones. A user other than root keeps none of them in effect, as a
 * non-root process in any container.
 *
 * Returned as the `setpriv` arguments that switch to it (the process runtime runs every container's
 * command through `setpriv`, after bwrap has set up its namespaces and mounts as root). The
 * bounding set carries the capabilities, so nothing regains others; the inheritable set is empty,
 * as runc leaves it.
 */
export function setprivArgs(sc: LinuxContainerSecurityContext | undefined): string[] {
  const uid = sc?.runAsUser ?? 0;
  const gid = sc?.runAsGroup ?? hostPasswd().get(uid)?.gid ?? 0;
  const groups = [...new Set(sc?.supplementalGroups ?? [])];
  const args = ['--reuid', String(uid), '--regid', String(gid), ...(groups.length ? ['--groups', groups.join(',')] : ['--clear-groups'])];
  const add = (sc?.capabilities?.addCapabilities ?? []).map(capName);
  const drop = (sc?.capabilities?.dropCapabilities ?? []).map(capName);
  if (sc?.privileged || add.includes('all')) return args;
  const base = drop.includes('all') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  const caps = [...new Set([...base, ...add])];
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  return [...args, '--bounding-set', set, '--inh-caps', '-all'];
}

/** The container user's home (`HOME`), as containerd sets it: the user's in /etc/passwd (the host's here), else `/`. */
export const homeOf = (sc: LinuxContainerSecurityContext | undefined): string => hostPasswd().get(sc?.runAsUser ?? 0)?.home ?? '/';

/** uid -> primary gid and home of the host's /etc/passwd (the process runtime's "image"), read when asked. */
function hostPasswd(): Map<number, { gid: number; home: string }> {
  const out = new Map<number, { gid: number; home: string }>();
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [, , uid, gid, , home] = line.split(':');
    if (uid && gid && !out.has(Number(uid))) out.set(Number(uid), { gid: Number(gid), home: home || '/' });
  }
  return out;
}
