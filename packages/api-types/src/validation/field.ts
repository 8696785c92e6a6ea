import type { FieldError } from '../errors.js';

/**
 * Field error constructors whose messages read as apimachinery's `field.Error` bodies, e.g.
 * `Required value`, `Invalid value: "Foo": <detail>`, `Unsupported value: "x": supported values:
 * "a", "b"`. Values print as Kubernetes prints them: strings quoted, numbers and booleans bare,
 * anything else as JSON.
 */
export const showValue = (v: unknown): string => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === undefined ? 'null' : JSON.stringify(v));

const withDetail = (head: string, detail?: string) => (detail ? `${head}: ${detail}` : head);

export const required = (field: string, detail?: string): FieldError => ({ type: 'FieldValueRequired', field, message: withDetail('Required value', detail) });
export const invalidValue = (field: string, value: unknown, detail: string): FieldError =>
  ({ type: 'FieldValueInvalid', field, message: `Invalid value: ${showValue(value)}: ${detail}` });
export const notSupported = (field: string, value: unknown, valid: readonly string[]): FieldError =>
  ({ type: 'FieldValueNotSupported', field, message: `Unsupported value: ${showValue(value)}: supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, message: `Duplicate value: ${showValue(value)}` });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
export const tooLong = (field: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` });
export const tooMany = (field: string, actual: number, max: number): FieldError =>
  ({ type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` });
export const notFound = (field: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field, message: `Not found: ${showValue(value)}` });

export const IMMUTABLE = 'field is immutable';
export const inclusiveRange = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;
export const NON_NEGATIVE = 'must be greater than or equal to 0';

/** Appends an Invalid error when `value` is negative, at `field`, or `field.member` (built only for the error). */
export const nonNegative = (errs: FieldError[], field: string, value: number | undefined, member?: string) => {
  if (value !== undefined && value < 0) errs.push(invalidValue(member === undefined ? field : `${field}.${member}`, value, NON_NEGATIVE));
};
