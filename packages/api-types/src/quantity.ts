import { badRequest } from './errors.js';

/**
 * resource.Quantity arithmetic (`100m`, `1.5Gi`, `2e3`), exact: a quantity is held as the
 * rational `num / 10^scale` with BigInt, so `0.1` CPU is exactly 100 millicores (floats would
 * round it to 101). Rounding follows Kubernetes: `value()` and `milliValue()` round up.
 */
export interface Quantity {
  readonly num: bigint;
  /** Power of ten the numerator is divided by (>= 0). */
  readonly scale: number;
}

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/** Parses a quantity; malformed input is a 400 naming the value. */
export function parseQuantity(input: string | number): Quantity {
  const s = typeof input === 'number' ? String(input) : input.trim();
  const m = QUANTITY.exec(s);
  if (!m) throw badRequest(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got "${s}")`);
  const [, sign, digits, suffix = '', exp] = m;
  const [whole, frac = ''] = digits.split('.');
  let num = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  let pow10 = -frac.length;
  if (exp !== undefined) pow10 += Number(exp);
  else if (suffix in BINARY_SUFFIX) num *= BINARY_SUFFIX[suffix];
  else pow10 += DECIMAL_SUFFIX[suffix];
  return pow10 >= 0 ? { num: num * 10n ** BigInt(pow10), scale: 0 } : { num, scale: -pow10 };
}

const toQ = (q: Quantity | string | number): Quantity => (typeof q === 'object' ? q : parseQuantity(q));

/** ceil(a / b) for BigInt with b > 0. */
const ceilDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? (a + b - 1n) / b : -(-a / b));

/** The value in units of 10^-`exp10` (e.g. 3 for milli), rounded up, as a number. */
function scaled(q: Quantity, exp10: number): number {
  const shift = exp10 - q.scale;
  return Number(shift >= 0 ? q.num * 10n ** BigInt(shift) : ceilDiv(q.num, 10n ** BigInt(-shift)));
}

/** Whole units, rounded up (`1500m` -> 2). */
export const quantityValue = (q: Quantity | string | number): number => scaled(toQ(q), 0);
/** Thousandths, rounded up (`0.1` -> 100, `1n` -> 1). */
export const quantityMilliValue = (q: Quantity | string | number): number => scaled(toQ(q), 3);

/** ceil(q / divisor), as the downward API's resourceFieldRef computes with its divisor. */
export function quantityDivide(q: Quantity | string | number, divisor: Quantity | string | number): number {
  const a = toQ(q);
  const b = toQ(divisor);
  if (b.num <= 0n) throw badRequest(`divisor must be positive (got ${formatQuantity(b)})`);
  // (a.num / 10^a.scale) / (b.num / 10^b.scale) = a.num * 10^b.scale / (b.num * 10^a.scale)
  return Number(ceilDiv(a.num * 10n ** BigInt(b.scale), b.num * 10n ** BigInt(a.scale)));
}

/** -1, 0 or 1. */
export function compareQuantities(a: Quantity | string | number, b: Quantity | string | number): number {
  const x = toQ(a);
  const y = toQ(b);
  if (x.scale === y.scale) return x.num < y.num ? -1 : x.num > y.num ? 1 : 0;
  const l = x.num * 10n ** BigInt(y.scale);
  const r = y.num * 10n ** BigInt(x.scale);
  return l < r ? -1 : l > r ? 1 : 0;
}

/** A canonical decimal form: whole numbers plain (`2`, `1073741824`), fractions in milli (`100m`) or finer. */
export function formatQuantity(q: Quantity | string | number): string {
  const { num, scale } = toQ(q);
  if (scale === 0) return num.toString();
  for (const [suffix, exp] of [['m', 3], ['u', 6], ['n', 9]] as const) {
    if (scale <= exp) return (num * 10n ** BigInt(exp - scale)).toString() + suffix;
  }
  return (num / 10n ** BigInt(scale - 9)).toString() + 'n';
}
