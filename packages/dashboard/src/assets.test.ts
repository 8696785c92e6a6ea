import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardAssets } from './assets.js';

describe('dashboardAssets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-assets-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'assets/app-1234.js'), 'console.log(1)');

  it('serves files with their types, and index.html for app routes but not for missing files', () => {
    const a = dashboardAssets(`${dir}/`);
    expect(a.get('assets/app-1234.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8', immutable: true });
    expect(a.get('')).toMatchObject({ contentType: 'text/html; charset=utf-8', immutable: false });
    expect(a.get('pods/default/x')?.body.toString()).toBe('<!doctype html>');
    expect(a.get('assets/gone.js')).toBeUndefined();
    expect(a.totalBytes).toBe('<!doctype html>'.length + 'console.log(1)'.length);
  });

  it('says how to build when the app was not built', () => {
    const empty = mkdtempSync(join(tmpdir(), 'dashboard-empty-'));
    expect(() => dashboardAssets(`${empty}/`)).toThrow(/pnpm --filter @peapod\/dashboard build/);
  });
});
