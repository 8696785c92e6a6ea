import { EventEmitter } from 'eventemitter3';

/**
 * A typed event map: event name -> listener arguments. Names are past tense (`podStarted`,
 * `containerExited`): events notify observers (library users, the dashboard, metrics); they
 * never steer control flow, which goes through calls and queues.
 */
export type EventMap = Record<string, unknown[]>;

/** eventemitter3 bound to an event map, so `emit` and `on` are checked against it. */
export class TypedEmitter<Events extends EventMap> extends EventEmitter<{ [K in keyof Events]: (...args: Events[K]) => void }> {}
