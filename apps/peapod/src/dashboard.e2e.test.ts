import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARD_DIST, dashboardAssets } from '@peapod/dashboard';
import { eventually, examples, kubectl, startUp, tempDir, type RunningUp } from './testing/cli.js';

/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
 * `peapod up` started from source. Screenshots go to test-artifacts/ (git-ignored).
 */

const CHROMIUM = '/usr/bin/chromium';
const pkg = join(DASHBOARD_DIST, '../..');
const artifacts = join(pkg, 'test-artifacts');
const BUDGET_BYTES = 2 * 1024 * 1024;

let up: RunningUp;
let base: string;
let context: BrowserContext;
let page: Page;
let token: string;

const get = (url: string, ca: string) => new Promise<IncomingMessage>((res, rej) => httpsRequest(url, { ca }, res).on('error', rej).end());

/** Exits on SIGTERM, so pods stop at once instead of after their grace period (PID 1 ignores it otherwise). */
const UNTIL_TERM = 'trap "exit 0" TERM; while :; do sleep 1; done';
const deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
  spec: {
    replicas: 3, selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'web', image: 'nginx:1.14.2', command: ['sh', '-c', UNTIL_TERM] }] } },
  },
};

const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

describe('dashboard in a browser against peapod up', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's browser with \`apt-get install -y chromium\` (tools/setup.sh does)`);
    mkdirSync(artifacts, { recursive: true });
    const [started] = await Promise.all([
      startUp(tempDir('peapod-dashboard-')),
      build({ configFile: join(pkg, 'vite.config.ts') }),
    ]);
    up = started;
    const kc = parse(readFileSync(up.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
    const { server, 'certificate-authority-data': caData } = kc.clusters[0].cluster;
    token = readFileSync(join(up.dataDir, 'pki/admin.token'), 'utf8').trim();
    // `peapod up` serves the dashboard on the API server's own port.
    const probe = await get(`${server}/ui/`, Buffer.from(caData, 'base64').toString());
    probe.resume();
    expect([probe.statusCode, String(probe.headers['content-type'])]).toEqual([200, 'text/html; charset=utf-8']);
    base = server;
    context = await chromium.launchPersistentContext(tempDir('peapod-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    // Pods outlive `peapod up` (as containers outlive a kubelet restart): remove them first, once
    // their controllers are gone so that none is recreated.
    if (up) {
      await kubectl(up.kubeconfig, ['delete', 'deployment,replicaset,job', '--all', '--cascade=orphan', '--timeout=20s']).catch(() => undefined);
      await kubectl(up.kubeconfig, ['delete', 'pod', '--all', '--grace-period=1', '--timeout=20s']).catch(() => undefined);
    }
    await up?.stop();
  }, 60_000);

  it('the built assets stay under the 2 MB budget', () => {
    const { totalBytes } = dashboardAssets();
    console.log(`dashboard assets: ${(totalBytes / 1024).toFixed(1)} KiB (budget ${BUDGET_BYTES / 1024 / 1024} MiB)`);
    expect(totalBytes).toBeLessThan(BUDGET_BYTES);
  });

  it('asks for the token, then shows the node and a pod created with kubectl appears live', async () => {
    await page.goto(`${base}/ui/`);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    await page.getByText('That token was not accepted.').waitFor();
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.locator('tr[data-node] .badge', { hasText: 'Ready' }).waitFor();
    await kubectl(up.kubeconfig, ['run', 'dash-live', '--image=busybox', '--restart=Never', '--', 'sh', '-c', `echo hello from dash-live; ${UNTIL_TERM}`]);
    const row = page.locator('tr[data-pod="dash-live"]');
    await row.waitFor({ timeout: 15_000 });
    await row.locator('.badge', { hasText: 'Running' }).waitFor({ timeout: 20_000 });
    await shot('cluster-view');
  });

  // The seeds' sidecar only stops at the end of its 30 s grace period (it ignores SIGTERM as PID 1).
  it('draws the sidecar Job: the sidecar starts first and stops last', async () => {
    // The cluster view stays open while both pods run, so their transitions are seen live.
    await kubectl(up.kubeconfig, ['apply', '-f', join(examples, 'job-sidecar.yaml')]);
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crasher' },
      spec: { restartPolicy: 'Always', containers: [{ name: 'crash', image: 'busybox', command: ['sh', '-c', 'echo crashing; exit 1'] }] },
    }) });
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    await page.locator('.group[data-owner="Job/myjob"] .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    await shot('cluster-groups');

    await page.locator('.group[data-owner="Job/myjob"] h3 a').click();
    await page.locator('[data-job-progress]', { hasText: '1/1 completions · 0 failed' }).waitFor({ timeout: 10_000 });
    await page.locator('.badge', { hasText: 'Complete' }).waitFor();
    await shot('job-view');
    await page.locator('.bar-row[data-run] .badge', { hasText: 'Succeeded' }).waitFor();
    await page.locator('.bar-row[data-run] a').click();
    const sidecar = page.locator('.lane[data-lane="logshipper"]');
    const main = page.locator('.lane[data-lane="myjob"]');
    await expect(sidecar.getAttribute('data-kind')).resolves.toBe('sidecar');
    const running = async (lane: typeof sidecar) => {
      const seg = lane.locator('.seg[data-state="running"]').first();
      return { from: Number(await seg.getAttribute('data-from')), to: Number(await seg.getAttribute('data-to')) };
    };
    const [s, m] = [await running(sidecar), await running(main)];
    expect(s.from).toBeLessThan(m.from);
    expect(s.to).toBeGreaterThan(m.to);
    await expect(main.locator('.mark.exit').first().getAttribute('data-mark')).resolves.toMatch(/^exit 0/);
    await page.locator('.lane[data-condition="Ready"]').waitFor();
    await shot('pod-sidecar-job');
  }, 90_000);

  it('shows the crash-looping pod (created with the Job) restarting with back-off', async () => {
    await page.goto(`${base}/ui/#/pods/default/crasher`);
    const lane = page.locator('.lane[data-lane="crash"]');
    await eventually(async () => Number(await lane.getAttribute('data-restarts')) >= 1, 40_000, 'a restart of the crash-looping container');
    await lane.locator('.seg[data-state="waiting"][data-reason="CrashLoopBackOff"]').first().waitFor({ timeout: 20_000 });
    expect(await lane.locator('.mark.exit.warning[data-mark^="exit 1"]').count()).toBeGreaterThanOrEqual(1);
    await page.locator('pre[data-log="crash"]', { hasText: 'crashing' }).waitFor({ timeout: 10_000 });
    await shot('pod-crash-loop');
  }, 60_000);

  it('draws a Deployment rollout as old and new ReplicaSet bars', async () => {
    await page.goto(`${base}/ui/#/deployments/default/web`);
    await page.locator('[data-deployment-status]', { hasText: '3 ready' }).waitFor({ timeout: 30_000 });
    await kubectl(up.kubeconfig, ['set', 'image', 'deployment/web', 'web=nginx:1.16']);
    const rows = page.locator('.bar-row[data-series]');
    await eventually(async () => (await rows.count()) === 2, 20_000, 'a second ReplicaSet');
    const oldRow = page.locator('.bar-row', { hasText: '(old)' });
    const newRow = page.locator('.bar-row', { hasText: '(new)' });
    await newRow.getByText('3/3 ready').waitFor({ timeout: 30_000 });
    await oldRow.getByText('0/0 ready').waitFor({ timeout: 30_000 });
    // Both ReplicaSets were drawn with replicas at some time: the rollout is visible, not only its end.
    expect(await oldRow.locator('rect.bar').count()).toBeGreaterThan(2);
    expect(await newRow.locator('rect.bar').count()).toBeGreaterThan(2);
    await shot('deployment-rollout');
  }, 60_000);
});
