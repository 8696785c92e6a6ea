import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

/** The real kubectl (v1.32 on PATH) against a real server on 127.0.0.1 over HTTPS. */
let t: TestServer;
beforeAll(async () => { t = await startTestServer({ store: 'sqlite' }); });
afterAll(async () => { await t?.close(); });

const podYaml = (name: string, image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
${extra}  containers:
  - name: main
    image: ${image}
`;

async function ok(args: string[], opts?: Parameters<TestServer['kubectl']>[1]) {
  const r = await t.kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
const file = async (name: string, text: string) => {
  const p = join(t.dir, name);
  await writeFile(p, text);
  return p;
};

describe('kubectl against the API server', () => {
  it('api-resources lists the served resources with short names', async () => {
    const out = await ok(['api-resources']);
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
  });

  it('apply creates then updates a pod (client-side), and get shows it in every format', async () => {
    const p = await file('web.yaml', podYaml('web', 'nginx:1'));
    expect(await ok(['apply', '-f', p])).toContain('pod/web created');
    await file('web.yaml', podYaml('web', 'nginx:2'));
    expect(await ok(['apply', '-f', p])).toContain('pod/web configured');
    expect(await ok(['get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[0].image}'])).toBe('nginx:2');

    const table = await ok(['get', 'pods']);
    expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(table).toMatch(/^web\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const wide = await ok(['get', 'pods', '-o', 'wide']);
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    const yaml = await ok(['get', 'pod', 'web', '-o', 'yaml']);
    expect(yaml).toContain('generation: 2');
    expect(yaml).toContain('restartPolicy: Always');
    expect(yaml).toContain('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('apply --server-side creates and updates a Deployment, then scale changes its replicas', async () => {
    const deploy = (replicas: number, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, image: ${image}}]
`;
    const p = await file('deploy.yaml', deploy(2, 'nginx:1'));
    expect(await ok(['apply', '--server-side', '-f', p])).toContain('deployment.apps/api serverside-applied');
    await file('deploy.yaml', deploy(3, 'nginx:2'));
    await ok(['apply', '--server-side', '-f', p]);
    const got = (await t.call('GET', '/apis/apps/v1/namespaces/default/deployments/api')).json;
    expect(got.spec.replicas).toBe(3);
    expect(got.spec.template.spec.containers[0].image).toBe('nginx:2');
    expect(got.metadata.generation).toBe(2);
    expect(got.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === 'kubectl' && m.operation === 'Apply')).toBe(true);
    expect(await ok(['scale', 'deployment/api', '--replicas=5'])).toContain('deployment.apps/api scaled');
    expect(await ok(['get', 'deploy', 'api', '-o', 'jsonpath={.spec.replicas}'])).toBe('5');
    expect(await ok(['get', 'deploy', 'api'])).toMatch(/^api\s+0\/5\s+0\s+0\s+\d+s$/m);
  });

  it('label, annotate and patch (strategic, merge, json) change the pod', async () => {
    await ok(['apply', '-f', await file('p1.yaml', podYaml('p1', 'nginx:1'))]);
    await ok(['label', 'pod', 'p1', 'tier=front']);
    await ok(['annotate', 'pod', 'p1', 'note=hello']);
    await ok(['patch', 'pod', 'p1', '-p', '{"spec":{"containers":[{"name":"main","image":"nginx:3"}]}}']);
    await ok(['patch', 'pod', 'p1', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    await ok(['patch', 'pod', 'p1', '--type=json', '-p', '[{"op":"replace","path":"/metadata/annotations/note","value":"bye"}]']);
    const pod = JSON.parse(await ok(['get', 'pod', 'p1', '-o', 'json']));
    expect(pod.metadata.labels).toMatchObject({ app: 'p1', tier: 'front', merged: 'yes' });
    expect(pod.metadata.annotations.note).toBe('bye');
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0].image).toBe('nginx:3');
    const bad = await t.kubectl(['patch', 'pod', 'p1', '--type=json', '-p', '[{"op":"test","path":"/metadata/name","value":"other"}]']);
    expect(bad.code).not.toBe(0);
  });

  it('edit runs KUBE_EDITOR on the object and saves the change', async () => {
    await ok(['apply', '-f', await file('ed.yaml', podYaml('ed', 'nginx:1'))]);
    const out = await ok(['edit', 'pod', 'ed'], { env: { KUBE_EDITOR: 'sed -i -e s/image:\\ nginx:1/image:\\ nginx:edited/' } });
    expect(out).toContain('pod/ed edited');
    expect(await ok(['get', 'pod', 'ed', '-o', 'jsonpath={.spec.containers[0].image}'])).toBe('nginx:edited');
  });

  it('describe pod shows the pod and its events', async () => {
    await ok(['apply', '-f', await file('desc.yaml', podYaml('desc', 'nginx:1'))]);
    const pod = JSON.parse(await ok(['get', 'pod', 'desc', '-o', 'json']));
    const ev = await t.call('POST', '/api/v1/namespaces/default/events', {
      body: {
        apiVersion: 'v1', kind: 'Event', metadata: { name: 'desc.1' }, type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/desc to node-1',
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'desc', uid: pod.metadata.uid, apiVersion: 'v1' },
        source: { component: 'default-scheduler' }, firstTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'), lastTimestamp: new Date().toISOString().replace(/\.\d+Z/, 'Z'), count: 1,
      },
    });
    expect(ev.status).toBe(201);
    const out = await ok(['describe', 'pod', 'desc']);
    expect(out).toMatch(/^Name:\s+desc$/m);
    expect(out).toMatch(/^Status:\s+Pending$/m);
    expect(out).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/desc to node-1/);
  });

  it('describe node and deployment, get nodes', async () => {
    const node = await t.call('POST', '/api/v1/nodes', {
      body: {
        apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-9', labels: { 'node-role.kubernetes.io/worker': '' } },
        status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' }], nodeInfo: { kubeletVersion: 'v1.32.0-peapod', architecture: 'amd64', bootID: 'b', containerRuntimeVersion: 'fake://1', kernelVersion: '6.1', kubeProxyVersion: '', machineID: 'm', operatingSystem: 'linux', osImage: 'Debian', systemUUID: 'u' }, capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' } },
      },
    });
    expect(node.status).toBe(201);
    expect(await ok(['get', 'nodes'])).toMatch(/^node-9\s+Ready\s+worker\s+\d+s\s+v1\.32\.0-peapod$/m);
    expect(await ok(['describe', 'node', 'node-9'])).toMatch(/^Name:\s+node-9$/m);
    await ok(['create', 'deployment', 'described', '--image=nginx:1']);
    expect(await ok(['describe', 'deployment', 'described'])).toMatch(/^Replicas:\s+1 desired/m);
  });

  it('get -w streams the table and later changes', async () => {
    await ok(['apply', '-f', await file('w.yaml', podYaml('watched', 'nginx:1'))]);
    const child = spawn('kubectl', ['get', 'pods', 'watched', '-w', '--request-timeout=10s'], { env: { ...process.env, KUBECONFIG: t.kubeconfig, HOME: t.dir } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const until = async (re: RegExp) => { for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 25)); };
    await until(/watched\s+0\/1\s+Pending/);
    await t.call('PATCH', '/api/v1/namespaces/default/pods/watched/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running', reason: 'Testing' } } });
    await until(/watched\s+0\/1\s+Testing/);
    child.kill();
    expect(out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(out).toMatch(/watched\s+0\/1\s+Pending/);
    expect(out).toMatch(/watched\s+0\/1\s+Testing/);
  });

  it('create deployment, job, cronjob and pdb (protobuf bodies)', async () => {
    expect(await ok(['create', 'deployment', 'imp', '--image=nginx:1', '--replicas=2', '--port=80'])).toContain('deployment.apps/imp created');
    const d = JSON.parse(await ok(['get', 'deploy', 'imp', '-o', 'json']));
    expect(d.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: 'imp' } }, template: { metadata: { labels: { app: 'imp' } } } });
    expect(d.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }] })]);
    expect(await ok(['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'])).toContain('job.batch/once created');
    expect(await ok(['get', 'job', 'once', '-o', 'jsonpath={.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].command}'])).toBe('Never ["echo","hi"]');
    expect(await ok(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'])).toContain('cronjob.batch/tick created');
    expect(await ok(['get', 'cronjob', 'tick', '-o', 'jsonpath={.spec.schedule}'])).toBe('*/5 * * * *');
    expect(await ok(['create', 'pdb', 'imp', '--selector=app=imp', '--min-available=50%'])).toContain('poddisruptionbudget.policy/imp created');
    expect(await ok(['get', 'pdb', 'imp', '-o', 'jsonpath={.spec.minAvailable} {.spec.selector.matchLabels.app}'])).toBe('50% imp');
    await ok(['create', 'pdb', 'imp2', '--selector=app=imp2', '--max-unavailable=1']);
    expect(JSON.parse(await ok(['get', 'pdb', 'imp2', '-o', 'json'])).spec.maxUnavailable).toBe(1);
  });

  it('delete of a bound pod waits until the kubelet finishes it with grace 0', async () => {
    await ok(['apply', '-f', await file('b.yaml', podYaml('bound', 'nginx:1', '  nodeName: node-1\n'))]);
    const deleting = t.kubectl(['delete', 'pod', 'bound', '--timeout=15s']);
    let pod;
    for (let i = 0; i < 100; i++) {
      pod = (await t.call('GET', '/api/v1/namespaces/default/pods/bound')).json;
      if (pod.metadata.deletionTimestamp) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(await ok(['get', 'pod', 'bound'])).toMatch(/bound\s+0\/1\s+Terminating/);
    const fin = await t.call('DELETE', '/api/v1/namespaces/default/pods/bound', { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } });
    expect(fin.status).toBe(200);
    const r = await deleting;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pod "bound" deleted');
    expect((await t.call('GET', '/api/v1/namespaces/default/pods/bound')).status).toBe(404);
  });

  it('explain reads the OpenAPI documents', async () => {
    const out = await ok(['explain', 'pod.spec.containers']);
    expect(out).toMatch(/^KIND:\s+Pod$/m);
    expect(out).toMatch(/^FIELD:\s+containers/m);
    expect(out).toContain('image');
  });

  it('debug adds an ephemeral container to the pod spec', async () => {
    await ok(['apply', '-f', await file('dbg.yaml', podYaml('dbg', 'nginx:1', '  nodeName: node-1\n'))]);
    await ok(['debug', 'dbg', '--image=busybox', '-c', 'debugger']);
    const pod = JSON.parse(await ok(['get', 'pod', 'dbg', '-o', 'json']));
    expect(pod.spec.ephemeralContainers.map((c: { name: string }) => c.name)).toEqual(['debugger']);
    expect(pod.spec.ephemeralContainers[0].image).toBe('busybox');
  });

  it('logs, logs -f and exec go through the node streamer', async () => {
    await ok(['apply', '-f', await file('run.yaml', podYaml('run', 'nginx:1', '  nodeName: node-1\n'))]);
    await t.call('PATCH', '/api/v1/namespaces/default/pods/run/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
    expect(await ok(['logs', 'run'])).toBe('main line 1\nmain line 2\nmain line 3\n');
    expect(await ok(['logs', 'run', '--tail=1'])).toBe('main line 3\n');
    const follow = spawn('kubectl', ['logs', '-f', 'run'], { env: { ...process.env, KUBECONFIG: t.kubeconfig, HOME: t.dir } });
    let out = '';
    follow.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 200 && !out.includes('line 6'); i++) await new Promise((r) => setTimeout(r, 25));
    follow.kill();
    expect(out).toContain('main line 6\n');
    expect(await ok(['exec', 'run', '--', 'echo', 'hi'])).toBe('hi\n');
    const failed = await t.kubectl(['exec', 'run', '--', 'exit', '3']);
    expect(failed.code).toBe(3);
    expect(t.streamer.calls.filter((c) => c.op === 'exec').map((c) => c.command)).toEqual([['echo', 'hi'], ['exit', '3']]);
  });

  it('create namespace, configmap, secret and serviceaccount (protobuf bodies); delete namespace removes its content, then itself', async () => {
    expect(await ok(['create', 'namespace', 'scratch'])).toContain('namespace/scratch created');
    expect(await ok(['-n', 'scratch', 'create', 'configmap', 'cfg', '--from-literal=a=b'])).toContain('configmap/cfg created');
    expect(await ok(['-n', 'scratch', 'create', 'secret', 'generic', 'sec', '--from-literal=pw=s3cret'])).toContain('secret/sec created');
    expect(await ok(['-n', 'scratch', 'create', 'serviceaccount', 'robot'])).toContain('serviceaccount/robot created');
    expect(await ok(['-n', 'scratch', 'get', 'configmap', 'cfg', '-o', 'jsonpath={.data.a}'])).toBe('b');
    expect(Buffer.from(await ok(['-n', 'scratch', 'get', 'secret', 'sec', '-o', 'jsonpath={.data.pw}']), 'base64').toString()).toBe('s3cret');
    expect(await ok(['-n', 'scratch', 'get', 'secrets'])).toMatch(/^sec\s+Opaque\s+1\s+\d+s$/m);
    const r = await t.kubectl(['delete', 'namespace', 'scratch', '--timeout=15s']);
    expect(r.code).toBe(0);
    expect((await t.call('GET', '/api/v1/namespaces/scratch')).status).toBe(404);
    expect((await t.call('GET', '/api/v1/namespaces/scratch/configmaps/cfg')).status).toBe(404);
  });
});
