import { describe, expect, it } from 'vitest';
import { README_MARKERS, barChart, barsOf, checkWithRerun, compareToBaseline, cost, describeFailure, failed, mergeBaselines, parseBenchLines, replaceBetweenMarkers, summaryTable, toBaseline, type BenchResult } from './report.js';

const rate = (value: number, floor: number): BenchResult => ({ metric: 'store.sqlite.writes_per_s', value, unit: 'writes/s', floor: { name: 'raw SQLite', value: floor }, script: 's' });
const time = (value: number, floor: number): BenchResult => ({ metric: 'up.cold_start_ms', value, unit: 'ms', floor: { name: 'bare node', value: floor }, script: 'u' });

describe('parseBenchLines', () => {
  it('keeps only BENCH lines and tags them with the script', () => {
    const out = 'a table\nBENCH {"metric":"up.cold_start_ms","value":900,"unit":"ms","floor":{"name":"bare node","value":60}}\nmore text\n';
    expect(parseBenchLines(out, 'tools/bench/src/up.ts')).toEqual([{ metric: 'up.cold_start_ms', value: 900, unit: 'ms', floor: { name: 'bare node', value: 60 }, script: 'tools/bench/src/up.ts' }]);
  });
  it('rejects a line without a finite value', () => {
    expect(() => parseBenchLines('BENCH {"metric":"x","value":null,"unit":"ms"}', 's')).toThrow(/malformed/);
  });
});

describe('cost and the regression check', () => {
  it('is value/floor for times and floor/value for rates, so higher is always worse', () => {
    expect(cost(time(900, 60))).toBe(15);
    expect(cost(rate(5000, 20000))).toBe(4);
    expect(cost({ ...time(900, 60), floor: undefined })).toBeUndefined();
  });

  const baseline = toBaseline([time(600, 60), rate(10_000, 20_000)], 'test');

  it('fails a metric whose ratio to its floor got 2.1x worse and passes one 1.9x worse', () => {
    const v = compareToBaseline([time(600 * 2.1, 60), rate(10_000 / 1.9, 20_000)], baseline);
    expect(v.find((x) => x.metric === 'up.cold_start_ms')).toMatchObject({ status: 'regressed' });
    expect(v.find((x) => x.metric === 'up.cold_start_ms')!.change).toBeCloseTo(2.1);
    expect(v.find((x) => x.metric === 'store.sqlite.writes_per_s')).toMatchObject({ status: 'ok' });
    expect(failed(v).map((x) => x.metric)).toEqual(['up.cold_start_ms']);
  });

  it('judges ratios, not absolute figures: a slower machine with a slower floor passes', () => {
    expect(failed(compareToBaseline([time(600 * 3, 60 * 3), rate(10_000 / 3, 20_000 / 3)], baseline))).toEqual([]);
  });

  it('fails a rate that fell 2.1x against the same floor', () => {
    expect(failed(compareToBaseline([time(600, 60), rate(10_000 / 2.1, 20_000)], baseline)).map((x) => x.metric)).toEqual(['store.sqlite.writes_per_s']);
  });

  it('fails a metric the baseline has and the run lost, unless its script was skipped', () => {
    expect(failed(compareToBaseline([time(600, 60)], baseline))).toMatchObject([{ metric: 'store.sqlite.writes_per_s', status: 'missing' }]);
    expect(failed(compareToBaseline([time(600, 60)], baseline, 2, new Set(['store.sqlite.writes_per_s'])))).toEqual([]);
  });

  it('never gates metrics marked noisy or unknown to the catalogue', () => {
    const p99: BenchResult = { metric: 'apiserver.create_p99_ms', value: 100, unit: 'ms', floor: { name: 'bare', value: 1 }, script: 'c' };
    const unknown: BenchResult = { ...p99, metric: 'something.new_ms' };
    const v = compareToBaseline([p99, unknown], { note: '', costs: { 'apiserver.create_p99_ms': 1, 'something.new_ms': 1 } });
    expect(v.map((x) => x.status)).toEqual(['not gated', 'not gated']);
  });
});

describe('metrics without a floor', () => {
  // A gated metric with no floor of its own, higher is better.
  const perCpu = (value: number): BenchResult => ({ metric: 'api-types.validation_per_cpu_s', value, unit: 'pods/cpu-s', script: 'v' });
  const baseline = toBaseline([perCpu(80_000), time(600, 60)], 'test');

  it('are kept in the baseline as the figure itself, next to the ratios of the others', () => {
    expect(baseline).toEqual({ note: 'test', costs: { 'up.cold_start_ms': 10 }, absolute: { 'api-types.validation_per_cpu_s': 80_000 } });
  });

  it('are judged on the figure itself: 2.1x fewer per CPU-second fails, 1.9x fewer passes', () => {
    const [bad] = compareToBaseline([perCpu(80_000 / 2.1), time(600, 60)], baseline);
    expect(bad).toMatchObject({ status: 'regressed', basis: 'absolute', baseline: 80_000 });
    expect(bad.change).toBeCloseTo(2.1);
    expect(compareToBaseline([perCpu(80_000 / 1.9), time(600, 60)], baseline)[0]).toMatchObject({ status: 'ok', basis: 'absolute' });
  });

  it('count as missing when the baseline has them and the run lost them', () => {
    expect(failed(compareToBaseline([time(600, 60)], baseline))).toMatchObject([{ metric: 'api-types.validation_per_cpu_s', status: 'missing' }]);
  });

  it('survive a --only merge, which replaces just the metrics it measured', () => {
    const merged = mergeBaselines(baseline, toBaseline([time(900, 60)], 'only up'));
    expect(merged).toEqual({ note: 'test; then only up', costs: { 'up.cold_start_ms': 15 }, absolute: { 'api-types.validation_per_cpu_s': 80_000 } });
  });
});

