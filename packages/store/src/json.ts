/** Plain objects (what object literals and JSON.parse make) and arrays: the data walked member by member below. */
const isPlainObject = (v: object): v is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * A deep copy, as `structuredClone` makes it: plain objects and arrays are copied member by member
 * (several times faster than `structuredClone` for API objects), anything else (a Date, a typed
 * array) is handed to `structuredClone`. A hole in a sparse array (JSON has none) becomes an
 * undefined element. The copy of a frozen object is not frozen. Use it to
 * change an object the store shares (watch cache objects, watch events).
 */
export function deepCopy<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepCopy(v[i] as unknown);
    return out as T;
  }
  if (!isPlainObject(v)) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = deepCopy(v[k]);
    // An own "__proto__" member (JSON.parse makes one) stays a member, never the copy's prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out as T;
}

const UNSURE = 2;
/** A leaf JSON writes as itself: equal leaves of these kinds are equal texts and unequal ones unequal texts. */
const isJsonLeaf = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Whether JSON.stringify may leave out one of `o`'s own members (a non-plain object's `toJSON` may, too). */
const dropsMembers = (o: Record<string, unknown>) => {
  for (const k of Object.keys(o)) {
    const v = o[k];
    const t = typeof v;
    if (t === 'undefined' || t === 'function' || t === 'symbol' || (t === 'object' && v !== null && !Array.isArray(v) && !isPlainObject(v as object))) return true;
  }
  return false;
};

/** 1 equal, 0 different, UNSURE when only serialising can tell (undefined members, non-plain objects, NaN). */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 1;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return isJsonLeaf(a) && isJsonLeaf(b) ? 0 : UNSURE;
  if (Array.isArray(a) !== Array.isArray(b)) return 0;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    if (a.length !== bs.length) return 0;
    for (let i = 0; i < a.length; i++) {
      const c = compare(a[i], bs[i]);
      if (c !== 1) return c;
    }
    return 1;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return UNSURE;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  // Different members differ in JSON too, unless one that JSON drops accounts for it.
  if (ka.length !== kb.length) return dropsMembers(a) || dropsMembers(b) ? UNSURE : 0;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return dropsMembers(a) || dropsMembers(b) ? UNSURE : 0;
    const c = compare(a[ka[i]!], b[kb[i]!]);
    if (c !== 1) return c;
  }
  return 1;
}

/**
 * Whether `JSON.stringify(a) === JSON.stringify(b)`, by walking both (members in order) rather
 * than serialising them whenever they are plain JSON data; it serialises only when the walk
 * cannot tell (members that JSON drops, non-plain objects, non-finite numbers).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const c = compare(a, b);
  return c === UNSURE ? JSON.stringify(a) === JSON.stringify(b) : c === 1;
}
