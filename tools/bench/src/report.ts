/**
 * The pure parts of `pnpm bench`: reading the BENCH lines scripts print, ratios to the same-run
 * floor, the regression check against a baseline, the Markdown summary and the SVG charts.
 */
import { metricDef, type Anchor, type MetricDef } from './metrics.js';

export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  floor?: { name: string; value: number };
  /** The script that printed it. */
  script: string;
}

const PREFIX = 'BENCH ';

/** The BENCH lines of one script's stdout; a malformed line is an error of that script. */
export function parseBenchLines(stdout: string, script: string): BenchResult[] {
  return stdout.split('\n').filter((l) => l.startsWith(PREFIX)).map((l) => {
    const r = JSON.parse(l.slice(PREFIX.length)) as Omit<BenchResult, 'script'>;
    if (typeof r.metric !== 'string' || !Number.isFinite(r.value) || typeof r.unit !== 'string') throw new Error(`${script}: malformed line ${l}`);
    return { ...r, script };
  });
}

/** A metric the catalogue does not know yet: shown, never gated; rates are better high. */
export function defOf(metric: string, unit: string): MetricDef {
  return metricDef(metric) ?? { title: metric, better: unit.includes('/') ? 'higher' : 'lower', gate: false };
}

/**
 * How much worse than its floor a result is, as one number where higher is worse whatever the
 * metric's direction: value/floor for times and sizes, floor/value for rates. This is what the
 * baseline keeps, because absolute figures differ from machine to machine while the ratio to a
 * floor measured in the same run mostly does not.
 */
export function cost(r: BenchResult): number | undefined {
  if (!r.floor || !(r.floor.value > 0) || !(r.value > 0)) return undefined;
  return defOf(r.metric, r.unit).better === 'lower' ? r.value / r.floor.value : r.floor.value / r.value;
}

export interface Baseline {
  note: string;
  /** Cost (see `cost`) per metric id, for the metrics measured next to a floor. */
  costs: Record<string, number>;
  /** The figure itself, in the metric's unit, for the metrics without a floor. */
  absolute?: Record<string, number>;
}

export function toBaseline(results: readonly BenchResult[], note: string): Baseline {
  const costs: Record<string, number> = {};
  const absolute: Record<string, number> = {};
  for (const r of results) {
    const c = cost(r);
    if (c !== undefined) costs[r.metric] = Number(c.toPrecision(4));
    else if (!r.floor && r.value > 0) absolute[r.metric] = Number(r.value.toPrecision(4));
  }
  return { note, costs, absolute };
}

/** `base` with the entries of `update` laid over it (a `--only` run replaces just its scripts' metrics). */
export const mergeBaselines = (base: Baseline, update: Baseline): Baseline => ({
  note: `${base.note}; then ${update.note}`,
  costs: { ...base.costs, ...update.costs },
  absolute: { ...base.absolute, ...update.absolute },
});

export interface Verdict {
  metric: string;
  /** What was compared: the cost against the same-run floor, or the figure itself (no floor). */
  basis?: 'ratio' | 'absolute';
  baseline?: number;
  now?: number;
  /** How many times worse than the baseline (below 1: better); above the factor is a regression. */
  change?: number;
  /** The first run's `change`, when this verdict comes from the rerun of a regressed script. */
  firstChange?: number;
  status: 'ok' | 'regressed' | 'passed on rerun' | 'missing' | 'new' | 'not gated';
  /** The figure this run reported. */
  result?: BenchResult;
}

function verdictOf(r: BenchResult, baseline: Baseline, factor: number): Verdict {
  const d = defOf(r.metric, r.unit);
  // A floor in the same run cancels most of the machine's speed and load; only without one is the figure compared as is.
  const [basis, now, base] = r.floor
    ? ['ratio' as const, cost(r), baseline.costs[r.metric]]
    : ['absolute' as const, r.value > 0 ? r.value : undefined, baseline.absolute?.[r.metric]];
  if (now === undefined || !d.gate) return { metric: r.metric, basis, now, baseline: base, status: 'not gated', result: r };
  if (base === undefined) return { metric: r.metric, basis, now, status: 'new', result: r };
  const change = basis === 'absolute' && d.better === 'higher' ? base / now : now / base;
  return { metric: r.metric, basis, now, baseline: base, change, status: change > factor ? 'regressed' : 'ok', result: r };
}

/**
 * Compares each result with the baseline: a gated metric's cost against its same-run floor when
 * it has one, its figure itself when it has none. It regresses when that got more than `factor`
 * times worse; one the baseline has but this run lacks is `missing` (a script stopped reporting
 * it), which fails too unless its script was skipped on purpose (`skipped`).
 */
