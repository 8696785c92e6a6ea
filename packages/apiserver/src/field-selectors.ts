import { badRequest, parseFieldSelector } from '@peapod/api-types';
import type { ServedResource } from './registry.js';

/**
 * The field selectors each kind supports (kube-apiserver's per-kind field label sets); every kind
 * supports metadata.name and metadata.namespace. Anything else is a 400, as Kubernetes answers.
 */
const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  '/pods': ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  '/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  'events.k8s.io/events': ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'regarding.apiVersion', 'regarding.resourceVersion', 'regarding.fieldPath', 'reason', 'reportingController', 'type'],
  '/nodes': ['spec.unschedulable'],
  '/namespaces': ['status.phase'],
  '/secrets': ['type'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
};

/** events.k8s.io field names as stored (core Event fields). */
const EVENTS_V1_STORED: Readonly<Record<string, string>> = { regarding: 'involvedObject', reportingController: 'reportingComponent' };

/**
 * Checks a field selector against what the resource supports and returns it in terms of the
 * stored object (events.k8s.io selectors name core Event fields once stored). Undefined stays undefined.
 */
export function checkFieldSelector(r: ServedResource, selector: string | undefined): string | undefined {
  if (!selector) return selector;
  const matcher = parseFieldSelector(selector);
  const allowed = SUPPORTED[`${r.info.group}/${r.info.plural}`] ?? [];
  for (const req of matcher.requirements) {
    if (req.field !== 'metadata.name' && req.field !== 'metadata.namespace' && !allowed.includes(req.field)) {
      throw badRequest(`field label not supported: ${req.field}`);
    }
  }
  if (!r.conversion) return selector;
  return matcher.requirements
    .map((q) => {
      const [head, ...rest] = q.field.split('.');
      const field = [EVENTS_V1_STORED[head] ?? head, ...rest].join('.');
      return `${field}${q.operator}${q.value.replace(/[\\,=]/g, (c) => `\\${c}`)}`;
    })
    .join(',');
}
