import type { FieldError } from '../errors.js';
import { invalidValue, tooLong } from './field.js';

/**
 * Name and key syntax checks of apimachinery's `util/validation`. Each returns the list of
 * problems (empty when valid) in Kubernetes' wording, to be wrapped as Invalid field errors.
 */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const PORT_NAME = /^[-a-z0-9]+$/;

const maxLen = (n: number) => `must be no more than ${n} characters`;
const regexError = (what: string, regex: string, examples: string[]) =>
  `${what} (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${regex}')`;

const DNS1123_LABEL_MSG = regexError(
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  '[a-z0-9]([-a-z0-9]*[a-z0-9])?', ['my-name', '123-abc'],
);
const DNS1123_SUBDOMAIN_MSG = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', ['example.com'],
);
const QUALIFIED_NAME_BODY = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MSG = regexError(`name part ${QUALIFIED_NAME_BODY}`, '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', ['MyName', 'my.name', '123-abc']);
const LABEL_VALUE_MSG = regexError(
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?', ['MyValue', 'my_value', '12345'],
);
const CONFIG_KEY_MSG = regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', ['key.name', 'KEY_NAME', 'key-name']);

export const isDNS1123Label = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!DNS1123_LABEL.test(v)) errs.push(DNS1123_LABEL_MSG);
  return errs;
};

export const isDNS1123Subdomain = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!DNS1123_SUBDOMAIN.test(v)) errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
};

/** Label keys, annotation keys, finalizers, condition types: `[prefix/]name`. */
export const isQualifiedName = (v: string): string[] => {
  // Fast path: the common unprefixed, well-formed name.
  if (v.length <= 63 && QUALIFIED_NAME.test(v)) return [];
  const slash = v.indexOf('/');
  let name = v;
  const errs: string[] = [];
  if (slash >= 0 && v.indexOf('/', slash + 1) < 0) {
    const prefix = v.slice(0, slash);
    name = v.slice(slash + 1);
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else if (slash >= 0) {
    return [`a qualified name ${regexError(QUALIFIED_NAME_BODY, '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', ['MyName', 'my.name', '123-abc'])} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) errs.push(QUALIFIED_NAME_MSG);
  return errs;
};

export const isValidLabelValue = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!LABEL_VALUE.test(v)) errs.push(LABEL_VALUE_MSG);
  return errs;
};

export const isConfigMapKey = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!CONFIG_KEY.test(v)) errs.push(CONFIG_KEY_MSG);
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
};

/** Environment variable names: any printable ASCII except '=' (RelaxedEnvironmentVariableValidation, GA in 1.34). */
const ENV_VAR_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;
export const isEnvVarName = (v: string): string[] =>
  v.length > 0 && ENV_VAR_NAME.test(v) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];

/** IANA service names, as port names must be. */
export const isValidPortName = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 15) errs.push(maxLen(15));
  if (!PORT_NAME.test(v)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (v.includes('--')) errs.push("must not contain consecutive hyphens");
  if (v.length > 0 && !/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.startsWith('-') || v.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
};

export const isValidPortNum = (p: number): string[] => (p >= 1 && p <= 65535 ? [] : ['must be between 1 and 65535, inclusive']);

/** Wraps a checker's messages as Invalid errors on one field. */
export const check = (errs: FieldError[], field: string, value: string, checker: (v: string) => string[]) => {
  for (const m of checker(value)) errs.push(invalidValue(field, value, m));
};

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export const validateLabels = (errs: FieldError[], labels: Record<string, string> | undefined, field: string) => {
  if (!labels) return;
  for (const k in labels) {
    check(errs, field, k, isQualifiedName);
    check(errs, field, labels[k], isValidLabelValue);
  }
};

/** Annotation keys are qualified names (checked lower-cased); keys plus values total at most 256 KiB. */
export const validateAnnotations = (errs: FieldError[], annotations: Record<string, string> | undefined, field: string) => {
  if (!annotations) return;
  let size = 0;
  for (const k in annotations) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalidValue(field, k, m));
    size += k.length + annotations[k].length;
  }
  if (size > TOTAL_ANNOTATION_SIZE) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE));
};