export function compareToBaseline(results: readonly BenchResult[], baseline: Baseline, factor = 2, skipped: ReadonlySet<string> = new Set()): Verdict[] {
  const seen = new Set(results.map((r) => r.metric));
  const out = results.map((r) => verdictOf(r, baseline, factor));
  for (const [metric, base] of [...Object.entries(baseline.costs), ...Object.entries(baseline.absolute ?? {})]) {
    if (!seen.has(metric) && !skipped.has(metric)) out.push({ metric, baseline: base, status: 'missing' });
  }
  return out;
}

export const failed = (v: readonly Verdict[]) => v.filter((x) => x.status === 'regressed' || x.status === 'missing');

/**
 * The check with one second chance: the scripts behind regressed metrics are run once more
 * (`rerun` gets their paths and the first verdicts, returns the new results), and a metric fails only if it regresses
 * in the rerun too. A real regression persists; a burst of load on a shared machine does not.
 * A metric the rerun no longer reports stays regressed (its script's failure is reported apart).
 */
export async function checkWithRerun(results: readonly BenchResult[], baseline: Baseline, factor: number, skipped: ReadonlySet<string>, rerun: (scripts: string[], first: readonly Verdict[]) => Promise<readonly BenchResult[]>): Promise<Verdict[]> {
  const first = compareToBaseline(results, baseline, factor, skipped);
  const regressed = first.filter((v) => v.status === 'regressed');
  if (!regressed.length) return first;
  const again = new Map((await rerun([...new Set(regressed.map((v) => v.result!.script))], first)).map((r) => [r.metric, verdictOf(r, baseline, factor)]));
  return first.map((v) => {
    const second = again.get(v.metric);
    if (v.status !== 'regressed' || !second) return v;
    return { ...second, firstChange: v.change, status: second.status === 'regressed' ? 'regressed' : 'passed on rerun' };
  });
}

