import { describe, expect, it } from 'vitest';
import { directoriesToExpand, invalidMountPath, sandboxArgs } from './layout.js';

describe('sandbox layout', () => {
  it('expands the existing host directories on the way to a mount point the host lacks', () => {
    expect([...directoriesToExpand(['/etc/peapod-config/sub'])].sort()).toEqual(['/', '/etc']);
    expect([...directoriesToExpand(['/usr/share/peapod-nginx/html'])].sort()).toEqual(['/', '/usr', '/usr/share']);
    expect([...directoriesToExpand(['/data', '/etc/hosts', '/tmp/x'])]).toEqual(['/']);
  });

  it('binds the host root read-only, gives private /proc, /dev and /tmp, then the volumes, then makes / read-only', () => {
    const args = sandboxArgs({ mounts: [{ hostPath: '/h/b', containerPath: '/etc/peapod-config/b' }, { hostPath: '/h/a', containerPath: '/etc/peapod-config', readonly: true }], hostname: 'web-0', shmDir: '/s/shm', workingDir: '/srv/peapod-app' });
    const joined = args.join(' ');
    expect(args.slice(0, 2)).toEqual(['--tmpfs', '/']);
    expect(joined).toContain('--ro-bind-try /usr /usr');
    expect(joined).toContain('--dir /etc ');
    expect(joined).toContain('--ro-bind-try /etc/passwd /etc/passwd');
    expect(joined).not.toMatch(/--ro-bind-try \/(proc|dev|tmp) /);
    expect(joined).toContain('--proc /proc --dev /dev --tmpfs /tmp --bind /s/shm /dev/shm --unshare-uts --hostname web-0 --unshare-ipc --unshare-pid --as-pid-1');
    // parents before children, so the child mount lands inside the parent volume
    expect(joined).toContain('--ro-bind /h/a /etc/peapod-config --bind /h/b /etc/peapod-config/b --dir /srv/peapod-app --chdir /srv/peapod-app --remount-ro /');
  });

  it('makes a mount point\'s missing parents itself, so that they are 0755 rather than bwrap\'s root-only ones', () => {
    const args = sandboxArgs({ mounts: [{ hostPath: '/h/d', containerPath: '/peapod-data/demo/x' }, { hostPath: '/h/v', containerPath: '/peapod-vol' }, { hostPath: '/h/w', containerPath: '/peapod-vol/a/b' }], hostname: 'p', shmDir: '/s/shm' });
    const joined = args.join(' ');
    expect(joined).toContain('--dir /peapod-data --dir /peapod-data/demo --bind /h/d /peapod-data/demo/x');
    // parents inside another volume are that volume's
    expect(joined).toMatch(/--bind \/h\/v \/peapod-vol .*--bind \/h\/w \/peapod-vol\/a\/b/);
    expect(joined).not.toContain('--dir /peapod-vol');
    // a sibling that merely shares the volume's prefix is not on it
    expect(sandboxArgs({ mounts: [{ hostPath: '/h/v', containerPath: '/peapod-vol' }], hostname: 'p', shmDir: '/s/shm', workingDir: '/peapod-vol2' }).join(' ')).toContain('--dir /peapod-vol2 --chdir /peapod-vol2');
  });

  it('binds the whole host root read-only in one go when every mount point exists on the host', () => {
    const args = sandboxArgs({ mounts: [{ hostPath: '/h/log', containerPath: '/dev/termination-log' }, { hostPath: '/h/etc-hosts', containerPath: '/etc/hosts' }], hostname: 'p', shmDir: '/s/shm', workingDir: '/usr' });
    expect(args.join(' ')).toBe('--ro-bind / / --proc /proc --dev /dev --tmpfs /tmp --bind /s/shm /dev/shm --unshare-uts --hostname p --unshare-ipc --unshare-pid --as-pid-1 '
      + '--bind /h/log /dev/termination-log --bind /h/etc-hosts /etc/hosts --chdir /usr');
  });

  it('joins the host\'s PID namespace or the one at a descriptor instead of making its own', () => {
    const base = { mounts: [], hostname: 'p', shmDir: '/s/shm' };
    expect(sandboxArgs({ ...base, pid: 'Node' })).not.toContain('--unshare-pid');
    const target = sandboxArgs({ ...base, pid: { fd: 5 } });
    expect(target.join(' ')).toContain('--unshare-ipc --pidns 5');
    expect(target).not.toContain('--as-pid-1');
  });

  it('refuses relative, unnormalised and reserved mount paths', () => {
    expect(invalidMountPath('data')).toBe('mount path "data" is not absolute');
    expect(invalidMountPath('/a/../b')).toBe('mount path "/a/../b" is not normalised');
    expect(invalidMountPath('/proc/sys')).toBe('mount path "/proc/sys" is reserved by the sandbox');
    expect(invalidMountPath('/var/lib/data')).toBeUndefined();
  });
});
