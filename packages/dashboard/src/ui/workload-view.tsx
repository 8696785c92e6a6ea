import type { Deployment, Job, Pod, ReplicaSet } from '@peapod/api-types';
import { useRef } from 'preact/hooks';
import { podState } from './cluster.js';
import { href, useListWatch, useNow } from './hooks.js';
import { observePod } from './pod-history.js';

const byName = (name: string) => `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
const REVISION = 'deployment.kubernetes.io/revision';
const ownedBy = (uid: string | undefined) => (o: { metadata: { ownerReferences?: { uid: string; controller?: boolean }[] } }) =>
  uid !== undefined && (o.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === uid);

interface Sample { at: number; values: Record<string, { replicas: number; ready: number }> }

const MAX_SAMPLES = 1000;

/** Keeps one sample per change, stamped when it rendered, so the bars show a rollout over time. */
function useSamples(current: Sample['values']): Sample[] {
  const samples = useRef<Sample[]>([]);
  const last = samples.current.at(-1);
  if (!last && !Object.keys(current).length) return samples.current;
  if (!last || JSON.stringify(last.values) !== JSON.stringify(current)) {
    samples.current.push({ at: Date.now(), values: current });
    if (samples.current.length > MAX_SAMPLES) samples.current.splice(1, 1);
  }
  return samples.current;
}

/** Bars over time: one row per series; each bar's height is its replicas, the dark part the ready ones. */
function Bars({ samples, series, max, now }: { samples: Sample[]; series: { key: string; label: string; tone: string }[]; max: number; now: number }) {
  const start = samples[0]?.at ?? now;
  // Samples are stamped at render time, which may be after the last clock tick.
  const end = Math.max(now, samples.at(-1)?.at ?? now);
  const span = Math.max(1000, end - start);
  const latest = (key: string) => {
    const v = samples.at(-1)?.values[key];
    return v ? `${v.ready}/${v.replicas} ready` : '0';
  };
  return (
    <div class="bars">
      {series.map((s) => (
        <div class="bar-row" key={s.key} data-series={s.key}>
          <div class="label"><b>{s.label}</b></div>
          <svg viewBox="0 0 1000 60" preserveAspectRatio="none">
            {samples.map((p, i) => {
              const v = p.values[s.key];
              if (!v) return null;
              const x0 = (1000 * (p.at - start)) / span;
              const x1 = (1000 * ((samples[i + 1]?.at ?? end) - start)) / span;
              const h = (v: number) => (56 * v) / Math.max(1, max);
              return (
                <g key={p.at}>
                  <rect class={`bar ${s.tone}`} x={x0} width={Math.max(2, x1 - x0)} y={60 - h(v.replicas)} height={h(v.replicas)} />
                  <rect class={`bar ${s.tone} ready`} x={x0} width={Math.max(2, x1 - x0)} y={60 - h(v.ready)} height={h(v.ready)} />
                </g>
              );
            })}
          </svg>
          <small>{latest(s.key)}</small>
        </div>
      ))}
    </div>
  );
}

/** Two streams: the Deployment and the ReplicaSets of its namespace (filtered by controller). */
export function DeploymentView({ namespace, name }: { namespace: string; name: string }) {
  const deployments = useListWatch<Deployment>(`/apis/apps/v1/namespaces/${namespace}/deployments?${byName(name)}`);
  const replicaSets = useListWatch<ReplicaSet>(`/apis/apps/v1/namespaces/${namespace}/replicasets`);
  const now = useNow(500);
  const d = deployments.items[0];
  const mine = replicaSets.items.filter(ownedBy(d?.metadata.uid)).sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
  const values = Object.fromEntries(mine.map((rs) => [(rs.metadata.name ?? ''), { replicas: rs.status?.replicas ?? 0, ready: rs.status?.readyReplicas ?? 0 }]));
  const samples = useSamples(values);
  if (!d) return <p class="muted">{deployments.synced ? `Deployment ${namespace}/${name} does not exist.` : 'loading…'}</p>;
  const newest = mine.at(-1)?.metadata.name;
  const seen = [...new Set(samples.flatMap((s) => Object.keys(s.values)))];
  const max = Math.max(d.spec?.replicas ?? 1, ...samples.flatMap((s) => Object.values(s.values).map((v) => v.replicas)));
  const st = d.status;
  return (
    <div class="workload">
      <h2>Deployment {namespace}/{name}</h2>
      <p data-deployment-status>{st?.updatedReplicas ?? 0} updated · {st?.readyReplicas ?? 0} ready · {st?.availableReplicas ?? 0} available of {d.spec?.replicas ?? 1} · strategy {d.spec?.strategy?.type ?? 'RollingUpdate'}</p>
      <p>{(st?.conditions ?? []).map((c) => <span key={c.type} class={`badge ${c.status === 'True' ? 'ok' : 'warn'}`} title={c.message}>{c.type}: {c.reason}</span>)}</p>
      <h3>Rollout: ReplicaSets over time</h3>
      <Bars samples={samples} now={now} max={max}
        series={seen.map((rs) => ({ key: rs, label: `${rs} ${rs === newest ? '(new)' : '(old)'}`, tone: rs === newest ? 'new' : 'old' }))} />
    </div>
  );
}

const finishedAt = (p: Pod) => Math.max(...[...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map((c) => Date.parse(c.state?.terminated?.finishedAt ?? '') || 0));

/** One row per pod of the Job, from its start to its end, coloured by outcome: completions and failures over time. */
function PodRuns({ pods, now }: { pods: Pod[]; now: number }) {
  const runs = pods.map((p) => {
    const start = Date.parse(p.status?.startTime ?? p.metadata.creationTimestamp ?? '') || now;
    const done = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    return { p, start, end: done ? Math.max(start, finishedAt(p)) : now, tone: p.status?.phase === 'Failed' ? 'bad' : done ? 'done' : 'new' };
  });
  const t0 = Math.min(...runs.map((r) => r.start));
  const span = Math.max(1000, Math.max(...runs.map((r) => r.end)) - t0);
  return (
    <div class="bars">
      {runs.map(({ p, start, end, tone }) => {
        const s = podState(p);
        return (
          <div class="bar-row" key={p.metadata.uid} data-run={p.metadata.name}>
            <div class="label"><a href={href('pods', (p.metadata.namespace ?? ''), (p.metadata.name ?? ''))}>{p.metadata.name}</a></div>
            <svg viewBox="0 0 1000 20" preserveAspectRatio="none" class="runs">
              <rect class={`bar ready ${tone}`} x={(1000 * (start - t0)) / span} width={Math.max(3, (1000 * (end - start)) / span)} y={2} height={16} />
            </svg>
            <span class={`badge ${s.tone}`}>{s.text}</span>
          </div>
        );
      })}
    </div>
  );
}

/** Two streams: the Job and its namespace's pods (filtered by controller). */
export function JobView({ namespace, name }: { namespace: string; name: string }) {
  const jobs = useListWatch<Job>(`/apis/batch/v1/namespaces/${namespace}/jobs?${byName(name)}`);
  const pods = useListWatch<Pod>(`/api/v1/namespaces/${namespace}/pods`, observePod);
  const now = useNow(500);
  const j = jobs.items[0];
  if (!j) return <p class="muted">{jobs.synced ? `Job ${namespace}/${name} does not exist.` : 'loading…'}</p>;
  const st = j.status;
  const completions = j.spec?.completions ?? 1;
  const mine = pods.items.filter(ownedBy(j.metadata.uid)).sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  const bad = new Set(['Failed', 'FailureTarget', 'Suspended']);
  return (
    <div class="workload">
      <h2>Job {namespace}/{name}</h2>
      <p data-job-progress>{st?.succeeded ?? 0}/{completions} completions · {st?.failed ?? 0} failed (backoffLimit {j.spec?.backoffLimit ?? 6}) · {st?.active ?? 0} active</p>
      <div class="progress"><div class="done" style={{ width: `${(100 * (st?.succeeded ?? 0)) / completions}%` }} /><div class="failed" style={{ width: `${(100 * (st?.failed ?? 0)) / Math.max(completions, (j.spec?.backoffLimit ?? 6) + 1)}%` }} /></div>
      <p>{(st?.conditions ?? []).filter((c) => c.status === 'True').map((c) => <span key={c.type} class={`badge ${bad.has(c.type) ? 'bad' : 'ok'}`} title={c.message}>{c.type}{c.reason ? `: ${c.reason}` : ''}</span>)}</p>
      <h3>Pods over time</h3>
      {mine.length ? <PodRuns pods={mine} now={now} /> : <p class="muted">no pods</p>}
    </div>
  );
}