describe('checkWithRerun: a regression must show up twice', () => {
  const baseline = toBaseline([time(600, 60), rate(10_000, 20_000)], 'test');
  const calls: string[][] = [];
  const rerunWith = (results: BenchResult[]) => async (scripts: string[]) => {
    calls.push(scripts);
    return results;
  };

  it('does not rerun anything when nothing regressed', async () => {
    calls.length = 0;
    const v = await checkWithRerun([time(600, 60), rate(10_000, 20_000)], baseline, 2, new Set(), rerunWith([]));
    expect(calls).toEqual([]);
    expect(failed(v)).toEqual([]);
  });

  it('reruns only the regressed script, once, and fails when the rerun regresses again', async () => {
    calls.length = 0;
    const v = await checkWithRerun([time(600 * 3, 60), rate(10_000, 20_000)], baseline, 2, new Set(), rerunWith([time(600 * 2.5, 60)]));
    expect(calls).toEqual([['u']]);
    const [f] = failed(v);
    expect(f).toMatchObject({ metric: 'up.cold_start_ms', status: 'regressed' });
    expect(f.firstChange).toBeCloseTo(3);
    expect(f.change).toBeCloseTo(2.5);
  });

  it('passes a metric whose regression does not come back in the rerun (noise)', async () => {
    const v = await checkWithRerun([time(600 * 3, 60), rate(10_000, 20_000)], baseline, 2, new Set(), rerunWith([time(700, 60)]));
    expect(failed(v)).toEqual([]);
    expect(v.find((x) => x.metric === 'up.cold_start_ms')).toMatchObject({ status: 'passed on rerun', now: 700 / 60 });
  });

  it('keeps a metric regressed when the rerun does not report it (its script failed again)', async () => {
    const v = await checkWithRerun([time(600 * 3, 60), rate(10_000, 20_000)], baseline, 2, new Set(), rerunWith([]));
    expect(failed(v).map((x) => [x.metric, x.status])).toEqual([['up.cold_start_ms', 'regressed']]);
  });

  it('names the metric, its figure and floor, the baseline and both runs in the failure line', async () => {
    const [f] = failed(await checkWithRerun([time(1800, 60), rate(10_000, 20_000)], baseline, 2, new Set(), rerunWith([time(1500, 60)])));
    const line = describeFailure(f, 2);
    expect(line).toContain('up.cold_start_ms regressed 2.50× (limit 2×)');
    expect(line).toContain('first run 3.00× worse, rerun 2.50×');
    expect(line).toContain('1,500 ms against 60.0 ms for bare node');
    expect(line).toContain('cost 25.0 against the floor, baseline cost 10.0');
  });
});

describe('summaryTable', () => {
  it('has one row per result with the ratio, the anchor with its source and whether the target is met', () => {
    const md = summaryTable([time(900, 60)]);
    const row = md.split('\n')[2];
    expect(row).toContain('900 ms');
    expect(row).toContain('60.0 ms — bare node');
    expect(row).toContain('15.0×');
    expect(row).toContain('kind ~14 s');
    expect(row).toContain('<= 1,500 ms');
    expect(row.trim().endsWith('| yes |')).toBe(true);
    expect(summaryTable([time(1600, 60)]).split('\n')[2].trim().endsWith('| no |')).toBe(true);
  });
});

describe('replaceBetweenMarkers', () => {
  it('replaces only the block between the markers, again and again', () => {
    const [b, e] = README_MARKERS;
    const text = `# Title\n${b}\nold table\n${e}\nafter`;
    const once = replaceBetweenMarkers(text, 'new table');
    expect(once).toBe(`# Title\n${b}\nnew table\n${e}\nafter`);
    expect(replaceBetweenMarkers(once, 'newer')).toBe(`# Title\n${b}\nnewer\n${e}\nafter`);
  });
  it('leaves a text without markers alone', () => {
    expect(replaceBetweenMarkers('no markers', 'x')).toBe('no markers');
  });
});

describe('barChart', () => {
  const widths = (svg: string) => [...svg.matchAll(/<rect class="bar (\w+)"[^>]*width="([\d.]+)"/g)].map((m) => ({ kind: m[1], width: Number(m[2]) }));

  it('draws one bar per series with widths proportional to the values', () => {
    const svg = barChart('cold start', 'ms', barsOf(time(1000, 100)));
    const w = widths(svg);
    expect(w.map((b) => b.kind)).toEqual(['peapod', 'floor', 'anchor', 'anchor']);
    expect(w[0].width / w[1].width).toBeCloseTo(10, 1);
    expect(w[2].width / w[0].width).toBeCloseTo(14, 1);
    expect(w[3].width / w[0].width).toBeCloseTo(13, 1);
  });

  it('marks the target and escapes labels', () => {
    const svg = barChart('a <b>', 'ms', [{ label: 'x & y', value: 2, kind: 'peapod' }], 4);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg).toContain('x &amp; y');
    expect(svg).toMatch(/<line [^>]*stroke-dasharray/);
    expect(widths(svg)).toHaveLength(1);
  });
});
