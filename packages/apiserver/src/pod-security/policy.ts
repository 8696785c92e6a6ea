import type { FieldError } from '@peapod/api-types';
import type { Level } from './checks.js';

/** A level at a policy version; `minor` is Infinity for `latest`. */
export interface LevelVersion {
  level: Level;
  minor: number;
}

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

const PREFIX = 'pod-security.kubernetes.io/';
export const MODES = ['enforce', 'audit', 'warn'] as const;
const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];
const STRICTNESS: Record<Level, number> = { privileged: 0, baseline: 1, restricted: 2 };

/** `restricted:latest`, `baseline:v1.29`, as Kubernetes prints a policy. */
export const policyString = (lv: LevelVersion) => `${lv.level}:${lv.minor === Infinity ? 'latest' : `v1.${lv.minor}`}`;
export const sameLevelVersion = (a: LevelVersion, b: LevelVersion) => a.level === b.level && a.minor === b.minor;
/** Positive when `a` is stricter than `b`. */
export const compareLevels = (a: Level, b: Level) => STRICTNESS[a] - STRICTNESS[b];

/**
 * The policy a namespace's labels ask for; unlabeled modes are `privileged:latest`. A bad label is
 * reported in `errors` and fails closed for enforce (`restricted`, `latest`) but open for audit and
 * warn (`privileged`), as Kubernetes does.
 */
export function policyFromLabels(labels: Record<string, string> | undefined): { policy: NamespacePolicy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const policy = {} as NamespacePolicy;
  for (const mode of MODES) {
    const lv: LevelVersion = { level: 'privileged', minor: Infinity };
    const levelKey = `${PREFIX}${mode}`;
    const level = labels?.[levelKey];
    if (level !== undefined) {
      if ((LEVELS as readonly string[]).includes(level)) lv.level = level as Level;
      else {
        lv.level = mode === 'enforce' ? 'restricted' : 'privileged';
        errors.push(labelError(levelKey, level, `must be one of ${LEVELS.join(', ')}`));
      }
    }
    const versionKey = `${levelKey}-version`;
    const version = labels?.[versionKey];
    if (version !== undefined && version !== 'latest') {
      const m = /^v1\.(0|[1-9][0-9]*)$/.exec(version);
      if (m) lv.minor = Number(m[1]);
      else errors.push(labelError(versionKey, version, 'must be "latest" or "v1.x"'));
    }
    policy[mode] = lv;
  }
  return { policy, errors };
}

const labelError = (key: string, value: string, why: string): FieldError =>
  ({ type: 'FieldValueInvalid', field: `metadata.labels[${key}]`, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
