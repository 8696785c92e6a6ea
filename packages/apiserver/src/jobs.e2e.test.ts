import { RESOURCES, type Job } from '@peapod/api-types';
import { createClient } from '@peapod/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

let t: TestServer;
beforeAll(async () => { t = await startTestServer(); });
afterAll(async () => { await t?.close(); });

const job = (name: string, spec: Record<string, unknown> = {}): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'default' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
} as Job);

it('generates a Job\'s selector from its uid and labels its pod template, so the selector matches only its own pods', async () => {
  const jobs = createClient(t.server.transport()).resource(RESOURCES.jobs);
  const created = await jobs.create(job('hello'), { namespace: 'default' });
  const uid = created.metadata.uid!;
  expect(created.spec?.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
  expect(created.spec?.template.metadata?.labels).toEqual({
    'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'hello', 'controller-uid': uid, 'job-name': 'hello',
  });
});

it('keeps a manual selector as given', async () => {
  const jobs = createClient(t.server.transport()).resource(RESOURCES.jobs);
  const manual = job('manual', { manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } });
  const created = await jobs.create(manual, { namespace: 'default' });
  expect(created.spec?.selector).toEqual({ matchLabels: { app: 'x' } });
  expect(created.spec?.template.metadata?.labels).toEqual({ app: 'x' });
});
