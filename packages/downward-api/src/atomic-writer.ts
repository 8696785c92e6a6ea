import { constants, promises as fs, type Stats } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { badRequest, forbidden } from '@peapod/api-types';

/**
 * Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files are published as
 * one set, so a reader never sees some files of one generation and some of the next.
 *
 *   <dir>/..2026_11_21_05_16_27.a1B2c3/   real files of one generation (a "timestamped dir")
 *   <dir>/..data -> ..2026_11_21_...       the current generation, swapped by a single rename(2)
 *   <dir>/labels -> ..data/labels          user-visible paths: one symlink per top-level name
 *   <dir>/conf   -> ..data/conf            (a nested path `conf/app.yaml` goes through `conf`)
 *
 * A reader that resolves `..data` once (or reads one file) sees one whole generation. The old
 * timestamped dir is removed after the swap.
 *
 * Safety, because a container may write into the volume where its runtime cannot mount it
 * read-only: payload paths are relative, `..`-free and never start with `..`; nothing is read or
 * written through a symlink the writer did not create (links are read with readlink/lstat,
 * files opened with O_NOFOLLOW|O_EXCL inside a fresh directory); anything unexpected in the
 * writer's own names (`..data`, user-visible links) is replaced, never followed; removal never
 * follows symlinks, so nothing outside `dir` is ever touched.
 */

/** One file of a volume. `mode` is applied exactly (not masked by the umask). */
export interface FileProjection {
  data: Buffer;
  mode: number;
  /** Owner to chown the file to (a service account token with fsUser). */
  fsUser?: number;
}

/** Relative path → file. */
export type Payload = Map<string, FileProjection>;

export interface WriteResult {
  /** False when the files on disk already matched and nothing was rewritten. */
  written: boolean;
}

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_PATH = 4096;
const MAX_NAME = 255;
/** The only `..data` targets the writer trusts: a timestamped dir it could have made. */
const TS_DIR = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.[A-Za-z0-9]+$/;

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;
const lstatOrUndefined = (p: string): Promise<Stats | undefined> =>
  fs.lstat(p).catch((err) => {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  });
/** Removes a path without following symlinks (rm unlinks a symlink, never its target). */
const remove = (p: string) => fs.rm(p, { recursive: true, force: true });

/** Kubernetes' `validatePath`, plus a NUL check; the message is Kubernetes' own. */
export const validatePayloadPath = (p: string): string => {
  if (p === '') throw badRequest('invalid path: must not be empty: ""');
  if (p.startsWith('/')) throw badRequest(`invalid path: must be relative path: ${p}`);
  if (p.length > MAX_PATH) throw badRequest(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  if (p.includes('\0')) throw badRequest(`invalid path: must not contain NUL: ${JSON.stringify(p)}`);
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw badRequest(`invalid path: must not contain '..': ${p}`);
    if (Buffer.byteLength(item) > MAX_NAME) throw badRequest(`invalid path: filenames must be less than or equal to ${MAX_NAME} characters`);
  }
  if (items[0].startsWith('..') && items[0].length > 2) throw badRequest(`invalid path: must not start with '..': ${p}`);
  const cleaned = posix.normalize(p).replace(/\/+$/, '');
  if (cleaned === '.' || cleaned === '') throw badRequest(`invalid path: must name a file: ${p}`);
  return cleaned;
};

const validatePayload = (payload: Payload): Payload => {
  const clean: Payload = new Map();
  for (const [p, file] of payload) clean.set(validatePayloadPath(p), file);
  for (const p of clean.keys()) {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      if (clean.has(p.slice(0, i))) throw badRequest(`invalid payload: ${p.slice(0, i)} is both a file and a directory`);
    }
  }
  return clean;
};

