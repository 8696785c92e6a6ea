import type { Namespace, Node, Pod, ReplicaSet } from '@peapod/api-types';
import { useState } from 'preact/hooks';
import { age, formatAmount, groupByOwner, nodeUsage, podState, readyCount, restartCount, type OwnerGroup } from './cluster.js';
import { href, useListWatch, useNow } from './hooks.js';
import { observePod } from './pod-history.js';

/** Four streams: nodes, namespaces, pods and ReplicaSets (to find each ReplicaSet's Deployment). */
export function ClusterView() {
  const nodes = useListWatch<Node>('/api/v1/nodes');
  const namespaces = useListWatch<Namespace>('/api/v1/namespaces');
  const pods = useListWatch<Pod>('/api/v1/pods', observePod);
  const replicaSets = useListWatch<ReplicaSet>('/apis/apps/v1/replicasets');
  const [ns, setNs] = useState('');
  const now = useNow();
  const shown = ns ? pods.items.filter((p) => p.metadata.namespace === ns) : pods.items;
  const error = nodes.error ?? pods.error;
  return (
    <div class="cluster">
      {error && <p class="error">{error}</p>}
      <section>
        <h2>Nodes</h2>
        <table class="nodes">
          <thead><tr><th>Name</th><th>Status</th><th>CPU requested</th><th>Memory requested</th><th>Pods</th><th>Taints</th></tr></thead>
          <tbody>
            {nodeUsage(nodes.items, pods.items).sort((a, b) => (a.node.metadata.name ?? '').localeCompare((b.node.metadata.name ?? ''))).map((u) => (
              <tr key={u.node.metadata.uid} data-node={u.node.metadata.name}>
                <td>{u.node.metadata.name}</td>
                <td><span class={`badge ${u.ready ? 'ok' : 'bad'}`}>{u.ready ? 'Ready' : 'NotReady'}</span>{u.node.spec?.unschedulable && <span class="badge warn">SchedulingDisabled</span>}</td>
                {u.resources.map((r) => (
                  <td key={r.name}>
                    <div class="meter" title={`${formatAmount(r.name, r.requested)} of ${formatAmount(r.name, r.capacity)}`}>
                      <div style={{ width: `${Math.min(100, r.capacity ? (100 * r.requested) / r.capacity : 0)}%` }} />
                    </div>
                    <small>{formatAmount(r.name, r.requested)} / {formatAmount(r.name, r.capacity)}</small>
                  </td>
                ))}
                <td>{(u.node.spec?.taints ?? []).map((t) => <code key={t.key + t.effect}>{t.key}{t.value ? `=${t.value}` : ''}:{t.effect}</code>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Namespaces</h2>
        <div class="chips">
          <button class={ns === '' ? 'chip on' : 'chip'} onClick={() => setNs('')}>all</button>
          {namespaces.items.map((n) => (n.metadata.name ?? '')).sort().map((name) => (
            <button key={name} class={ns === name ? 'chip on' : 'chip'} onClick={() => setNs(name)}>
              {name} <small>{pods.items.filter((p) => p.metadata.namespace === name).length}</small>
            </button>
          ))}
        </div>
      </section>
      <section>
        <h2>Pods <small>{pods.synced ? `${shown.length}` : 'loading…'}</small></h2>
        <div class="groups">
          {groupByOwner(shown, replicaSets.items).map((g) => <Group key={`${g.namespace}/${g.kind}/${g.name}`} group={g} now={now} />)}
        </div>
      </section>
    </div>
  );
}

function groupLink(g: OwnerGroup): string | undefined {
  if (g.kind === 'Deployment') return href('deployments', g.namespace, g.name);
  if (g.kind === 'Job') return href('jobs', g.namespace, g.name);
  return undefined;
}

function Group({ group: g, now }: { group: OwnerGroup; now: number }) {
  const link = groupLink(g);
  const title = g.kind ? `${g.kind} ${g.name}` : 'Pods without an owner';
  return (
    <div class="group" data-owner={`${g.kind}/${g.name}`}>
      <h3>
        {link ? <a href={link}>{title}</a> : title} <small>{g.namespace}{g.via.length ? ` · via ${g.via.join(', ')}` : ''}</small>
      </h3>
      <table class="pods">
        <tbody>
          {g.pods.sort((a, b) => (a.metadata.name ?? '').localeCompare((b.metadata.name ?? ''))).map((p) => {
            const s = podState(p);
            return (
              <tr key={p.metadata.uid} data-pod={p.metadata.name}>
                <td><a href={href('pods', (p.metadata.namespace ?? ''), (p.metadata.name ?? ''))}>{p.metadata.name}</a></td>
                <td><span class={`badge ${s.tone}`} data-phase={p.status?.phase}>{s.text}</span></td>
                <td title="ready containers">{readyCount(p)}</td>
                <td title="restarts">{restartCount(p)} ↻</td>
                <td>{p.spec?.nodeName ?? '—'}</td>
                <td>{age(p.metadata.creationTimestamp, now)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
