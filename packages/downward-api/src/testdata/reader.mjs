// A volume reader in its own process, as a container would be: it keeps resolving `..data` once
// and reading every file through that one resolution, and reading one user-visible file directly.
// Every file of generation N holds `gen N|` repeated; a read must never mix generations or see a
// partial file. Runs until its stdin closes, then prints one JSON line of counts.
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const files = ['a', 'b', 'sub/c'];
const counts = { sets: 0, single: 0, mixed: 0, partial: 0, vanished: 0, generations: new Set() };
let stop = false;
process.stdin.on('end', () => { stop = true; });
process.stdin.resume();

const genOf = (text) => {
  const m = /^gen (\d+)\|/.exec(text);
  if (!m || text !== `gen ${m[1]}|`.repeat(text.length / `gen ${m[1]}|`.length)) return undefined;
  return Number(m[1]);
};

const once = () => {
  try {
    const root = realpathSync(join(dir, '..data'));
    const gens = files.map((f) => genOf(readFileSync(join(root, f), 'utf8')));
    if (gens.some((g) => g === undefined)) counts.partial++;
    else if (new Set(gens).size !== 1) counts.mixed++;
    else { counts.sets++; counts.generations.add(gens[0]); }
  } catch (err) {
    // The old generation is deleted after the swap; a reader holding it may find it gone.
    if (err.code === 'ENOENT') counts.vanished++;
    else throw err;
  }
  try {
    const g = genOf(readFileSync(join(dir, 'a'), 'utf8'));
    if (g === undefined) counts.partial++;
    else counts.single++;
  } catch (err) {
    if (err.code === 'ENOENT') counts.vanished++;
    else throw err;
  }
};

process.stdout.write('ready\n');
const loop = () => {
  for (let i = 0; i < 20; i++) once();
  if (stop) process.stdout.write(`${JSON.stringify({ ...counts, generations: counts.generations.size })}\n`);
  else setImmediate(loop);
};
loop();
