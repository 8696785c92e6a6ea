import { badRequest } from './errors.js';

/**
 * Label and field selectors, as apimachinery's `labels.Parse`, `fields.ParseSelector` and
 * `metav1.LabelSelectorAsSelector`. Parse errors are 400 BadRequest Status errors.
 */

export type LabelOperator = 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Gt' | 'Lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted; one value for Equals/NotEquals/Gt/Lt, none for Exists/DoesNotExist. */
  readonly values: readonly string[];
}

/** A parsed label selector. `matches` is total: an empty selector matches everything. */
export interface LabelMatcher {
  readonly requirements: readonly LabelRequirement[];
  /** True for the selector that matches every object. */
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** The canonical string form (`a=b,c in (x,y)`), accepted back by `parseLabelSelector`. */
  toString(): string;
}

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A parsed field selector; a field that is absent reads as "" (so `spec.nodeName=` finds unbound pods). */
export interface FieldMatcher {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(fieldOf: (field: string) => string | undefined): boolean;
  /** The value `field` must equal for any object to match (an `=` requirement; Kubernetes' RequiresExactMatch). */
  requires(field: string): string | undefined;
  toString(): string;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a valid label key (`[prefix/]name`), or undefined when it is. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `prefix part must be a lowercase RFC 1123 subdomain of at most 253 characters`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `name part must consist of at most 63 alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueError(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `a valid label must be an empty string or consist of at most 63 alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

const OPERATOR_TEXT: Record<LabelOperator, string> = {
  Exists: '', DoesNotExist: '!', Equals: '=', NotEquals: '!=', In: ' in ', NotIn: ' notin ', Gt: '>', Lt: '<',
};

function requirementToString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'Exists': return r.key;
    case 'DoesNotExist': return `!${r.key}`;
    case 'In': case 'NotIn': return `${r.key}${OPERATOR_TEXT[r.operator]}(${r.values.join(',')})`;
    default: return `${r.key}${OPERATOR_TEXT[r.operator]}${r.values[0]}`;
  }
}

function matchesRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Equals': case 'In': return has && r.values.includes(v!);
    case 'NotEquals': case 'NotIn': return !has || !r.values.includes(v!);
    case 'Gt': case 'Lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const keyErr = labelKeyError(key);
  if (keyErr) throw badRequest(`unable to parse requirement: invalid label key "${key}": ${keyErr}`);
  if (operator === 'Exists' || operator === 'DoesNotExist') {
    if (values.length) throw badRequest(`unable to parse requirement: values set must be empty for exists and does not exist`);
  } else if (operator === 'In' || operator === 'NotIn') {
    if (!values.length) throw badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`);
  } else if (values.length !== 1) {
    throw badRequest(`unable to parse requirement: exact-match compatibility requires one single value`);
  }
  if (operator === 'Gt' || operator === 'Lt') {
    if (!/^-?\d+$/.test(values[0]!)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
  } else {
    for (const v of values) {
      const valErr = labelValueError(v);
      if (valErr) throw badRequest(`unable to parse requirement: invalid label value: "${v}": ${valErr}`);
    }
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

function labelMatcher(reqs: LabelRequirement[]): LabelMatcher {
  // Sorted by key like apimachinery's internalSelector, so equal selectors print equally.
  const requirements = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const text = requirements.map(requirementToString).join(',');
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (labels) => requirements.every((r) => matchesRequirement(r, labels)),
    toString: () => text,
  };
}

/** Matches every object. */
export const everythingLabels: LabelMatcher = labelMatcher([]);
/** Matches no object (what a nil `metav1.LabelSelector` means). */
export const nothingLabels: LabelMatcher = { requirements: [], empty: false, matches: () => false, toString: () => '' };

/** Tokenizer for the label-selector grammar; identifiers are any run of characters that are not syntax. */
function tokenize(input: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n') { i++; continue; }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') { tokens.push(two); i += 2; continue; }
    if ('(),=!<>'.includes(c)) { tokens.push(c); i++; continue; }
    let j = i;
    while (j < input.length && !' \t\n(),=!<>'.includes(input[j]!)) j++;
    tokens.push(input.slice(i, j));
    i = j;
  }
  return tokens;
}

const SYNTAX = new Set(['(', ')', ',', '=', '==', '!=', '!', '<', '>']);

/**
 * Parses a label selector string: `a=b,c!=d,e in (x,y),f notin (z),g,!h`, also `==`, `>`, `<`.
 * The empty string selects everything.
 */
export function parseLabelSelector(selector: string): LabelMatcher {
  const tokens = tokenize(selector);
  const reqs: LabelRequirement[] = [];
  let pos = 0;
  const fail = (what: string): never => {
    throw badRequest(`unable to parse requirement: ${what} in label selector "${selector}"`);
  };
  const ident = (what: string): string => {
    const t = tokens[pos];
    if (t === undefined || SYNTAX.has(t)) return fail(`expected ${what}, found ${t === undefined ? 'end of string' : `'${t}'`}`);
    pos++;
    return t;
  };
  while (pos < tokens.length) {
    if (tokens[pos] === '!') {
      pos++;
      reqs.push(requirement(ident('label key'), 'DoesNotExist', []));
    } else {
      const key = ident('label key');
      const op = tokens[pos];
      if (op === undefined || op === ',') {
        reqs.push(requirement(key, 'Exists', []));
      } else if (op === '=' || op === '==' || op === '!=' || op === '<' || op === '>') {
        pos++;
        // `a=` selects the empty value: the value token is optional before a comma or the end.
        const next = tokens[pos];
        const value = next === undefined || next === ',' ? '' : ident('label value');
        const operator: LabelOperator = op === '!=' ? 'NotEquals' : op === '<' ? 'Lt' : op === '>' ? 'Gt' : 'Equals';
        reqs.push(requirement(key, operator, [value]));
      } else if (op === 'in' || op === 'notin') {
        pos++;
        if (tokens[pos++] !== '(') fail(`expected '(' after '${op}'`);
        // A missing value between separators is the empty value (`in (a,)` selects "a" and "").
        const values: string[] = [];
        for (;;) {
          const t = tokens[pos];
          values.push(t === ',' || t === ')' ? '' : ident('label value'));
          const sep = tokens[pos++];
          if (sep === ')') break;
          if (sep !== ',') fail(`expected ',' or ')' in value list of "${key}"`);
        }
        reqs.push(requirement(key, op === 'in' ? 'In' : 'NotIn', values));
      } else {
        fail(`unexpected '${op}' after key "${key}"`);
      }
    }
    if (pos < tokens.length) {
      if (tokens[pos] !== ',') fail(`expected ',' found '${tokens[pos]}'`);
      pos++;
      if (pos === tokens.length) fail(`expected a requirement after ','`);
    }
  }
  return labelMatcher(reqs);
}

/** The `metav1.LabelSelector` object shape (matchLabels ANDed with matchExpressions). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: readonly string[] | null }> | null;
}

/**
 * Converts a `metav1.LabelSelector` to a matcher: `undefined`/`null` selects nothing, `{}` selects
 * everything (as `LabelSelectorAsSelector`).
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelMatcher {
  if (sel === undefined || sel === null) return nothingLabels;
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(requirement(k, 'Equals', [v]));
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' } as const)[e.operator as 'In'];
    if (!op) throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    reqs.push(requirement(e.key, op, [...(e.values ?? [])]));
  }
  return labelMatcher(reqs);
}

/** Unescapes a field-selector value (`\,` `\=` `\!` `\\`), refusing a bare syntax character. */
function fieldValue(raw: string, selector: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const n = raw[++i];
      if (n === undefined || !'\\,=!'.includes(n)) throw badRequest(`invalid field selector: invalid escape sequence in "${selector}"`);
      out += n;
    } else if (c === ',' || c === '=' || c === '!') {
      throw badRequest(`invalid field selector: unescaped '${c}' in value of "${selector}"`);
    } else {
      out += c;
    }
  }
  return out;
}

const escapeField = (v: string) => v.replace(/[\\,=!]/g, (c) => `\\${c}`);

/** Splits on commas that are not escaped. */
function splitTerms(s: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') { parts.push(s.slice(start, i)); start = i + 1; }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Parses a field selector: terms `field=value`, `field==value`, `field!=value` joined by commas. */
export function parseFieldSelector(selector: string): FieldMatcher {
  const requirements: FieldRequirement[] = [];
  if (selector.trim() !== '') {
    for (const term of splitTerms(selector)) {
      const m = /^([^=!\s\\]+)\s*(!=|==|=)(.*)$/.exec(term.trim());
      if (!m) throw badRequest(`invalid field selector: "${term}" is not of the form field=value, field==value or field!=value`);
      requirements.push({ field: m[1]!, operator: m[2] === '!=' ? '!=' : '=', value: fieldValue(m[3]!, selector) });
    }
  }
  const text = requirements.map((r) => `${r.field}${r.operator}${escapeField(r.value)}`).join(',');
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (fieldOf) => requirements.every((r) => ((fieldOf(r.field) ?? '') === r.value) === (r.operator === '=')),
    requires: (field) => requirements.find((r) => r.field === field && r.operator === '=')?.value,
    toString: () => text,
  };
}

/** Reads a dotted field path (`spec.nodeName`) of an object as a field selector sees it: scalars as strings, absent as undefined. */
export function objectField(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'object' ? undefined : String(cur);
}
