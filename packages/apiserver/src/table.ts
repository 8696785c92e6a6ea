/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns
 * `kubectl get` shows for each kind, computed as kubectl's printers compute them. Priority 0 columns
 * are the default view, priority 1 the `-o wide` extras.
 */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Cell = string | number | boolean;

export interface TableColumn { name: string; type: string; format: string; description: string; priority: number }
interface Printer { columns: TableColumn[]; row(obj: Obj, now: number): Cell[] }

const col = (name: string, description: string, priority = 0, type = 'string', format = ''): TableColumn => ({ name, type, format, description, priority });
const NAME = col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name');
const AGE = col('Age', 'Time since the object was created (creationTimestamp).');

/** Kubernetes' HumanDuration: the coarse relative times kubectl shows ("5s", "3m2s", "4h", "2d3h"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / (24 * 365));
  if (h < 24 * 365 * 8) return `${y}y${Math.floor((h % (24 * 365)) / 24)}d`;
  return `${y}y`;
}

const since = (ts: unknown, now: number) => (typeof ts === 'string' && ts ? humanDuration(now - Date.parse(ts)) : '<unknown>');
const age = (o: Obj, now: number) => since(o.metadata?.creationTimestamp, now);
const orNone = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));
const count = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v).length : 0);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const formatSelector = (sel: Obj | undefined): string => {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = String(e.operator ?? '').toLowerCase();
    parts.push(op === 'exists' ? e.key : op === 'doesnotexist' ? `!${e.key}` : `${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return parts.length ? parts.join(',') : '<none>';
};
const images = (tpl: Obj | undefined) => ({
  containers: (tpl?.spec?.containers ?? []).map((c: Obj) => c.name).join(','),
  images: (tpl?.spec?.containers ?? []).map((c: Obj) => c.image).join(','),
});

/** kubectl's pod STATUS column: reason, init progress, waiting/terminated reasons, Terminating. */
export function podStatus(pod: Obj): { status: string; ready: string; restarts: string; lastRestart?: number } {
  const spec = pod.spec ?? {};
  const st = pod.status ?? {};
  let reason: string = st.reason || st.phase || '';
  for (const c of st.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  const inits: Obj[] = spec.initContainers ?? [];
  const sidecars = new Set(inits.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let restarts = 0;
  let sidecarRestarts = 0;
  let ready = 0;
  let lastRestart: number | undefined;
  const noteRestart = (cs: Obj) => {
    const fin = cs.lastState?.terminated?.finishedAt;
    if (fin) lastRestart = Math.max(lastRestart ?? 0, Date.parse(fin));
  };
  let initializing = false;
  const initStatuses: Obj[] = st.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += num(cs.restartCount);
    noteRestart(cs);
    if (sidecars.has(cs.name)) {
      sidecarRestarts += num(cs.restartCount);
      if (cs.started) { if (cs.ready) ready++; continue; }
    }
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    initializing = true;
    if (term) reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    else if (wait?.reason && wait.reason !== 'PodInitializing') reason = `Init:${wait.reason}`;
    else reason = `Init:${i}/${inits.length}`;
    break;
  }
  const initialized = (st.conditions ?? []).some((c: Obj) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    let hasRunning = false;
    const statuses: Obj[] = st.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += num(cs.restartCount);
      noteRestart(cs);
      const term = cs.state?.terminated;
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) { hasRunning = true; ready++; }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (st.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  const terminal = st.phase === 'Succeeded' || st.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';
  const total = (spec.containers ?? []).length + sidecars.size;
  return { status: reason, ready: `${ready}/${total}`, restarts: String(restarts), lastRestart };
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      NAME, col('Ready', 'The number of containers that are ready.'), col('Status', 'The aggregate pod status.'),
      col('Restarts', 'The number of container restarts.'), AGE,
      col('IP', 'The pod IP.', 1), col('Node', 'The node the pod is bound to.', 1),
      col('Nominated Node', 'The node the scheduler nominated for preemption.', 1), col('Readiness Gates', 'Readiness gates that are true.', 1),
    ],
    row(p, now) {
      const s = podStatus(p);
      const restarts = s.lastRestart !== undefined ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : s.restarts;
      const gates: Obj[] = p.spec?.readinessGates ?? [];
      const trueGates = gates.filter((g) => (p.status?.conditions ?? []).some((c: Obj) => c.type === g.conditionType && c.status === 'True')).length;
      return [p.metadata.name, s.ready, s.status, restarts, age(p, now), orNone(p.status?.podIP), orNone(p.spec?.nodeName), orNone(p.status?.nominatedNodeName), gates.length ? `${trueGates}/${gates.length}` : '<none>'];
    },
  },
  nodes: {
    columns: [NAME, col('Status', 'The node readiness.'), col('Roles', 'The node roles.'), AGE, col('Version', 'Kubelet version.'),
      col('Internal-IP', 'Internal address.', 1), col('External-IP', 'External address.', 1), col('OS-Image', 'OS image.', 1), col('Kernel-Version', 'Kernel version.', 1), col('Container-Runtime', 'Container runtime.', 1)],
    row(n, now) {
      const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
      let status = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown';
      if (n.spec?.unschedulable) status += ',SchedulingDisabled';
      const roles = Object.keys(n.metadata?.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(',') || '<none>';
      const addr = (t: string) => orNone((n.status?.addresses ?? []).find((a: Obj) => a.type === t)?.address);
      const ni = n.status?.nodeInfo ?? {};
      return [n.metadata.name, status, roles, age(n, now), ni.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), orNone(ni.osImage), orNone(ni.kernelVersion), orNone(ni.containerRuntimeVersion)];
    },
  },
  namespaces: {
    columns: [NAME, col('Status', 'The namespace phase.'), AGE],
    row: (n, now) => [n.metadata.name, n.status?.phase ?? '', age(n, now)],
  },
  configmaps: {
    columns: [NAME, col('Data', 'Number of entries.', 0, 'integer'), AGE],
    row: (c, now) => [c.metadata.name, count(c.data) + count(c.binaryData), age(c, now)],
  },
  secrets: {
    columns: [NAME, col('Type', 'Secret type.'), col('Data', 'Number of entries.', 0, 'integer'), AGE],
    row: (s, now) => [s.metadata.name, s.type ?? 'Opaque', count(s.data), age(s, now)],
  },
  serviceaccounts: {
    columns: [NAME, col('Secrets', 'Number of secrets.', 0, 'integer'), AGE],
    row: (s, now) => [s.metadata.name, (s.secrets ?? []).length, age(s, now)],
  },
  persistentvolumeclaims: {
    columns: [NAME, col('Status', 'Phase.'), col('Volume', 'Bound volume.'), col('Capacity', 'Capacity.'), col('Access Modes', 'Access modes.'), col('StorageClass', 'Storage class.'), col('VolumeAttributesClass', 'Volume attributes class.'), AGE, col('VolumeMode', 'Volume mode.', 1)],
    row: (p, now) => [p.metadata.name, p.status?.phase ?? '', p.spec?.volumeName ?? '', p.status?.capacity?.storage ?? '', (p.status?.accessModes ?? []).join(','), orNone(p.spec?.storageClassName), orNone(p.spec?.volumeAttributesClassName), age(p, now), p.spec?.volumeMode ?? 'Filesystem'],
  },
  events: {
    columns: [col('Last Seen', 'Time since the last occurrence.'), col('Type', 'Event type.'), col('Reason', 'Short reason.'), col('Object', 'The object involved.'), col('Message', 'Description.'),
      col('Subobject', 'Field path.', 1), col('Source', 'Reporting component.', 1), col('Count', 'Occurrences.', 1), col('First Seen', 'Time since the first occurrence.', 1), NAME],
    row(e, now) {
      const obj = e.involvedObject ?? e.regarding ?? {};
      const last = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata?.creationTimestamp;
      const first = e.firstTimestamp ?? e.eventTime ?? e.deprecatedFirstTimestamp ?? e.metadata?.creationTimestamp;
      const source = e.source?.component ?? e.reportingController ?? e.reportingComponent ?? '';
      return [since(last, now), e.type ?? '', e.reason ?? '', `${String(obj.kind ?? '').toLowerCase()}/${obj.name ?? ''}`, e.message ?? e.note ?? '',
        obj.fieldPath ?? '', source, num(e.count ?? e.deprecatedCount ?? e.series?.count) || 1, since(first, now), e.metadata.name];
    },
  },
  podtemplates: {
    columns: [col('Template', 'Template name.', 0, 'string', 'name'), col('Containers', 'Container names.'), col('Images', 'Images.'), col('Pod Labels', 'Labels of the pods.')],
    row: (t) => { const i = images(t.template); return [t.metadata.name, i.containers, i.images, Object.entries(t.template?.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')]; },
  },
  replicasets: {
    columns: [NAME, col('Desired', 'Desired replicas.', 0, 'integer'), col('Current', 'Current replicas.', 0, 'integer'), col('Ready', 'Ready replicas.', 0, 'integer'), AGE,
      col('Containers', 'Container names.', 1), col('Images', 'Images.', 1), col('Selector', 'Label selector.', 1)],
    row: (r, now) => { const i = images(r.spec?.template); return [r.metadata.name, num(r.spec?.replicas), num(r.status?.replicas), num(r.status?.readyReplicas), age(r, now), i.containers, i.images, formatSelector(r.spec?.selector)]; },
  },
  deployments: {
    columns: [NAME, col('Ready', 'Ready replicas of desired.'), col('Up-to-date', 'Updated replicas.', 0, 'integer'), col('Available', 'Available replicas.', 0, 'integer'), AGE,
      col('Containers', 'Container names.', 1), col('Images', 'Images.', 1), col('Selector', 'Label selector.', 1)],
    row: (d, now) => { const i = images(d.spec?.template); return [d.metadata.name, `${num(d.status?.readyReplicas)}/${num(d.spec?.replicas)}`, num(d.status?.updatedReplicas), num(d.status?.availableReplicas), age(d, now), i.containers, i.images, formatSelector(d.spec?.selector)]; },
  },
  statefulsets: {
    columns: [NAME, col('Ready', 'Ready replicas of desired.'), AGE, col('Containers', 'Container names.', 1), col('Images', 'Images.', 1)],
    row: (s, now) => { const i = images(s.spec?.template); return [s.metadata.name, `${num(s.status?.readyReplicas)}/${num(s.spec?.replicas)}`, age(s, now), i.containers, i.images]; },
  },
  daemonsets: {
    columns: [NAME, col('Desired', 'Desired pods.', 0, 'integer'), col('Current', 'Current pods.', 0, 'integer'), col('Ready', 'Ready pods.', 0, 'integer'), col('Up-to-date', 'Updated pods.', 0, 'integer'), col('Available', 'Available pods.', 0, 'integer'), col('Node Selector', 'Node selector.'), AGE,
      col('Containers', 'Container names.', 1), col('Images', 'Images.', 1), col('Selector', 'Label selector.', 1)],
    row: (d, now) => {
      const s = d.status ?? {};
      const i = images(d.spec?.template);
      const sel = Object.entries(d.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
      return [d.metadata.name, num(s.desiredNumberScheduled), num(s.currentNumberScheduled), num(s.numberReady), num(s.updatedNumberScheduled), num(s.numberAvailable), sel, age(d, now), i.containers, i.images, formatSelector(d.spec?.selector)];
    },
  },
  controllerrevisions: {
    columns: [NAME, col('Controller', 'Owning controller.'), col('Revision', 'Revision.', 0, 'integer'), AGE],
    row: (c, now) => {
      const owner = (c.metadata?.ownerReferences ?? []).find((o: Obj) => o.controller);
      return [c.metadata.name, owner ? `${String(owner.apiVersion).split('/')[0] === 'apps' ? `${owner.kind.toLowerCase()}.apps` : owner.kind.toLowerCase()}/${owner.name}` : '<none>', num(c.revision), age(c, now)];
    },
  },
  jobs: {
    columns: [NAME, col('Status', 'Job status.'), col('Completions', 'Succeeded of desired.'), col('Duration', 'Run time.'), AGE,
      col('Containers', 'Container names.', 1), col('Images', 'Images.', 1), col('Selector', 'Label selector.', 1)],
    row(j, now) {
      const s = j.status ?? {};
      const cond = (t: string) => (s.conditions ?? []).some((c: Obj) => c.type === t && c.status === 'True');
      const status = cond('Failed') ? 'Failed' : cond('Complete') ? 'Complete' : cond('Suspended') ? 'Suspended' : cond('FailureTarget') ? 'FailureTarget' : cond('SuccessCriteriaMet') ? 'SuccessCriteriaMet' : j.metadata?.deletionTimestamp ? 'Terminating' : 'Running';
      const completions = j.spec?.completions !== undefined && j.spec?.completions !== null ? `${num(s.succeeded)}/${j.spec.completions}` : `${num(s.succeeded)}/1 of ${num(j.spec?.parallelism) || 1}`;
      const start = s.startTime ? Date.parse(s.startTime) : undefined;
      const end = s.completionTime ? Date.parse(s.completionTime) : now;
      const i = images(j.spec?.template);
      return [j.metadata.name, status, completions, start !== undefined ? humanDuration(end - start) : '', age(j, now), i.containers, i.images, formatSelector(j.spec?.selector)];
    },
  },
  cronjobs: {
    columns: [NAME, col('Schedule', 'Cron schedule.'), col('Timezone', 'Time zone.'), col('Suspend', 'Suspended.', 0, 'boolean'), col('Active', 'Active jobs.', 0, 'integer'), col('Last Schedule', 'Time since last schedule.'), AGE,
      col('Containers', 'Container names.', 1), col('Images', 'Images.', 1), col('Selector', 'Label selector.', 1)],
    row: (c, now) => {
      const i = images(c.spec?.jobTemplate?.spec?.template);
      return [c.metadata.name, c.spec?.schedule ?? '', orNone(c.spec?.timeZone), Boolean(c.spec?.suspend), (c.status?.active ?? []).length, since(c.status?.lastScheduleTime, now), age(c, now), i.containers, i.images, formatSelector(c.spec?.jobTemplate?.spec?.selector)];
    },
  },
  poddisruptionbudgets: {
    columns: [NAME, col('Min Available', 'Minimum available.'), col('Max Unavailable', 'Maximum unavailable.'), col('Allowed Disruptions', 'Disruptions allowed now.', 0, 'integer'), AGE],
    row: (p, now) => [p.metadata.name, p.spec?.minAvailable !== undefined ? String(p.spec.minAvailable) : 'N/A', p.spec?.maxUnavailable !== undefined ? String(p.spec.maxUnavailable) : 'N/A', num(p.status?.disruptionsAllowed), age(p, now)],
  },
  leases: {
    columns: [NAME, col('Holder', 'Holder identity.'), AGE],
    row: (l, now) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l, now)],
  },
};
const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], row: (o, now) => [o.metadata?.name ?? '', age(o, now)] };

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumn[];
  rows: Array<{ cells: Cell[]; object?: unknown }>;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Builds a Table; `withColumns` false omits column definitions (watch events after the first). */
export function toTable(resource: string, items: Obj[], opts: { now: number; includeObject: IncludeObject; withColumns: boolean; listMeta?: Table['metadata'] }): Table {
  const printer = PRINTERS[resource] ?? DEFAULT_PRINTER;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta ?? {},
    columnDefinitions: opts.withColumns ? printer.columns : [],
    rows: items.map((item) => ({
      cells: printer.row(item, opts.now),
      ...(opts.includeObject === 'None' ? {} : {
        object: opts.includeObject === 'Object' ? item : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata },
      }),
    })),
  };
}
