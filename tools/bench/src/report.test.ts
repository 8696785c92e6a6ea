import { describe, expect, it } from 'vitest';
import { README_MARKERS, barChart, barsOf, compareToBaseline, cost, failed, parseBenchLines, replaceBetweenMarkers, summaryTable, toBaseline, type BenchResult } from './report.js';

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
