import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { Mount } from '@peapod/runtime';

/**
 * The bubblewrap arguments that give one container its view of the machine:
 *
 *   /            tmpfs, holding read-only binds of every host top-level entry (the "image")
 *   /proc        the container's own PID namespace
 *   /dev         a minimal devtmpfs; /dev/shm bound to the pod's shared shm directory
 *   /tmp         private tmpfs
 *   <mountPath>  the volume's host directory, read-write unless `readonly`
 *
 * When every mount point exists on the host, / is simply one recursive read-only bind of the host
 * root. But Kubernetes volumes often mount where the host has nothing (`/etc/config`, `/data`). bwrap can
 * only create a mount point inside a tmpfs, so every host directory on the way to a missing
 * mount point is "expanded": replaced by a tmpfs holding read-only binds of its own entries.
 * The container still sees the host's files there; once the mounts are made the root is remounted
 * read-only, so nothing can be written outside /tmp and the volumes.
 */

/** Host paths never bound from the host: the sandbox provides its own. */
const SPECIAL_ROOT = new Set(['/proc', '/dev', '/tmp']);

export interface LayoutInput {
  mounts: readonly Mount[];
  /** Created if missing (as container runtimes do for `workingDir`). */
  workingDir?: string;
  hostname: string;
  /** Host directory shared by the pod's containers as /dev/shm. */
  shmDir: string;
  /**
   * The container's PID namespace: its own (default, the command is its PID 1), the host's, or
   * the one open at this descriptor of bwrap (a target container's, for an ephemeral container).
   */
  pid?: 'Container' | 'Node' | { fd: number };
}

function existsOnHost(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isHostDir(path: string): boolean {
  try {
    return statSync(path).isDirectory() && !lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Directories that must become tmpfs so that `paths` can be created: the existing ancestors of each missing path. */
export function directoriesToExpand(paths: readonly string[]): Set<string> {
  const expand = new Set<string>(['/']);
  for (const p of paths) {
    if (existsOnHost(p) || SPECIAL_ROOT.has(p)) continue;
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (SPECIAL_ROOT.has(dir) || !isHostDir(dir)) break;
      expand.add(dir);
    }
  }
  return expand;
}

function expandDir(dir: string, expand: Set<string>, args: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (dir === '/' && SPECIAL_ROOT.has(path)) continue;
    if (entry.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (entry.isDirectory() && expand.has(path)) {
      args.push('--dir', path);
      expandDir(path, expand, args);
    } else args.push('--ro-bind-try', path, path);
  }
}

/** Checks a container path: absolute, normalised, not inside the sandbox's own mounts. */
export function invalidMountPath(p: string): string | undefined {
  if (!p.startsWith('/')) return `mount path "${p}" is not absolute`;
  if (posix.normalize(p) !== p.replace(/\/+$/, '') && p !== '/') return `mount path "${p}" is not normalised`;
  if (p === '/' || p === '/proc' || p.startsWith('/proc/') || p === '/dev' || p === '/dev/shm') return `mount path "${p}" is reserved by the sandbox`;
  return undefined;
}

export function sandboxArgs(input: LayoutInput): string[] {
  const mounts = [...input.mounts].sort((a, b) => a.containerPath.split('/').length - b.containerPath.split('/').length);
  const wanted = mounts.map((m) => m.containerPath);
  if (input.workingDir) wanted.push(input.workingDir);
  // when every mount point exists on the host, one recursive read-only bind of / does (about twice as
  // fast to set up as a bind per top-level entry); otherwise the tmpfs root makes room for them
  const simple = wanted.every((p) => SPECIAL_ROOT.has(p) || p.startsWith('/dev/') || existsOnHost(p));
  const args = simple ? ['--ro-bind', '/', '/'] : ['--tmpfs', '/'];
  if (!simple) expandDir('/', directoriesToExpand(wanted), args);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', input.shmDir, '/dev/shm');
  args.push('--unshare-uts', '--hostname', input.hostname, '--unshare-ipc');
  const pid = input.pid ?? 'Container';
  if (pid === 'Container') args.push('--unshare-pid', '--as-pid-1');
  else if (pid !== 'Node') args.push('--pidns', String(pid.fd));
  /** Whether `p` is at or under a volume's mount point (a directory the volume itself holds). */
  const onVolume = (p: string) => mounts.some((o) => p === o.containerPath || p.startsWith(`${o.containerPath.replace(/\/+$/, '')}/`));
  const made = new Set<string>();
  for (const m of mounts) {
    const target = m.containerPath.replace(/\/+$/, '');
    // A mount point's missing parents are made as runc makes them (0755, so any user may pass);
    // bwrap's own are root's alone. Those on another volume are that volume's business.
    for (let at = target.indexOf('/', 1); at > 0; at = target.indexOf('/', at + 1)) {
      const dir = target.slice(0, at);
      if (made.has(dir) || existsOnHost(dir) || onVolume(dir)) continue;
      made.add(dir);
      args.push('--dir', dir);
    }
    args.push(m.readonly ? '--ro-bind' : '--bind', m.hostPath, target);
  }
  if (input.workingDir) {
    if (!existsOnHost(input.workingDir) && !onVolume(input.workingDir)) args.push('--dir', input.workingDir);
    args.push('--chdir', input.workingDir);
  }
  // the root tmpfs (and the expanded directories in it) becomes read-only like the binds it holds;
  // /tmp, /dev/shm and writable volumes are mounts of their own and stay writable
  if (!simple) args.push('--remount-ro', '/');
  return args;
}
