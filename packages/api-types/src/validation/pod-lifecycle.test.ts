import { describe, expect, it } from 'vitest';
import type { Pod } from '../core/v1.js';
import { defaultPod } from '../defaults.js';
import { RESOURCES } from '../resources.js';
import { validateEphemeralContainersUpdate, validatePodResize, validatePodStatusUpdate, validatePodUpdate } from './pod-lifecycle.js';
import { validateBinding, validateEviction, validateScale } from './kinds.js';
import { validateObjectUpdate, throwIfInvalid } from './index.js';
import { isInvalid, type StatusError } from '../errors.js';
import { webPod } from '../testdata/objects.js';

const stored = (): Pod => {
  const p = defaultPod(webPod());
  p.metadata = { ...p.metadata, uid: 'u-1', resourceVersion: '5', creationTimestamp: '2024-01-01T00:00:00Z', generation: 1 };
  return p;
};
const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);
const FORBIDDEN_PREFIX = 'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`';

const updates: [string, (p: Pod) => void, string[]][] = [
  ['no change', () => undefined, []],
  ['label change is allowed', (p) => { p.metadata.labels!.version = '2'; }, []],
  ['container image change', (p) => { p.spec!.containers[0].image = 'nginx:1.28'; }, []],
  ['init container image change', (p) => { p.spec!.initContainers![0].image = 'registry.example.com/migrate:1.5'; }, []],
  ['image cleared', (p) => { p.spec!.containers[0].image = ''; }, ['spec.containers[0].image: Required value']],
  ['activeDeadlineSeconds set from nil', (p) => { p.spec!.activeDeadlineSeconds = 100; }, []],
  ['tolerations added', (p) => { p.spec!.tolerations!.push({ key: 'k', operator: 'Exists' }); }, []],
  ['toleration removed', (p) => { p.spec!.tolerations = []; }, ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']],
  ['container command changed', (p) => { p.spec!.containers[0].command = ['x']; }, [FORBIDDEN_PREFIX]],
  ['container added', (p) => { p.spec!.containers.push({ name: 'extra', image: 'busybox', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }); }, [FORBIDDEN_PREFIX]],
  ['resources changed', (p) => { p.spec!.containers[0].resources!.limits!.cpu = '600m'; }, [FORBIDDEN_PREFIX]],
  ['nodeName set by update', (p) => { p.spec!.nodeName = 'node-1'; }, [FORBIDDEN_PREFIX]],
  ['grace period changed', (p) => { p.spec!.terminationGracePeriodSeconds = 10; }, [FORBIDDEN_PREFIX]],
  ['name changed', (p) => { p.metadata.name = 'other'; }, ['metadata.name: Invalid value: "other": field is immutable']],
  ['namespace changed', (p) => { p.metadata.namespace = 'other'; }, ['metadata.namespace: Invalid value: "other": field is immutable']],
  ['uid changed', (p) => { p.metadata.uid = 'u-2'; }, ['metadata.uid: Invalid value: "u-2": field is immutable']],
  ['creationTimestamp changed', (p) => { p.metadata.creationTimestamp = '2025-01-01T00:00:00Z'; }, ['metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable']],
  ['deletionTimestamp set by update', (p) => { p.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'; }, ['metadata.deletionTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable; may only be changed via deletion']],
  ['mirror annotation added', (p) => { p.metadata.annotations!['kubernetes.io/config.mirror'] = 'h'; p.spec!.nodeName = undefined; }, [
    'metadata.annotations: Invalid value: "kubernetes.io/config.mirror": must set spec.nodeName if mirror pod annotation is set',
    'metadata.annotations[kubernetes.io/config.mirror]: Invalid value: "h": field is immutable',
  ]],
];

describe('validatePodUpdate', () => {
  it.each(updates)('%s', (_n, mutate, want) => {
    const old = stored();
    const next = structuredClone(old);
    mutate(next);
    const got = lines(validatePodUpdate(next, old));
    for (const w of want) expect(got.some((g) => g.startsWith(w)), got.join('\n')).toBe(true);
    expect(got, got.join('\n')).toHaveLength(want.length);
  });

  it.each([
    [undefined, 50, []],
    [100, 50, []],
    [100, 100, []],
    [100, 200, ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']],
    [100, undefined, ['spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value']],
  ] as const)('activeDeadlineSeconds %s -> %s', (from, to, want) => {
    const old = stored();
    old.spec!.activeDeadlineSeconds = from;
    const next = structuredClone(old);
    next.spec!.activeDeadlineSeconds = to;
    expect(lines(validatePodUpdate(next, old))).toEqual(want);
  });

  it('negative grace period may become 1', () => {
    const old = stored();
    old.spec!.terminationGracePeriodSeconds = -1;
    delete old.spec!.containers[0].lifecycle;
    const next = structuredClone(old);
    next.spec!.terminationGracePeriodSeconds = 1;
    expect(validatePodUpdate(next, old)).toEqual([]);
  });

  it('scheduling gates: removal allowed, addition forbidden', () => {
    const old = stored();
    old.spec!.schedulingGates = [{ name: 'example.com/a' }];
    const removed = structuredClone(old);
    removed.spec!.schedulingGates = [];
    expect(validatePodUpdate(removed, old)).toEqual([]);
    const added = structuredClone(old);
    added.spec!.schedulingGates!.push({ name: 'example.com/b' });
    expect(lines(validatePodUpdate(added, old))).toEqual(["spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/b'"]);
  });

  it('a gated pod may add nodeSelector entries but not change them; an ungated one may not add', () => {
    const old = stored();
    old.spec!.schedulingGates = [{ name: 'example.com/a' }];
    const added = structuredClone(old);
    added.spec!.nodeSelector!.zone = 'a';
    expect(validatePodUpdate(added, old)).toEqual([]);
    const changed = structuredClone(old);
    changed.spec!.nodeSelector!['kubernetes.io/os'] = 'windows';
    expect(lines(validatePodUpdate(changed, old))[0]).toMatch(/^spec.nodeSelector: Invalid value: .*only additions to spec.nodeSelector are allowed/);
    const ungated = stored();
    const next = structuredClone(ungated);
    next.spec!.nodeSelector!.zone = 'a';
    expect(lines(validatePodUpdate(next, ungated))[0]).toMatch(FORBIDDEN_PREFIX);
  });

  it('no new finalizers once deleting; removing is fine', () => {
    const old = stored();
    old.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
    old.metadata.deletionGracePeriodSeconds = 30;
    old.metadata.finalizers = ['example.com/a'];
    const add = structuredClone(old);
    add.metadata.finalizers!.push('example.com/b');
    expect(lines(validatePodUpdate(add, old))).toEqual(['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}']);
    const remove = structuredClone(old);
    remove.metadata.finalizers = [];
    expect(validatePodUpdate(remove, old)).toEqual([]);
  });

  it('mirror annotation may not be removed', () => {
    const old = stored();
    old.spec!.nodeName = 'n1';
    old.metadata.annotations!['kubernetes.io/config.mirror'] = 'h';
    const next = structuredClone(old);
    delete next.metadata.annotations!['kubernetes.io/config.mirror'];
    expect(lines(validatePodUpdate(next, old))).toEqual(['metadata.annotations[kubernetes.io/config.mirror]: Forbidden: field is immutable']);
  });

  it('throwIfInvalid raises a 422 with every cause', () => {
    const old = stored();
    const next = structuredClone(old);
    next.metadata.name = 'x';
    next.spec!.containers[0].command = ['y'];
    const errs = validateObjectUpdate(RESOURCES.pods, next, old);
    let thrown: StatusError | undefined;
    try { throwIfInvalid(RESOURCES.pods, next, errs); } catch (e) { thrown = e as StatusError; }
    expect(isInvalid(thrown)).toBe(true);
    expect(thrown!.code).toBe(422);
    expect(thrown!.status.details!.causes!.map((c) => c.field)).toEqual(['metadata.name', 'spec']);
    expect(thrown!.message).toMatch(/^Pod "x" is invalid: \[metadata.name: Invalid value: "x": field is immutable, spec: Forbidden: pod updates/);
  });
});

const running = (name: string) => ({ name, image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } });
const terminated = (name: string, exitCode: number) => ({ name, image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } });

describe('validatePodStatusUpdate', () => {
  it.each([
    ['Never', 0, true],
    ['Never', 1, true],
    ['OnFailure', 0, true],
    ['OnFailure', 1, false],
    ['Always', 0, false],
  ] as const)('restartPolicy %s, exit %d: restart forbidden=%s', (policy, code, isForbidden) => {
    const old = stored();
    old.spec!.restartPolicy = policy;
    old.status = { containerStatuses: [terminated('app', code)] };
    const next = structuredClone(old);
    next.status = { containerStatuses: [running('app')] };
    expect(lines(validatePodStatusUpdate(next, old))).toEqual(isForbidden ? ['status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state'] : []);
  });
  it('sidecars may restart under Never, ephemeral containers never', () => {
    const old = stored();
    old.spec!.restartPolicy = 'Never';
    old.status = { initContainerStatuses: [terminated('logshipper', 1)], ephemeralContainerStatuses: [terminated('debug', 0)] };
    const next = structuredClone(old);
    next.status = { initContainerStatuses: [running('logshipper')], ephemeralContainerStatuses: [running('debug')] };
    expect(lines(validatePodStatusUpdate(next, old))).toEqual(['status.ephemeralContainerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state']);
  });
  it('qosClass and nodeName are fixed; IPs must be valid and consistent', () => {
    const old = stored();
    old.spec!.nodeName = 'n1';
    old.status = { qosClass: 'Burstable' };
    const next = structuredClone(old);
    next.spec!.nodeName = 'n2';
    next.status = { qosClass: 'Guaranteed', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.2' }, { ip: 'bogus' }], hostIPs: [{ ip: '192.168.1.1' }, { ip: '192.168.1.1' }] };
    expect(lines(validatePodStatusUpdate(next, old))).toEqual([
      'status.nodeName: Forbidden: may not be changed directly',
      'status.qosClass: Invalid value: "Guaranteed": field is immutable',
      'status.podIPs[1].ip: Invalid value: "bogus": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.hostIPs[1].ip: Duplicate value: "192.168.1.1"',
      'status.podIPs[0].ip: Invalid value: "10.0.0.2": must be equal to status.podIP',
    ]);
  });
  it('accepts a normal kubelet status write', () => {
    const old = stored();
    const next = structuredClone(old);
    next.status = { phase: 'Running', qosClass: 'Burstable', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], hostIPs: [{ ip: '127.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running('app')] };
    expect(validatePodStatusUpdate(next, old)).toEqual([]);
  });
});

describe('validateEphemeralContainersUpdate', () => {
  const debug = { name: 'debug', image: 'busybox', targetContainerName: 'app', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' as const, imagePullPolicy: 'IfNotPresent' as const };
  it('adds a debug container', () => {
    const old = stored();
    const next = structuredClone(old);
    next.spec!.ephemeralContainers = [debug];
    expect(validateEphemeralContainersUpdate(next, old)).toEqual([]);
  });
  it('refuses changes, removals and forbidden fields', () => {
    const old = stored();
    old.spec!.ephemeralContainers = [debug, { ...debug, name: 'debug2' }];
    const next = structuredClone(old);
    next.spec!.ephemeralContainers = [{ ...debug, image: 'alpine' }, { ...debug, name: 'debug3', ports: [{ containerPort: 80 }], targetContainerName: 'nope' }];
    expect(lines(validateEphemeralContainersUpdate(next, old))).toEqual([
      'spec.ephemeralContainers[0]: Forbidden: existing ephemeral containers "debug" may not be changed',
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug2" may not be removed',
      'spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[1].targetContainerName: Not found: "nope"',
    ]);
  });
  it('refuses a name already used by a container, and static pods', () => {
    const old = stored();
    const next = structuredClone(old);
    next.spec!.ephemeralContainers = [{ ...debug, name: 'app' }];
    expect(lines(validateEphemeralContainersUpdate(next, old))).toEqual(['spec.ephemeralContainers[0].name: Duplicate value: "app"']);
    old.metadata.annotations!['kubernetes.io/config.mirror'] = 'h';
    next.metadata.annotations!['kubernetes.io/config.mirror'] = 'h';
    expect(lines(validateEphemeralContainersUpdate(next, old))).toEqual(['spec.ephemeralContainers: Forbidden: static pods do not support ephemeral containers']);
  });
  it('ephemeral containers may not use subPath, probes or lifecycle', () => {
    const old = stored();
    const next = structuredClone(old);
    next.spec!.ephemeralContainers = [{ ...debug, volumeMounts: [{ name: 'logs', mountPath: '/l', subPath: 'x' }], readinessProbe: { exec: { command: ['true'] } }, lifecycle: {} }];
    expect(lines(validateEphemeralContainersUpdate(next, old))).toEqual([
      'spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
    ]);
  });
  it('is reachable through validateObjectUpdate', () => {
    const old = stored();
    const next = structuredClone(old);
    next.spec!.ephemeralContainers = [debug];
    expect(validateObjectUpdate(RESOURCES.pods, next, old, 'ephemeralcontainers')).toEqual([]);
    expect(validateObjectUpdate(RESOURCES.pods, next, old)[0].message).toMatch(/^Forbidden: pod updates may not change/);
  });
});

describe('validatePodResize', () => {
  it('changes cpu and memory of containers and sidecars', () => {
    const old = stored();
    const next = structuredClone(old);
    next.spec!.containers[0].resources = { requests: { cpu: '300m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } };
    next.spec!.initContainers![1].resources = { requests: { cpu: '50m' } };
    expect(validateObjectUpdate(RESOURCES.pods, next, old, 'resize')).toEqual([]);
  });
  it('refuses other resources, other fields, regular init containers and QoS changes', () => {
    const old = stored();
    const eph = structuredClone(old);
    eph.spec!.containers[0].resources!.limits!['ephemeral-storage'] = '1Gi';
    expect(lines(validatePodResize(eph, old))).toEqual(['spec.containers[0].resources: Forbidden: only cpu and memory resources are mutable']);
    const other = structuredClone(old);
    other.spec!.containers[0].image = 'x:2';
    expect(lines(validatePodResize(other, old))).toEqual(['spec: Forbidden: only cpu and memory resources are mutable']);
    const init = structuredClone(old);
    init.spec!.initContainers![0].resources = { requests: { cpu: '1' } };
    expect(lines(validatePodResize(init, old))).toEqual(['spec: Forbidden: only cpu and memory resources are mutable']);
    const qos = structuredClone(old);
    for (const c of [...qos.spec!.containers, qos.spec!.initContainers![1]]) c.resources = {};
    expect(lines(validatePodResize(qos, old))).toEqual(['spec.containers[*].resources: Forbidden: Pod QOS Class may not change as a result of resizing (was Burstable)']);
  });
});

describe('subresource bodies', () => {
  it('binding, scale and eviction', () => {
    expect(validateBinding({ metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } })).toEqual([]);
    expect(lines(validateBinding({ metadata: { name: 'p' }, target: { kind: 'Pod', name: '' } }))).toEqual([
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"', 'target.name: Required value',
    ]);
    expect(lines(validateScale({ metadata: { name: 'd' }, spec: { replicas: -1 } }))).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
    expect(lines(validateEviction({ metadata: { name: 'p' }, deleteOptions: { gracePeriodSeconds: -5, propagationPolicy: 'Now' } }))).toEqual([
      'deleteOptions.gracePeriodSeconds: Invalid value: -5: must be greater than or equal to 0',
      'deleteOptions.propagationPolicy: Unsupported value: "Now": supported values: "Foreground", "Background", "Orphan"',
    ]);
  });
});
