import { describe, expect, it } from 'vitest';
import { Container, createToken, inject, injectable } from './container.js';
import { composeModules, type Module } from './module.js';
import { isDuplicateRegistration, isNotRegistered } from './errors.js';

interface Greeter { greet(name: string): string }
const Greeter = createToken<Greeter>('test.greeter');
const Prefix = createToken<string>('test.prefix');

@injectable()
class PrefixGreeter implements Greeter {
  constructor(@inject(Prefix) private readonly prefix: string) {}
  greet(name: string) { return `${this.prefix} ${name}`; }
}

describe('Container', () => {
  it('injects constructor parameters through typed tokens', () => {
    const c = Container.create().provide(Prefix, { useValue: 'hello' }).provide(Greeter, { useClass: PrefixGreeter });
    expect(c.resolve(Greeter).greet('pod')).toBe('hello pod');
  });

  it('makes classes and factories singletons of their container', () => {
    let made = 0;
    const c = Container.create().provide(Prefix, { useFactory: () => `p${++made}` }).provide(Greeter, { useClass: PrefixGreeter });
    expect(c.resolve(Greeter)).toBe(c.resolve(Greeter));
    expect(c.resolve(Prefix)).toBe('p1');
    expect(c.resolve(Prefix)).toBe('p1');
  });

  it('refuses a token registered twice in one container', () => {
    const c = Container.create().provide(Prefix, { useValue: 'a' });
    let err: unknown;
    try { c.provide(Prefix, { useValue: 'b' }); } catch (e) { err = e; }
    expect(isDuplicateRegistration(err)).toBe(true);
    expect(String(err)).toContain('test.prefix');
  });

  it('lets a child container override a parent registration without touching the parent', () => {
    const parent = Container.create().provide(Prefix, { useValue: 'real' });
    const child = parent.createChild().provide(Prefix, { useValue: 'fake' });
    expect(child.resolve(Prefix)).toBe('fake');
    expect(parent.resolve(Prefix)).toBe('real');
  });

  it('names the missing token when resolving an unregistered one', () => {
    expect(() => Container.create().resolve(Greeter)).toThrow(/test\.greeter/);
    try { Container.create().resolve(Greeter); } catch (e) { expect(isNotRegistered(e)).toBe(true); }
  });
});

describe('composeModules', () => {
  const log: string[] = [];
  const mod = (name: string, dependsOn: string[] = [], fail = false): Module => ({
    name,
    dependsOn,
    register: () => log.push(`register ${name}`),
    start: () => { log.push(`start ${name}`); },
    stop: () => { log.push(`stop ${name}`); if (fail) throw new Error(`stop ${name} failed`); },
  });

  it('registers and starts modules in dependency order and stops them in reverse', async () => {
    log.length = 0;
    const app = composeModules([mod('kubelet', ['client']), mod('client', ['core']), mod('core')]);
    await app.start();
    await app.stop();
    expect(log).toEqual([
      'register core', 'register client', 'register kubelet',
      'start core', 'start client', 'start kubelet',
      'stop kubelet', 'stop client', 'stop core',
    ]);
  });

  it('runs every stop even when one fails, then reports the failure', async () => {
    log.length = 0;
    const app = composeModules([mod('a'), mod('b', ['a'], true), mod('c', ['b'])]);
    await app.start();
    await expect(app.stop()).rejects.toThrow('stop b failed');
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('refuses duplicate modules, unknown dependencies and cycles', () => {
    expect(() => composeModules([mod('a'), mod('a')])).toThrow(/listed twice/);
    expect(() => composeModules([mod('a', ['zzz'])])).toThrow(/depends on zzz/);
    expect(() => composeModules([mod('a', ['b']), mod('b', ['a'])])).toThrow(/cycle: a -> b -> a/);
  });

  it('refuses two modules registering the same token', () => {
    const reg = (name: string): Module => ({ name, register: (c) => { c.provide(Prefix, { useValue: name }); } });
    expect(() => composeModules([reg('one'), reg('two')])).toThrow(/test\.prefix is already registered/);
  });
});
