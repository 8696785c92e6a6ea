import { quantityMilliValue, quantityValue, type Container } from '@peapod/api-types';
import type { LinuxContainerResources } from '@peapod/runtime';

const CPU_PERIOD = 100_000;
const MIN_SHARES = 2;

/**
 * A container's resources as the runtime applies them (kubelet's `calculateLinuxResources`):
 * CPU request as cgroup shares, CPU limit as a CFS quota over a 100 ms period, memory limit in bytes.
 */
export function linuxResources(c: Pick<Container, 'resources'>): Readonly<LinuxContainerResources> {
  let out = computed.get(c);
  if (!out) computed.set(c, (out = Object.freeze(calculate(c))));
  return out;
}

/** Each sync asks several times per container (actions, status); a container spec is replaced, never changed in place. */
const computed = new WeakMap<Pick<Container, 'resources'>, LinuxContainerResources>();

function calculate(c: Pick<Container, 'resources'>): LinuxContainerResources {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  const cpuRequest = requests.cpu ?? limits.cpu;
  const out: LinuxContainerResources = { cpuShares: cpuRequest ? Math.max(MIN_SHARES, Math.floor((quantityMilliValue(cpuRequest) * 1024) / 1000)) : MIN_SHARES };
  if (limits.cpu) {
    out.cpuPeriod = CPU_PERIOD;
    out.cpuQuota = Math.floor((quantityMilliValue(limits.cpu) * CPU_PERIOD) / 1000);
  }
  if (limits.memory) out.memoryLimitInBytes = quantityValue(limits.memory);
  return out;
}

/** Which resources differ between what runs and what the spec asks for (`cpu`, `memory`). */
export function resizedResources(applied: LinuxContainerResources | undefined, desired: LinuxContainerResources): ('cpu' | 'memory')[] {
  if (!applied) return [];
  const out: ('cpu' | 'memory')[] = [];
  if (applied.cpuShares !== desired.cpuShares || applied.cpuQuota !== desired.cpuQuota) out.push('cpu');
  if (applied.memoryLimitInBytes !== desired.memoryLimitInBytes) out.push('memory');
  return out;
}
