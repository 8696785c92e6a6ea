import { isNotFound } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, exitStatus, kubeletPaths, parseKubeletPath, sessionQuery, sessionStreams } from './remote-command.js';

const parse = (url: string) => {
  const [path, q] = url.split('?');
  return parseKubeletPath(path, new URLSearchParams(q));
};

describe('remote-command', () => {
  it('carries an exit code through the channel-3 Status both ways, in the form kubectl reads', () => {
    expect(exitCodeOf(exitStatus(0, ['true']))).toBe(0);
    const failed = exitStatus(7, ['sh', '-c', 'exit 7']);
    expect(failed.message).toBe('command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7');
    expect(exitCodeOf(failed)).toBe(7);
    let err: unknown;
    try {
      exitCodeOf({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: 'pods "x" not found' });
    } catch (e) {
      err = e;
    }
    expect(isNotFound(err)).toBe(true);
  });

  it('reads exec/attach stream flags as kubectl sends them; a terminal has no separate stderr', () => {
    expect(sessionStreams(new URLSearchParams('command=sh&command=-c&command=echo%20a&stdin=true&stdout=1&stderr=true'))).toEqual({ command: ['sh', '-c', 'echo a'], stdin: true, stdout: true, stderr: true, tty: false });
    expect(sessionStreams(new URLSearchParams('command=sh&stdout=true&stderr=true&tty=true'))).toMatchObject({ stderr: false, tty: true });
    const s = { command: ['cat', 'a b'], stdin: true, stdout: true, stderr: false, tty: false };
    expect(sessionStreams(new URLSearchParams(sessionQuery(s)))).toEqual(s);
  });

  it('round-trips the kubelet API paths, and refuses anything that is not a plain name', () => {
    const t = { namespace: 'default', pod: 'web-1', uid: '0f1e-22', container: 'main' };
    expect(parse(kubeletPaths.logs(t, { follow: true, tailLines: 5, previous: false }))).toEqual({
      kind: 'logs', target: t, options: { follow: true, previous: false, timestamps: false, tailLines: 5, sinceSeconds: undefined, limitBytes: undefined, sinceTime: undefined },
    });
    const streams = { command: ['ls'], stdin: false, stdout: true, stderr: true, tty: false };
    expect(parse(kubeletPaths.session('exec', t, streams))).toEqual({ kind: 'exec', target: t, streams });
    expect(parse(kubeletPaths.session('attach', t, { ...streams, command: [] }))).toMatchObject({ kind: 'attach', target: t });
    expect(parse(kubeletPaths.portForward(t, 8080))).toEqual({ kind: 'portForward', target: { namespace: 'default', pod: 'web-1', uid: '0f1e-22' }, port: 8080 });
    for (const bad of [
      '/containerLogs/default/web/main', '/containerLogs/default/../main?podUID=u', '/containerLogs/default/a%2Fb/main?podUID=u', '/containerLogs/default/web/%E0?podUID=u',
      '/exec/default/web/u', '/exec/Default/web/u/main', '/portForward/default/web/u?port=0', '/portForward/default/web/u?port=70000', '/runningpods/', '/',
    ]) expect(parse(bad), bad).toBeUndefined();
  });
});
