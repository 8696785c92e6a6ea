import { badRequest } from '@peapod/api-types';
import { sessionStreams, type SessionStreams } from '@peapod/client';
import type { PodTarget } from './node-streamer.js';
import type { Obj } from './obj.js';

/** An exec/attach request from kubectl, checked against the pod; the wire protocol is `@peapod/client`'s remote-command. */
export interface SessionRequest extends SessionStreams {
  kind: 'exec' | 'attach';
  target: PodTarget;
}

/** Parses and checks exec/attach query parameters against the pod (phase, container, command). */
export function sessionRequest(kind: 'exec' | 'attach', pod: Obj, container: string, q: URLSearchParams): SessionRequest {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot ${kind} into a container in a completed pod; current phase is ${phase}`);
  if (!pod.spec?.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const req: SessionRequest = {
    kind,
    target: { node: pod.spec.nodeName, namespace: pod.metadata.namespace, pod: pod.metadata.name, uid: pod.metadata.uid, container },
    ...sessionStreams(q),
  };
  if (kind === 'exec' && req.command.length === 0) throw badRequest('you must specify at least one command for the container');
  if (!req.stdin && !req.stdout && !req.stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr');
  return req;
}
