import { Clock, type Module } from '@peapod/core';
import { createStore } from './create-store.js';
import { Store, StoreConfig } from './tokens.js';

/**
 * Provides `Store` from the app's `StoreConfig` (and the `Clock`, when one is registered).
 * `start` waits until the store answers; `stop` closes it, ending every watch.
 */
export const StoreModule: Module = {
  name: 'store',
  register(c) {
    c.provide(Store, {
      useFactory: (c) => {
        const { url, options = {} } = c.resolve(StoreConfig);
        return createStore(url, { ...(c.isRegistered(Clock) ? { clock: c.resolve(Clock) } : {}), ...options });
      },
    });
  },
  async start(c) {
    await c.resolve(Store).currentRevision();
  },
  async stop(c) {
    await c.resolve(Store).close();
  },
};
