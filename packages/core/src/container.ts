import 'reflect-metadata';
import { container as rootContainer, inject as tsyringeInject, injectable, Lifecycle, type DependencyContainer } from 'tsyringe';
import { DuplicateRegistrationError, NotRegisteredError } from './errors.js';

/**
 * A typed injection token. The phantom `__type` lets the compiler check every registration and
 * resolution; at run time a token is a unique symbol named after the service.
 */
export interface Token<T> {
  readonly id: symbol;
  readonly name: string;
  readonly __type?: T;
}

/** Declares a token; by convention the constant shares the interface's name (`Clock = createToken<Clock>('core.clock')`). */
export function createToken<T>(name: string): Token<T> {
  return Object.freeze({ id: Symbol(name), name });
}

export type Constructor<T> = new (...args: never[]) => T;

/** How a token is provided. Classes and factories are singletons within the container that registered them. */
export type Provider<T> = { useValue: T } | { useClass: Constructor<T> } | { useFactory: (c: Container) => T };

/**
 * Constructor-parameter decorator taking a typed token. Every constructor dependency carries one:
 * no decorator metadata is emitted (esbuild does not), so type-based injection never works here.
 */
export function inject<T>(token: Token<T>): ParameterDecorator {
  return tsyringeInject(token.id) as ParameterDecorator;
}

export { injectable };

/**
 * The only way Peapod code touches tsyringe: a container whose registrations are typed and
 * refuse duplicates. A child container may override a parent's token (test harnesses do this);
 * registering one token twice in the same container is a composition bug and throws.
 */
export class Container {
  private readonly own = new Set<symbol>();

  private constructor(private readonly inner: DependencyContainer, private readonly parent?: Container) {}

  /** A fresh root container. Nothing is registered globally. */
  static create(): Container {
    return new Container(rootContainer.createChildContainer());
  }

  createChild(): Container {
    return new Container(this.inner.createChildContainer(), this);
  }

  provide<T>(token: Token<T>, provider: Provider<T>): this {
    if (this.own.has(token.id)) throw new DuplicateRegistrationError(`token ${token.name} is already registered`);
    this.own.add(token.id);
    if ('useValue' in provider) {
      this.inner.register(token.id, { useValue: provider.useValue });
    } else if ('useClass' in provider) {
      const cls = provider.useClass as unknown as new (...args: unknown[]) => T;
      this.inner.register(token.id, { useClass: cls }, { lifecycle: Lifecycle.ContainerScoped });
    } else {
      let made = false;
      let value: T;
      const factory = provider.useFactory;
      this.inner.register(token.id, {
        useFactory: () => {
          if (!made) { value = factory(this); made = true; }
          return value;
        },
      });
    }
    return this;
  }

  /** Resolves a token, constructing singletons on first use. Throws NotRegisteredError naming the token. */
  resolve<T>(token: Token<T>): T {
    if (!this.isRegistered(token)) throw new NotRegisteredError(`no provider for ${token.name}`);
    return this.inner.resolve<T>(token.id);
  }

  isRegistered<T>(token: Token<T>): boolean {
    return this.own.has(token.id) || (this.parent?.isRegistered(token) ?? false);
  }
}
