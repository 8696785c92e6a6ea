export { Container, createToken, inject, injectable } from './container.js';
export type { Constructor, Provider, Token } from './container.js';
export { composeModules } from './module.js';
export type { ComposeHooks, ComposedApp, Module } from './module.js';
export { Registry } from './registry.js';
export { Clock, FakeClock, RealClock } from './clock.js';
export type { TimerHandle } from './clock.js';
export { TypedEmitter } from './events.js';
export type { EventMap } from './events.js';
export { Logger, silentLogger } from './logger.js';
export {
  CompositionError,
  DuplicateRegistrationError,
  NotRegisteredError,
  isDuplicateRegistration,
  isNotRegistered,
} from './errors.js';