/** Figures as a reader wants them: no false precision, thousands separated. */
export function fmt(n: number): string {
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const anchorCell = (anchors: readonly Anchor[] = []) =>
  anchors.map((a) => (a.source.startsWith('http') ? `[${a.text}](${a.source})` : `${a.text} (${a.source})`)).join('; ') || '—';

const met = (d: MetricDef, value: number) => d.target === undefined ? '—' : (d.better === 'lower' ? value <= d.target : value >= d.target) ? 'yes' : 'no';

/** The one summary table: metric, Peapod, floor or peer, ratio, published anchor, target, met? */
export function summaryTable(results: readonly BenchResult[], chartDir?: string): string {
  const rows = results.map((r) => {
    const d = defOf(r.metric, r.unit);
    const title = chartDir ? `[${d.title}](${chartDir}/${r.metric}.svg)` : d.title;
    const floor = r.floor ? `${fmt(r.floor.value)} ${r.unit} — ${r.floor.name}` : '—';
    const ratio = r.floor && r.floor.value > 0 ? `${fmt(r.value / r.floor.value)}×` : '—';
    const target = d.target === undefined ? '—' : `${d.better === 'lower' ? '<=' : '>='} ${fmt(d.target)} ${r.unit}`;
    return `| ${title} | ${fmt(r.value)} ${r.unit} | ${floor} | ${ratio} | ${anchorCell(d.anchors)} | ${target} | ${met(d, r.value)} |`;
  });
  return ['| metric | Peapod | floor / peer (same run) | Peapod ÷ floor | published anchor | target | met? |', '|---|---:|---|---:|---|---|---|', ...rows].join('\n');
}

export const README_MARKERS = ['<!-- bench:summary:begin -->', '<!-- bench:summary:end -->'] as const;

/** `text` with what stands between the README markers replaced by `block`; unchanged when a marker is missing. */
export function replaceBetweenMarkers(text: string, block: string): string {
  const [begin, end] = README_MARKERS;
  const i = text.indexOf(begin);
  const j = text.indexOf(end, i);
  return i < 0 || j < 0 ? text : `${text.slice(0, i + begin.length)}\n${block}\n${text.slice(j)}`;
}

export function verdictTable(verdicts: readonly Verdict[], factor: number): string {
  const f = (n?: number) => (n === undefined ? '—' : fmt(n));
  const x = (n?: number) => (n === undefined ? '—' : `${fmt(n)}×`);
  const rows = verdicts.map((v) => `| ${v.metric} | ${v.basis ?? '—'} | ${f(v.baseline)} | ${f(v.now)} | ${x(v.firstChange)} | ${x(v.change)} | ${v.status} |`);
  return [
    `Compared: "ratio" = cost against the same-run floor (higher is worse), "absolute" = the figure itself (no floor). Fails above ${factor}× worse than the baseline, in the first run and again in a rerun.`,
    '',
    '| metric | compared | baseline | this run | first run | change | status |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/** One line per failed verdict, naming the metric, its figure (and floor), the baseline and how much worse it got. */
export function describeFailure(v: Verdict, factor: number): string {
  if (v.status === 'missing') return `${v.metric}: no longer reported (baseline ${fmt(v.baseline!)})`;
  const r = v.result!;
  const figure = `${fmt(r.value)} ${r.unit}${r.floor ? ` against ${fmt(r.floor.value)} ${r.unit} for ${r.floor.name}` : ''}`;
  const compared = v.basis === 'ratio' ? `cost ${fmt(v.now!)} against the floor, baseline cost ${fmt(v.baseline!)}` : `baseline ${fmt(v.baseline!)} ${r.unit}`;
  const runs = v.firstChange === undefined ? '' : ` (first run ${fmt(v.firstChange)}× worse, rerun ${fmt(v.change!)}×)`;
  return `${v.metric} regressed ${fmt(v.change!)}× (limit ${factor}×)${runs}: ${figure}; ${compared}`;
}

export interface Bar {
  label: string;
  value: number;
  kind: 'peapod' | 'floor' | 'anchor';
}

const COLORS: Record<Bar['kind'], string> = { peapod: '#2f7d32', floor: '#5b6b7a', anchor: '#c77700' };
const short = (s: string) => (s.length > 46 ? `${s.slice(0, 45)}…` : s);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const CHART = { width: 760, labelWidth: 300, barHeight: 22, gap: 8, top: 44 };

/**
 * A horizontal bar chart, one bar per series, widths proportional to the values on one linear
 * scale starting at zero; a dashed line marks the target. Hand-written SVG with inline styles
 * (GitHub's Markdown view shows it as an image).
 */
export function barChart(title: string, unit: string, bars: readonly Bar[], target?: number): string {
  const { width, labelWidth, barHeight, gap, top } = CHART;
  const plot = width - labelWidth - 140;
  const max = Math.max(...bars.map((b) => b.value), target ?? 0) || 1;
  const x = (v: number) => labelWidth + (v / max) * plot;
  const height = top + bars.length * (barHeight + gap) + 10;
  const rows = bars.map((b, i) => {
    const y = top + i * (barHeight + gap);
    const w = (b.value / max) * plot;
    return `<text x="${labelWidth - 8}" y="${y + barHeight * 0.7}" text-anchor="end" font-size="12">${esc(short(b.label))}<title>${esc(b.label)}</title></text>`
      + `<rect class="bar ${b.kind}" x="${labelWidth}" y="${y}" width="${w.toFixed(2)}" height="${barHeight}" fill="${COLORS[b.kind]}"/>`
      + `<text x="${(labelWidth + w + 6).toFixed(2)}" y="${y + barHeight * 0.7}" font-size="12">${esc(`${fmt(b.value)} ${unit}`)}</text>`;
  });
  const line = target === undefined ? '' : `<line x1="${x(target).toFixed(2)}" y1="${top - 6}" x2="${x(target).toFixed(2)}" y2="${height - 6}" stroke="#b00020" stroke-dasharray="4 3"/>`
    + `<text x="${x(target).toFixed(2)}" y="${top - 10}" text-anchor="middle" font-size="11" fill="#b00020">${esc(`target ${fmt(target)}`)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`
    + `<rect width="100%" height="100%" fill="#ffffff"/><text x="8" y="18" font-size="14" font-weight="bold">${esc(title.replace(/`/g, ''))}</text>${rows.join('')}${line}</svg>\n`;
}

/** The bars for one result: Peapod, its same-run floor, and each anchor that has a comparable value. */
export function barsOf(r: BenchResult): Bar[] {
  const d = defOf(r.metric, r.unit);
  return [
    { label: 'Peapod', value: r.value, kind: 'peapod' as const },
    ...(r.floor ? [{ label: `floor: ${r.floor.name}`, value: r.floor.value, kind: 'floor' as const }] : []),
    ...(d.anchors ?? []).filter((a) => a.value !== undefined).map((a) => ({ label: a.text, value: a.value!, kind: 'anchor' as const })),
  ];
}
