import { createToken } from '@peapod/core';
import type { CreateStoreOptions } from './create-store.js';
import type { Store as StoreContract } from './types.js';

/** The cluster's store (with its watch cache), built by `StoreModule` from `StoreConfig`. */
export type Store = StoreContract;
export const Store = createToken<Store>('store.store');

/** Provided by the app: which store to open (see `createStore`) and its tuning. */
export interface StoreConfig {
  url: string;
  options?: CreateStoreOptions;
}
export const StoreConfig = createToken<StoreConfig>('store.config');
