/**
 * The load generator of `creates.ts`, run as its child process: `clients` keep-alive HTTPS
 * connections POST `total` pods between them, each waiting for its answer before the next. The
 * target comes in BENCH_TARGET; the figures go back over IPC. It imports nothing of Peapod, so a
 * child starts in a fraction of a second. With `warm`, that many creates go first, unmeasured, and
 * the message 'warmed' tells the parent, whose 'go' starts the measured ones.
 */
import { Agent, request } from 'node:https';

export interface LoadSpec { url: string; ca: string; token: string; path: string; clients: number; total: number; prefix: string; warm?: number }
export interface LoadResult { rate: number; p50: number; p99: number }

const body = (name: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
});

function post(agent: Agent, t: LoadSpec, url: URL, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({
      host: url.hostname, port: url.port, method: 'POST', path: t.path, agent, ca: t.ca,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${t.token}` },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function run(t: LoadSpec): Promise<LoadResult> {
  const url = new URL(t.url);
  let seq = 0;
  const agents = Array.from({ length: t.clients }, () => new Agent({ keepAlive: true, maxSockets: 1, ca: t.ca }));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(agents.map(async (agent) => {
    while (next < t.total) {
      next++;
      latencies.push(await post(agent, t, url, body(`bench-${t.prefix}-${seq++}`)));
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  for (const a of agents) a.destroy();
  latencies.sort((a, b) => a - b);
  return { rate: t.total / seconds, p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

if (process.env.BENCH_TARGET && process.send) {
  const spec = JSON.parse(process.env.BENCH_TARGET) as LoadSpec;
  if (spec.warm) {
    await run({ ...spec, total: spec.warm, prefix: `${spec.prefix}-warm` });
    await new Promise((resolve) => { process.once('message', resolve); process.send!('warmed'); });
  }
  const result = await run(spec);
  process.send(result, () => process.exit(0));
}