/** Every path under `root` (relative), with what it is; symlinks are listed, never entered. */
const walk = async (root: string): Promise<Map<string, 'file' | 'dir' | 'other'>> => {
  const found = new Map<string, 'file' | 'dir' | 'other'>();
  const visit = async (rel: string) => {
    for (const entry of await fs.readdir(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      found.set(p, entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : 'other');
      if (entry.isDirectory()) await visit(p);
    }
  };
  await visit('');
  return found;
};

/** True when the file at `p` (a regular file per `walk`) differs from `file` in bytes or mode. */
const differs = async (p: string, file: FileProjection): Promise<boolean> => {
  const handle = await fs.open(p, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const [stat, data] = await Promise.all([handle.stat(), handle.readFile()]);
    return (stat.mode & 0o7777) !== file.mode || !data.equals(file.data);
  } finally {
    await handle.close();
  }
};

const timestamp = (d: Date) => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}_${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}.`;
};

/** Creates `rel`'s parent directories inside the fresh `root`, refusing anything but real dirs. */
const makeParents = async (root: string, rel: string) => {
  const parts = rel.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const dir = join(root, ...parts.slice(0, i));
    try {
      await fs.mkdir(dir, 0o755);
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
      if (!(await fs.lstat(dir)).isDirectory()) throw forbidden({ kind: 'volume' }, `refusing to write through ${dir}: not a directory`);
    }
  }
};

const writeFiles = async (root: string, payload: Payload) => {
  for (const rel of payload.keys()) await makeParents(root, rel);
  await Promise.all([...payload].map(async ([rel, file]) => {
    const handle = await fs.open(join(root, rel), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, file.mode);
    try {
      await handle.writeFile(file.data);
      await handle.chmod(file.mode);
      if (file.fsUser !== undefined) await handle.chown(file.fsUser, -1);
    } finally {
      await handle.close();
    }
  }));
};

/** Points `link` at `target`, replacing whatever is there (file, foreign symlink, directory) without following it. */
const placeLink = async (dir: string, name: string, target: string) => {
  const link = join(dir, name);
  const existing = await lstatOrUndefined(link);
  if (existing?.isSymbolicLink() && (await fs.readlink(link)) === target) return;
  if (existing?.isDirectory()) await remove(link);
  const tmp = join(dir, `..link_${process.pid}_${Math.random().toString(36).slice(2)}`);
  await fs.symlink(target, tmp);
  try {
    await fs.rename(tmp, link);
  } catch (err) {
    await remove(tmp);
    throw err;
  }
};

/**
 * Publishes `payload` in `dir` as one generation (see the file comment). Creates `dir` if it is
 * missing; refuses a `dir` that is itself a symlink. Unchanged contents (bytes and modes) are not
 * rewritten, but missing user-visible links are restored. Concurrent calls on one `dir` must be
 * serialised by the caller (the kubelet syncs one pod at a time).
 */
export const writeAtomically = async (dir: string, payload: Payload): Promise<WriteResult> => {
  const files = validatePayload(payload);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const stat = await fs.lstat(dir);
  if (!stat.isDirectory()) throw forbidden({ kind: 'volume' }, `refusing to write into ${dir}: not a directory`);

  const dataDir = join(dir, DATA_DIR);
  const dataStat = await lstatOrUndefined(dataDir);
  const oldLink = dataStat?.isSymbolicLink() ? await fs.readlink(dataDir) : undefined;
  // Trust the current generation only if `..data` is our kind of link to a real directory.
  const oldTs = oldLink !== undefined && TS_DIR.test(oldLink) && (await lstatOrUndefined(join(dir, oldLink)))?.isDirectory() ? oldLink : undefined;
  const oldPaths = oldTs ? await walk(join(dir, oldTs)) : new Map<string, 'file' | 'dir' | 'other'>();

  const wanted = new Set<string>();
  for (const p of files.keys()) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) wanted.add(parts.slice(0, i).join('/'));
  }
  const stale = [...oldPaths.keys()].filter((p) => !wanted.has(p));

  const written = !oldTs || stale.length > 0 ||
    (await Promise.all([...files].map(([p, file]) => oldPaths.get(p) !== 'file' || differs(join(dir, oldTs, p), file)))).some(Boolean);

  let current = oldTs;
  if (written) {
    const tsDir = await fs.mkdtemp(join(dir, timestamp(new Date())));
    current = basename(tsDir);
    try {
      await fs.chmod(tsDir, 0o755);
      await writeFiles(tsDir, files);
      const tmpLink = join(dir, NEW_DATA_DIR);
      await remove(tmpLink);
      await fs.symlink(current, tmpLink);
      if (dataStat && !dataStat.isSymbolicLink()) await remove(dataDir);
      await fs.rename(tmpLink, dataDir);
    } catch (err) {
      await remove(join(dir, NEW_DATA_DIR));
      await remove(tsDir);
      throw err;
    }
  }

  // User-visible links go in after the swap (their targets now exist) ...
  for (const top of new Set([...files.keys()].map((p) => p.split('/')[0]))) await placeLink(dir, top, `${DATA_DIR}/${top}`);
  // ... and names that left the payload come out of the user-visible root.
  for (const p of stale) if (!p.includes('/') && !p.startsWith('..')) await remove(join(dir, p));
  // Every other generation goes: the one just replaced, and any a crashed write left behind.
  for (const name of await fs.readdir(dir)) if (TS_DIR.test(name) && name !== current) await remove(join(dir, name));
  return { written };
};
