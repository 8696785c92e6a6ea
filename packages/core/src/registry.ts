import { DuplicateRegistrationError, NotRegisteredError } from './errors.js';

/**
 * A named extension point owned by its host (the runtime registry, the scheduler's plugin
 * registry, the controller registry). Names are unique; asking for an unknown name lists the
 * known ones so a typo in a flag is easy to fix.
 */
export class Registry<T> {
  private readonly items = new Map<string, T>();

  /** @param kind what the entries are, for error messages ("runtime", "scheduler plugin"). */
  constructor(readonly kind: string) {}

  /** Adds an entry; a duplicate name throws. Returns a function that removes it again. */
  add(name: string, item: T): () => void {
    if (this.items.has(name)) throw new DuplicateRegistrationError(`${this.kind} "${name}" is already registered`);
    this.items.set(name, item);
    return () => { if (this.items.get(name) === item) this.items.delete(name); };
  }

  get(name: string): T {
    const item = this.items.get(name);
    if (item === undefined) {
      const known = [...this.items.keys()].sort().join(', ') || 'none';
      throw new NotRegisteredError(`unknown ${this.kind} "${name}" (known: ${known})`);
    }
    return item;
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  names(): string[] {
    return [...this.items.keys()];
  }

  entries(): [string, T][] {
    return [...this.items.entries()];
  }
}
