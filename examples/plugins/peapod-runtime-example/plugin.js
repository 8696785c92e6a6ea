// @ts-check
/**
 * A third-party runtime plugin as Peapod loads it: package.json announces this module in
 * `"peapod": { "runtime": "./plugin.js" }`, and the module exports `runtimePlugin`. The runtime
 * itself is Peapod's scriptable fake (simulated containers on the injected clock), named
 * `example`; runtimes created with the same `hostId` option share one simulated machine, so a new
 * instance adopts what an earlier one started, as a kubelet restart needs.
 */
import { runtimeInvalid } from '@peapod/runtime';
import { FakeHost, FakeRuntime } from '@peapod/runtime/testing';

/** @type {Map<string, FakeHost>} */
const hosts = new Map();

class ExampleRuntime extends FakeRuntime {
  /** @override */
  async version() {
    return { ...(await super.version()), runtimeName: 'example', runtimeVersion: '0.0.0' };
  }
}

/** @type {import('@peapod/runtime').RuntimePlugin} */
export const runtimePlugin = {
  name: 'example',
  // The contract version this plugin was written against (not the host's: the loader compares them).
  contractVersion: '0.1.0',
  create(options, { clock }) {
    const hostId = options.hostId ?? 'default';
    if (typeof hostId !== 'string' || !hostId) throw runtimeInvalid('example runtime: option hostId must be a non-empty string');
    let host = hosts.get(hostId);
    if (!host) {
      host = new FakeHost(clock);
      hosts.set(hostId, host);
    }
    return new ExampleRuntime({ host, recordCalls: false });
  },
};
