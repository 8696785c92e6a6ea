import type { Event, Pod } from '@peapod/api-types';
import { useEffect, useRef, useState } from 'preact/hooks';
import { stringify } from 'yaml';
import { lines } from './api.js';
import { podState } from './cluster.js';
import { href, useListWatch, useNow } from './hooks.js';
import { historyOf, observePod } from './pod-history.js';
import { buildTimeline, eventTime, type PodTimeline } from './timeline.js';

const selector = (fields: Record<string, string>) => `fieldSelector=${encodeURIComponent(Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(','))}`;

/** Three streams: the pod, its Events, and the log of one container. */
export function PodView({ namespace, name }: { namespace: string; name: string }) {
  const eventVersions = useRef<Event[]>([]);
  const pods = useListWatch<Pod>(`/api/v1/namespaces/${namespace}/pods?${selector({ 'metadata.name': name })}`, observePod);
  const events = useListWatch<Event>(`/api/v1/namespaces/${namespace}/events?${selector({ 'involvedObject.kind': 'Pod', 'involvedObject.name': name })}`, (ev) => {
    if (ev.type !== 'DELETED') eventVersions.current.push(ev.object);
  });
  const now = useNow(500);
  const pod = pods.items[0];
  if (!pod) return <p class="muted">{pods.synced ? `Pod ${namespace}/${name} does not exist (yet).` : 'loading…'}</p>;
  const uid = pod.metadata.uid;
  const timeline = buildTimeline(historyOf(uid ?? ''), eventVersions.current.filter((e) => e.involvedObject.uid === uid || !e.involvedObject.uid), now);
  const s = podState(pod);
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name);
  return (
    <div class="pod">
      <h2>
        Pod {namespace}/{name} <span class={`badge ${s.tone}`} data-phase={pod.status?.phase}>{s.text}</span>
        <small>{pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ' not scheduled'}{owner && <> · {owner.kind === 'Job' ? <a href={href('jobs', namespace, owner.name)}>{owner.kind} {owner.name}</a> : `${owner.kind} ${owner.name}`}</>}</small>
      </h2>
      {timeline && <Timeline t={timeline} />}
      <section>
        <h3>Events</h3>
        <table class="events">
          <tbody>
            {[...events.items].filter((e) => e.involvedObject.uid === uid || !e.involvedObject.uid).sort((a, b) => eventTime(a) - eventTime(b)).map((e) => (
              <tr key={e.metadata.uid} class={e.type === 'Warning' ? 'warning' : ''}>
                <td>{new Date(eventTime(e)).toLocaleTimeString()}</td><td>{e.type}</td><td>{e.reason}{(e.count ?? 1) > 1 ? ` ×${e.count}` : ''}</td><td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Logs key={uid} namespace={namespace} name={name} containers={containers} />
      <section class="yaml">
        <div><h3>spec</h3><pre>{stringify(pod.spec ?? {})}</pre></div>
        <div><h3>status</h3><pre>{stringify(pod.status ?? {})}</pre></div>
      </section>
    </div>
  );
}

const KIND_LABEL = { init: 'init', sidecar: 'sidecar', main: 'container', ephemeral: 'ephemeral' } as const;
const clock = (t: number) => new Date(t).toLocaleTimeString([], { hour12: false });

/** Lanes over a shared time axis; positions are percentages of [start, end]. */
function Timeline({ t }: { t: PodTimeline }) {
  const span = t.end - t.start;
  const x = (at: number) => `${(100 * (at - t.start)) / span}%`;
  const w = (from: number, to: number) => `max(2px, ${(100 * (to - from)) / span}%)`;
  const ticks = Array.from({ length: 5 }, (_, i) => t.start + (span * i) / 4);
  return (
    <section class="timeline">
      <h3>Timeline</h3>
      <div class="axis">{ticks.map((at) => <span key={at} style={{ left: x(at) }}>{clock(at)}</span>)}</div>
      {t.lanes.map((l) => (
        <div class="lane" key={l.name} data-lane={l.name} data-kind={l.kind} data-restarts={l.restarts}>
          <div class="label"><b>{l.name}</b><small>{KIND_LABEL[l.kind]}{l.restarts ? ` · ${l.restarts} restart${l.restarts > 1 ? 's' : ''}` : ''}</small></div>
          <div class="track">
            {l.segments.map((s) => (
              <div class={`seg ${s.state}`} key={`${s.state}${s.from}`} data-state={s.state} data-from={s.from} data-to={s.to} data-reason={s.reason ?? ''}
                style={{ left: x(s.from), width: w(s.from, s.to) }} title={`${s.state}${s.reason ? ` (${s.reason})` : ''}${s.exitCode !== undefined ? ` exit ${s.exitCode}` : ''}: ${clock(s.from)} – ${s.ongoing ? 'now' : clock(s.to)}`}>
                <span>{s.state === 'running' ? 'Running' : s.state === 'terminated' ? `Terminated${s.exitCode !== undefined ? ` ${s.exitCode}` : ''}` : s.reason}</span>
              </div>
            ))}
            {l.marks.map((m, i) => (
              <div class={`mark ${m.kind}${m.warning ? ' warning' : ''}`} key={i} data-mark={m.label} style={{ left: x(m.at) }} title={`${clock(m.at)} ${m.label}${m.detail ? `: ${m.detail}` : ''}`} />
            ))}
          </div>
        </div>
      ))}
      {t.conditions.map((c) => (
        <div class="lane condition" key={c.type} data-condition={c.type}>
          <div class="label"><b>{c.type}</b><small>condition</small></div>
          <div class="track">
            {c.segments.map((s) => (
              <div class={`seg cond-${s.status}`} key={s.from} data-status={s.status} style={{ left: x(s.from), width: w(s.from, s.to) }} title={`${c.type}=${s.status}${s.reason ? ` (${s.reason})` : ''} since ${clock(s.from)}`}>
                <span>{s.status}{s.reason ? ` ${s.reason}` : ''}</span>
              </div>
            ))}
          </div>
        </div>
      ))}
      {t.podEvents.length > 0 && (
        <div class="lane" data-lane-events>
          <div class="label"><b>events</b><small>pod</small></div>
          <div class="track">
            {t.podEvents.map((m, i) => <div class={`mark event${m.warning ? ' warning' : ''}`} key={i} data-mark={m.label} style={{ left: x(m.at) }} title={`${clock(m.at)} ${m.label}: ${m.detail ?? ''}`} />)}
          </div>
        </div>
      )}
      <p class="legend"><i class="seg waiting" /> waiting <i class="seg running" /> running <i class="seg terminated" /> terminated <i class="mark exit warning" /> exit ≠ 0 <i class="mark event" /> event</p>
    </section>
  );
}

const MAX_LOG_CHARS = 200_000;

/** Follows one container's log (the API's `log?follow=true`); switching containers restarts the stream. */
function Logs({ namespace, name, containers }: { namespace: string; name: string; containers: string[] }) {
  const [container, setContainer] = useState(containers[containers.length - 1]);
  const [text, setText] = useState('');
  useEffect(() => {
    const abort = new AbortController();
    setText('');
    void (async () => {
      let acc = '';
      // A container that has not started yet answers 400: try again until it has output.
      while (!abort.signal.aborted) {
        try {
          for await (const line of lines(`/api/v1/namespaces/${namespace}/pods/${name}/log?follow=true&tailLines=500&container=${encodeURIComponent(container)}`, abort.signal)) {
            acc = `${acc}${line}\n`.slice(-MAX_LOG_CHARS);
            setText(acc);
          }
          return;
        } catch (err) {
          if (!abort.signal.aborted) setText(`${acc}[${(err as Error).message}]\n`);
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    })();
    return () => abort.abort();
  }, [namespace, name, container]);
  return (
    <section class="logs">
      <h3>Logs {containers.map((c) => <button key={c} class={c === container ? 'chip on' : 'chip'} onClick={() => setContainer(c)}>{c}</button>)}</h3>
      <pre data-log={container}>{text || '(no output yet)'}</pre>
    </section>
  );
}
