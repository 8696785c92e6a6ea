import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the dashboard is mounted on the API server's port. */
export const DASHBOARD_PATH = '/ui';

/** The built browser app (`vite build`); the same path from `src/` (run from source) and `dist/`. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../dist/ui/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  /** Content-hashed file names (under assets/) never change, so browsers may keep them. */
  immutable: boolean;
}

export interface DashboardAssets {
  /** The asset at a path relative to /ui/ ('' and unknown app routes give index.html). */
  get(path: string): DashboardAsset | undefined;
  /** Total bytes of every asset. */
  readonly totalBytes: number;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/**
 * Loads the built assets into memory (they are small: see the README). Throws when the app was
 * not built. Paths that are not files fall back to index.html, so app routes can be reloaded.
 */
export function dashboardAssets(dir = DASHBOARD_DIST): DashboardAssets {
  const files = new Map<string, DashboardAsset>();
  let totalBytes = 0;
  for (const full of walk(dir)) {
    const rel = relative(dir, full).split(sep).join('/');
    const body = readFileSync(full);
    totalBytes += body.length;
    files.set(rel, { body, contentType: TYPES[extname(full)] ?? 'application/octet-stream', immutable: rel.startsWith('assets/') });
  }
  const index = files.get('index.html');
  if (!index) throw new Error(`the dashboard is not built: ${dir}index.html is missing (run: pnpm --filter @peapod/dashboard build)`);
  return {
    totalBytes,
    get: (path) => files.get(path.replace(/^\/+/, '')) ?? (extname(path) ? undefined : index),
  };
}

let loaded: DashboardAssets | undefined;

/**
 * Serves GET/HEAD requests under /ui from the built assets, without authentication (the assets
 * hold no data: the app asks for the admin token and sends it on every API call). Assets are read
 * on the first request, so mounting the handler costs nothing at start-up. Returns false when the
 * path is not the dashboard's, so the caller can go on routing.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (pathname !== DASHBOARD_PATH && !pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
  if (pathname === DASHBOARD_PATH) {
    res.writeHead(308, { location: `${DASHBOARD_PATH}/` }).end();
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return true;
  }
  let asset: DashboardAsset | undefined;
  try {
    loaded ??= dashboardAssets();
    asset = loaded.get(decodeURIComponent(pathname.slice(DASHBOARD_PATH.length + 1)));
  } catch (err) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
    return true;
  }
  if (!asset) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return true;
  }
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}
