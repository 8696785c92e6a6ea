import { describe, expect, it } from 'vitest';
import type { Pod, PodSpec, Container } from '../core/v1.js';
import { defaultPod } from '../defaults.js';
import { validatePod } from './pod-lifecycle.js';
import { webPod } from '../testdata/objects.js';

const valid = (): Pod => defaultPod(webPod());
const lines = (pod: Pod) => validatePod(pod).map((e) => `${e.field}: ${e.message}`);
const app = (p: Pod): Container => p.spec!.containers[0];
const spec = (p: Pod): PodSpec => p.spec!;

/** Each case breaks one rule; the errors must be exactly those listed (each a prefix of a line). */
const cases: [string, (p: Pod) => void, string[]][] = [
  // metadata
  ['missing name', (p) => { delete p.metadata.name; }, ['metadata.name: Required value: name or generateName is required']],
  ['generateName alone is enough', (p) => { delete p.metadata.name; p.metadata.generateName = 'web-'; }, []],
  ['uppercase name', (p) => { p.metadata.name = 'Web'; }, ['metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of']],
  ['name too long', (p) => { p.metadata.name = 'a'.repeat(254); }, ['metadata.name: Invalid value: "' + 'a'.repeat(254) + '": must be no more than 253 characters']],
  ['dotted name is a valid subdomain', (p) => { p.metadata.name = 'web.v1'; }, []],
  ['missing namespace', (p) => { delete p.metadata.namespace; }, ['metadata.namespace: Required value']],
  ['bad namespace', (p) => { p.metadata.namespace = 'a.b'; }, ['metadata.namespace: Invalid value: "a.b": a lowercase RFC 1123 label must consist of']],
  ['bad label key', (p) => { p.metadata.labels = { 'a/b/c': 'x' }; }, ['metadata.labels: Invalid value: "a/b/c": a qualified name must consist of']],
  ['bad label key prefix', (p) => { p.metadata.labels = { 'Example.com/x': 'y' }; }, ['metadata.labels: Invalid value: "Example.com/x": prefix part a lowercase RFC 1123 subdomain']],
  ['label value too long', (p) => { p.metadata.labels = { a: 'v'.repeat(64) }; }, ['metadata.labels: Invalid value: "' + 'v'.repeat(64) + '": must be no more than 63 characters']],
  ['label value bad chars', (p) => { p.metadata.labels = { a: 'x y' }; }, ['metadata.labels: Invalid value: "x y": a valid label must be an empty string or consist of']],
  ['empty label value allowed', (p) => { p.metadata.labels = { a: '' }; }, []],
  ['bad annotation key', (p) => { p.metadata.annotations = { '-bad': 'x' }; }, ['metadata.annotations: Invalid value: "-bad": name part must consist of']],
  ['annotations over 256 KiB', (p) => { p.metadata.annotations = { big: 'x'.repeat(256 * 1024) }; }, ['metadata.annotations: Too long: may not be more than 262144 bytes']],
  ['owner reference missing uid', (p) => { p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }]; }, ['metadata.ownerReferences[0].uid: Invalid value: "": uid must not be empty']],
  ['two controllers', (p) => {
    p.metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true },
    ];
  }, ['metadata.ownerReferences: Invalid value: [']],
  ['unqualified custom finalizer', (p) => { p.metadata.finalizers = ['mine']; }, ['metadata.finalizers[0]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified']],
  ['qualified and standard finalizers', (p) => { p.metadata.finalizers = ['example.com/cleanup', 'foregroundDeletion']; }, []],
  ['negative generation', (p) => { p.metadata.generation = -1; }, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
  ['mirror annotation without nodeName', (p) => { p.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' }; }, ['metadata.annotations: Invalid value: "kubernetes.io/config.mirror": must set spec.nodeName if mirror pod annotation is set']],
  ['mirror annotation with nodeName', (p) => { p.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' }; spec(p).nodeName = 'node-1'; }, []],
  // containers
  ['no containers', (p) => { spec(p).containers = []; }, ['spec.containers: Required value']],
  ['container name missing', (p) => { app(p).name = ''; }, ['spec.containers[0].name: Required value']],
  ['container name not a DNS label', (p) => { app(p).name = 'App_1'; }, ['spec.containers[0].name: Invalid value: "App_1": a lowercase RFC 1123 label']],
  ['duplicate container names', (p) => { spec(p).containers[1].name = 'app'; }, ['spec.containers[1].name: Duplicate value: "app"']],
  ['init and regular share a name', (p) => { spec(p).initContainers![0].name = 'app'; }, ['spec.containers[0].name: Duplicate value: "app"']],
  ['image required in pods', (p) => { delete app(p).image; }, ['spec.containers[0].image: Required value']],
  ['image with whitespace', (p) => { app(p).image = ' nginx'; }, ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']],
  ['restartPolicy on regular container', (p) => { app(p).restartPolicy = 'Always'; }, ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers']],
  ['init restartPolicy other than Always', (p) => { spec(p).initContainers![0].restartPolicy = 'Never'; }, ['spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"']],
  // ports
  ['containerPort 0', (p) => { app(p).ports![0].containerPort = 0; }, ['spec.containers[0].ports[0].containerPort: Required value']],
  ['containerPort too big', (p) => { app(p).ports![0].containerPort = 70000; }, ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['hostPort too big', (p) => { app(p).ports![0].hostPort = 65536; }, ['spec.containers[0].ports[0].hostPort: Invalid value: 65536: must be between 1 and 65535, inclusive']],
  ['port name too long', (p) => { app(p).ports![0].name = 'a-very-long-port-name'; }, ['spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters']],
  ['port name without letters', (p) => { app(p).ports![0].name = '8080'; }, ['spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)']],
  ['duplicate port names in a container', (p) => { app(p).ports!.push({ name: 'http', containerPort: 8081, protocol: 'TCP' }); }, ['spec.containers[0].ports[1].name: Duplicate value: "http"']],
  ['host port conflict across containers', (p) => {
    app(p).ports![0].hostPort = 80;
    spec(p).containers[1].ports = [{ containerPort: 81, hostPort: 80, protocol: 'TCP' }];
  }, ['spec.containers[1].ports[0].hostPort: Duplicate value: "80/TCP"']],
  ['hostNetwork needs hostPort == containerPort', (p) => { spec(p).hostNetwork = true; app(p).ports![0].hostPort = 80; }, ['spec.containers[0].ports[0].hostPort: Invalid value: 80: must match `containerPort` when `hostNetwork` is true']],
  // env
  ['env name with =', (p) => { app(p).env![2].name = 'A=B'; }, ['spec.containers[0].env[2].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'']],
  ['env name with dots and dashes is fine', (p) => { app(p).env![2].name = 'my.var-1'; }, []],
  ['env name empty', (p) => { app(p).env![2].name = ''; }, ['spec.containers[0].env[2].name: Required value']],
  ['value and valueFrom', (p) => { app(p).env![0].value = 'x'; }, ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty']],
  ['valueFrom with two sources', (p) => { app(p).env![0].valueFrom!.secretKeyRef = { name: 's', key: 'k' }; }, ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time']],
  ['valueFrom empty', (p) => { app(p).env![0].valueFrom = {}; }, ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`']],
  ['configMapKeyRef without key', (p) => { app(p).env![2] = { name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: '' } } }; }, ['spec.containers[0].env[2].valueFrom.configMapKeyRef.key: Required value']],
  ['secretKeyRef without name', (p) => { app(p).env![2] = { name: 'X', valueFrom: { secretKeyRef: { key: 'k' } } }; }, ['spec.containers[0].env[2].valueFrom.secretKeyRef.name: Required value']],
  ['configMapKeyRef key with slash', (p) => { app(p).env![2] = { name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a/b' } } }; }, ['spec.containers[0].env[2].valueFrom.configMapKeyRef.key: Invalid value: "a/b": a valid config key must consist of']],
  ['envFrom without a source', (p) => { app(p).envFrom = [{ prefix: 'P_' }]; }, ['spec.containers[0].envFrom[0]: Invalid value: "": must specify one of: `configMapRef` or `secretRef`']],
  ['envFrom with both sources', (p) => { app(p).envFrom = [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }]; }, ['spec.containers[0].envFrom[0]: Invalid value: "": may not have more than one field specified at a time']],
  // downward API
  ['env fieldRef: unsupported path', (p) => { app(p).env![0].valueFrom!.fieldRef!.fieldPath = 'metadata.labels'; }, ['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"']],
  ['env fieldRef: status.podIPs allowed', (p) => { app(p).env![0].valueFrom!.fieldRef!.fieldPath = 'status.podIPs'; }, []],
  ['env fieldRef: a single label allowed', (p) => { app(p).env![0].valueFrom!.fieldRef!.fieldPath = "metadata.labels['app']"; }, []],
  ['env fieldRef: bad label key subscript', (p) => { app(p).env![0].valueFrom!.fieldRef!.fieldPath = "metadata.labels['-x']"; }, ['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "-x": name part must consist of']],
  ['env fieldRef: subscript on a non-map', (p) => { app(p).env![0].valueFrom!.fieldRef!.fieldPath = "metadata.name['x']"; }, ['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "metadata.name": does not support subscript']],
  ['env fieldRef without apiVersion', (p) => { delete app(p).env![0].valueFrom!.fieldRef!.apiVersion; }, ['spec.containers[0].env[0].valueFrom.fieldRef.apiVersion: Required value']],
  ['env resourceFieldRef: unsupported resource', (p) => { app(p).env![1].valueFrom!.resourceFieldRef!.resource = 'limits.gpu'; }, ['spec.containers[0].env[1].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu"']],
  ['env resourceFieldRef: cpu divisor 1 ok', (p) => { app(p).env![1].valueFrom!.resourceFieldRef!.divisor = '1'; }, []],
  ['env resourceFieldRef: cpu divisor 1000m equals 1', (p) => { app(p).env![1].valueFrom!.resourceFieldRef!.divisor = '1000m'; }, []],
  ['env resourceFieldRef: cpu divisor 2m', (p) => { app(p).env![1].valueFrom!.resourceFieldRef!.divisor = '2m'; }, ['spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: Invalid value: "2m": only divisor\'s values 1m and 1 are supported with the cpu resource']],
  ['env resourceFieldRef: memory divisor 1Mi ok', (p) => { app(p).env![1].valueFrom!.resourceFieldRef = { resource: 'requests.memory', divisor: '1Mi' }; }, []],
  ['env resourceFieldRef: memory divisor 1m', (p) => { app(p).env![1].valueFrom!.resourceFieldRef = { resource: 'requests.memory', divisor: '1m' }; }, ['spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: Invalid value: "1m": only divisor\'s values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource']],
  ['env resourceFieldRef: containerName optional', (p) => { app(p).env![1].valueFrom!.resourceFieldRef!.containerName = undefined; }, []],
  ['volume fieldRef: whole labels allowed', (p) => { spec(p).volumes![2].downwardAPI!.items![0].fieldRef!.fieldPath = 'metadata.annotations'; }, []],
  ['volume fieldRef: spec.nodeName not allowed', (p) => { spec(p).volumes![2].downwardAPI!.items![0].fieldRef!.fieldPath = 'spec.nodeName'; }, ['spec.volumes[2].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"']],
  ['volume resourceFieldRef needs containerName', (p) => { spec(p).volumes![2].downwardAPI!.items![0] = { path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } }; }, ['spec.volumes[2].downwardAPI.items[0].resourceFieldRef.containerName: Required value']],
  ['volume item with both refs', (p) => { spec(p).volumes![2].downwardAPI!.items![0].resourceFieldRef = { containerName: 'app', resource: 'limits.cpu' }; }, ['spec.volumes[2].downwardAPI.items[0]: Invalid value: "resource": fieldRef and resourceFieldRef can not be specified simultaneously']],
  ['volume item path with ..', (p) => { spec(p).volumes![2].downwardAPI!.items![0].path = '../x'; }, ['spec.volumes[2].downwardAPI.items[0].path: Invalid value: "../x": must not contain \'..\'']],
  // volumes and mounts
  ['volume without a source', (p) => { spec(p).volumes![0] = { name: 'logs' }; }, ['spec.volumes[0]: Required value: must specify a volume type']],
  ['volume with two sources', (p) => { spec(p).volumes![0].hostPath = { path: '/tmp', type: '' }; }, ['spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type']],
  ['duplicate volume names', (p) => { spec(p).volumes![1].name = 'logs'; }, ['spec.volumes[1].name: Duplicate value: "logs"', 'spec.containers[0].volumeMounts[1].name: Not found: "config"']],
  ['volume name not a DNS label', (p) => { spec(p).volumes![0].name = 'Logs'; app(p).volumeMounts![0].name = 'Logs'; spec(p).initContainers![1].volumeMounts![0].name = 'Logs'; }, ['spec.volumes[0].name: Invalid value: "Logs": a lowercase RFC 1123 label']],
  ['hostPath without path', (p) => { spec(p).volumes![0] = { name: 'logs', hostPath: { path: '' } }; }, ['spec.volumes[0].hostPath.path: Required value']],
  ['secret without secretName', (p) => { spec(p).volumes![1] = { name: 'config', secret: { defaultMode: 420 } }; }, ['spec.volumes[1].secret.secretName: Required value']],
  ['configMap without name', (p) => { delete spec(p).volumes![1].configMap!.name; }, ['spec.volumes[1].configMap.name: Required value']],
  ['configMap item with absolute path', (p) => { spec(p).volumes![1].configMap!.items = [{ key: 'a', path: '/etc/a' }]; }, ['spec.volumes[1].configMap.items[0].path: Invalid value: "/etc/a": must be a relative path']],
  ['defaultMode above 0777', (p) => { spec(p).volumes![1].configMap!.defaultMode = 0o1000; }, ['spec.volumes[1].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive']],
  ['pvc without claimName', (p) => { spec(p).volumes![1] = { name: 'config', persistentVolumeClaim: { claimName: '' } }; }, ['spec.volumes[1].persistentVolumeClaim.claimName: Required value']],
  ['projected token under 10 minutes', (p) => { spec(p).volumes![1] = { name: 'config', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 60 } }] } }; }, ['spec.volumes[1].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes']],
  ['image volume without reference', (p) => { spec(p).volumes![1] = { name: 'config', image: {} }; }, ['spec.volumes[1].image.reference: Required value']],
  ['mount of an unknown volume', (p) => { app(p).volumeMounts![0].name = 'nope'; }, ['spec.containers[0].volumeMounts[0].name: Not found: "nope"']],
  ['duplicate mountPath', (p) => { app(p).volumeMounts![1].mountPath = '/var/log'; }, ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/var/log": must be unique']],
  ['absolute subPath', (p) => { app(p).volumeMounts![0].subPath = '/abs'; }, ['spec.containers[0].volumeMounts[0].subPath: Invalid value: "/abs": must be a relative path']],
  ['subPath and subPathExpr', (p) => { app(p).volumeMounts![0].subPath = 'a'; app(p).volumeMounts![0].subPathExpr = '$(POD_NAME)'; }, ['spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD_NAME)": subPathExpr and subPath are mutually exclusive']],
  ['Bidirectional propagation needs privileged', (p) => { app(p).volumeMounts![0].mountPropagation = 'Bidirectional'; }, ['spec.containers[0].volumeMounts[0].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers']],
  ['recursiveReadOnly needs readOnly', (p) => { app(p).volumeMounts![0].recursiveReadOnly = 'Enabled'; }, ['spec.containers[0].volumeMounts[0].recursiveReadOnly: Forbidden: may only be specified when readOnly is true']],
  // probes and lifecycle
  ['liveness successThreshold must be 1', (p) => { app(p).livenessProbe!.successThreshold = 2; }, ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']],
  ['startup successThreshold must be 1', (p) => { app(p).startupProbe = { exec: { command: ['true'] }, successThreshold: 3 }; }, ['spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1']],
  ['readiness successThreshold may exceed 1', (p) => { app(p).readinessProbe!.successThreshold = 3; }, []],
  ['probe without handler', (p) => { app(p).livenessProbe = { periodSeconds: 10 }; }, ['spec.containers[0].livenessProbe: Required value: must specify a handler type']],
  ['probe with two handlers', (p) => { app(p).livenessProbe!.exec = { command: ['true'] }; }, ['spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type']],
  ['negative initialDelaySeconds', (p) => { app(p).livenessProbe!.initialDelaySeconds = -1; }, ['spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0']],
  ['probe terminationGracePeriodSeconds 0', (p) => { app(p).livenessProbe!.terminationGracePeriodSeconds = 0; }, ['spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0']],
  ['readiness probe terminationGracePeriodSeconds', (p) => { app(p).readinessProbe!.terminationGracePeriodSeconds = 5; }, ['spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes']],
  ['httpGet port 0', (p) => { app(p).readinessProbe!.httpGet!.port = 0; }, ['spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive']],
  ['grpc probe port', (p) => { app(p).livenessProbe = { grpc: { port: 70000 } }; }, ['spec.containers[0].livenessProbe.grpc.port: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['probe on a regular init container', (p) => { spec(p).initContainers![0].readinessProbe = { exec: { command: ['true'] } }; }, ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always']],
  ['startup probe on a regular init container', (p) => { spec(p).initContainers![0].startupProbe = { exec: { command: ['true'] } }; }, ['spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always']],
  ['lifecycle on a regular init container', (p) => { spec(p).initContainers![0].lifecycle = { preStop: { sleep: { seconds: 1 } } }; }, ['spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always']],
  ['sidecar may have probes and lifecycle', (p) => { spec(p).initContainers![1].livenessProbe = { exec: { command: ['true'] } }; spec(p).initContainers![1].lifecycle = { postStart: { exec: { command: ['true'] } } }; }, []],
  ['sidecar liveness successThreshold', (p) => { spec(p).initContainers![1].livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }; }, ['spec.initContainers[1].livenessProbe.successThreshold: Invalid value: 2: must be 1']],
  ['lifecycle handler without action', (p) => { app(p).lifecycle = { postStart: {} }; }, ['spec.containers[0].lifecycle.postStart: Required value: must specify a handler type']],
  ['sleep longer than the grace period', (p) => { app(p).lifecycle!.preStop!.sleep!.seconds = 31; }, ['spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds (30)']],
  // resources
  ['request above limit', (p) => { app(p).resources!.requests!.cpu = '1'; }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "1": must be less than or equal to cpu limit of 500m']],
  ['negative request', (p) => { app(p).resources!.requests!.memory = '-1'; }, ['spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0']],
  ['malformed quantity', (p) => { app(p).resources!.limits!.memory = '12abc'; }, ['spec.containers[0].resources.limits[memory]: Invalid value: "12abc": quantities must match the regular expression']],
  ['non-standard resource name', (p) => { app(p).resources!.limits!.gpu = '1'; }, ['spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers']],
  ['extended resource name is fine', (p) => { app(p).resources!.limits!['example.com/gpu'] = '1'; }, []],
  // security
  ['runAsUser negative', (p) => { app(p).securityContext = { runAsUser: -1 }; }, ['spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive']],
  ['privileged without privilege escalation', (p) => { app(p).securityContext = { privileged: true, allowPrivilegeEscalation: false }; }, ['spec.containers[0].securityContext: Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true']],
  ['seccomp Localhost without profile', (p) => { spec(p).securityContext = { seccompProfile: { type: 'Localhost' } }; }, ['spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost']],
  ['seccomp profile with RuntimeDefault', (p) => { app(p).securityContext = { seccompProfile: { type: 'RuntimeDefault', localhostProfile: 'x' } }; }, ['spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: "x": can only be set when seccomp type is Localhost']],
  ['bad sysctl name', (p) => { spec(p).securityContext = { sysctls: [{ name: 'Net..x', value: '1' }] }; }, ['spec.securityContext.sysctls[0].name: Invalid value: "Net..x": must have at most 253 characters']],
  ['Unmasked procMount needs hostUsers false', (p) => { app(p).securityContext = { procMount: 'Unmasked' }; }, ['spec.containers[0].securityContext.procMount: Forbidden: `hostUsers` must be false to use `Unmasked`']],
  // os and host namespaces
  ['unsupported os', (p) => { spec(p).os = { name: 'darwin' }; }, ['spec.os.name: Unsupported value: "darwin": supported values: "linux", "windows"']],
  ['windows forbids hostPID, pod runAsUser and container capabilities', (p) => {
    spec(p).os = { name: 'windows' };
    spec(p).hostPID = true;
    spec(p).securityContext = { runAsUser: 1000 };
    app(p).securityContext = { capabilities: { add: ['NET_ADMIN'] }, readOnlyRootFilesystem: true };
  }, [
    'spec.hostPID: Forbidden: cannot be set for a windows pod',
    'spec.securityContext.runAsUser: Forbidden: cannot be set for a windows pod',
    'spec.containers[0].securityContext.capabilities: Forbidden: cannot be set for a windows pod',
    'spec.containers[0].securityContext.readOnlyRootFilesystem: Forbidden: cannot be set for a windows pod',
  ]],
  ['windows forbids shareProcessNamespace and hostUsers', (p) => { spec(p).os = { name: 'windows' }; spec(p).shareProcessNamespace = false; spec(p).hostUsers = true; }, [
    'spec.hostUsers: Forbidden: cannot be set for a windows pod', 'spec.shareProcessNamespace: Forbidden: cannot be set for a windows pod',
  ]],
  ['linux forbids windowsOptions', (p) => { spec(p).os = { name: 'linux' }; app(p).securityContext = { windowsOptions: { runAsUserName: 'x' } }; }, ['spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod']],
  ['windows allows windowsOptions', (p) => { spec(p).os = { name: 'windows' }; app(p).securityContext = { windowsOptions: { runAsUserName: 'x' } }; }, []],
  ['hostProcess needs hostNetwork and all containers', (p) => { spec(p).os = { name: 'windows' }; app(p).securityContext = { windowsOptions: { hostProcess: true } }; }, [
    'spec.securityContext.windowsOptions.hostProcess: Invalid value: false: If pod contains any hostProcess containers then all containers must be HostProcess',
    'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers',
  ]],
  ['hostUsers false with hostNetwork and hostIPC', (p) => { spec(p).hostUsers = false; spec(p).hostNetwork = true; spec(p).hostIPC = true; app(p).ports![0].hostPort = 8080; spec(p).containers[1].ports![0].hostPort = 9102; }, [
    'spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false', 'spec.hostIPC: Forbidden: when `pod.Spec.HostUsers` is false',
  ]],
  ['hostUsers false alone is fine', (p) => { spec(p).hostUsers = false; }, []],
  ['shareProcessNamespace with hostPID', (p) => { spec(p).shareProcessNamespace = true; spec(p).hostPID = true; }, ['spec.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled']],
  // scheduling and other spec fields
  ['activeDeadlineSeconds 0', (p) => { spec(p).activeDeadlineSeconds = 0; }, ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
  ['bad nodeSelector key', (p) => { spec(p).nodeSelector = { 'a b': 'c' }; }, ['spec.nodeSelector: Invalid value: "a b": name part must consist of']],
  ['bad hostname', (p) => { spec(p).hostname = 'Host'; }, ['spec.hostname: Invalid value: "Host": a lowercase RFC 1123 label']],
  ['dnsPolicy None without dnsConfig', (p) => { spec(p).dnsPolicy = 'None'; }, ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']],
  ['dnsPolicy None without nameservers', (p) => { spec(p).dnsPolicy = 'None'; spec(p).dnsConfig = { searches: ['a'] }; }, ['spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None']],
  ['more than 3 nameservers', (p) => { spec(p).dnsConfig = { nameservers: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4'] }; }, ['spec.dnsConfig.nameservers: Invalid value: ["1.1.1.1","1.0.0.1","8.8.8.8","8.8.4.4"]: must not have more than 3 nameservers']],
  ['toleration with empty key needs Exists', (p) => { spec(p).tolerations = [{ operator: 'Equal', value: 'x' }]; }, ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"']],
  ['toleration Exists with a value', (p) => { spec(p).tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }]; }, ['spec.tolerations[0].operator: Invalid value: "v": value must be empty when `operator` is \'Exists\'']],
  ['tolerationSeconds without NoExecute', (p) => { spec(p).tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }]; }, ['spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set']],
  ['match-all toleration', (p) => { spec(p).tolerations = [{ operator: 'Exists' }]; }, []],
  ['empty node selector terms', (p) => { spec(p).affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }; }, ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term']],
  ['In requirement without values', (p) => { spec(p).affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } } }; }, ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is \'In\' or \'NotIn\'']],
  ['Gt requirement with a non-integer', (p) => { spec(p).affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['many'] }] }] } } }; }, ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: "many": must be an integer']],
  ['preferred weight out of range', (p) => { spec(p).affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } }] } }; }, ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100']],
  ['pod anti-affinity without topologyKey', (p) => { spec(p).affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '', labelSelector: { matchLabels: { app: 'web' } } }] } }; }, ['spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty']],
  ['spread maxSkew 0', (p) => { spec(p).topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }]; }, ['spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero']],
  ['spread minDomains with ScheduleAnyway', (p) => { spec(p).topologySpreadConstraints = [{ maxSkew: 1, minDomains: 2, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }]; }, ['spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway']],
  ['duplicate spread constraints', (p) => {
    spec(p).topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }, { maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
  }, ['spec.topologySpreadConstraints[1]: Duplicate value: "{zone, DoNotSchedule}"']],
  ['duplicate scheduling gates', (p) => { spec(p).schedulingGates = [{ name: 'example.com/a' }, { name: 'example.com/a' }]; }, ['spec.schedulingGates[1].name: Duplicate value: "example.com/a"']],
  ['bad readiness gate', (p) => { spec(p).readinessGates = [{ conditionType: 'a b' }]; }, ['spec.readinessGates[0].conditionType: Invalid value: "a b": name part must consist of']],
  // ephemeral containers
  ['ephemeral containers on create', (p) => { spec(p).ephemeralContainers = [{ name: 'debug', image: 'busybox' }]; }, ['spec.ephemeralContainers: Forbidden: cannot be set on create']],
];

describe('validatePod', () => {
  it('accepts the realistic pod', () => expect(lines(valid())).toEqual([]));
  it.each(cases)('%s', (_name, mutate, want) => {
    const pod = valid();
    mutate(pod);
    const got = lines(pod);
    for (const w of want) expect(got.some((g) => g.startsWith(w)), `missing ${w} in\n${got.join('\n')}`).toBe(true);
    expect(got, got.join('\n')).toHaveLength(want.length);
  });
  it('collects every error of a pod with many problems at once', () => {
    const pod = valid();
    pod.metadata.name = 'Bad_Name';
    app(pod).image = '';
    spec(pod).containers[1].name = 'app';
    spec(pod).volumes![0] = { name: 'logs' };
    expect(validatePod(pod).map((e) => e.type)).toEqual(['FieldValueInvalid', 'FieldValueRequired', 'FieldValueDuplicate', 'FieldValueRequired']);
  });
});
