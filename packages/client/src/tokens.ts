import { createToken } from '@peapod/core';
import type { SharedInformerFactory as SharedInformerFactoryT } from './cache/factory.js';
import type { KubeClient as KubeClientT, Transport as TransportT } from './types.js';

export type KubeClient = KubeClientT;
/** The typed client every component uses; built by `ClientModule` over the `Transport`. */
export const KubeClient = createToken<KubeClient>('client.kubeClient');

export type Transport = TransportT;
/** Provided by the app: an `HttpTransport` to a remote server, or the API server's in-process one. */
export const Transport = createToken<Transport>('client.transport');

export type SharedInformerFactory = SharedInformerFactoryT;
/** The process-wide informer factory; `ClientModule` starts it and stops it. */
export const SharedInformerFactory = createToken<SharedInformerFactory>('client.sharedInformerFactory');
