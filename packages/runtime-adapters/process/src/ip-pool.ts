import { createHash } from 'node:crypto';

/**
 * Pod IPs on the loopback network. Linux routes all of 127.0.0.0/8 to `lo`, so any 127.x.y.z
 * can be bound and reached without configuration. A pool hands out addresses of one /16
 * (`127.<octet>.0.0/16`), never 127.0.0.1 and never .0 or .255 hosts, and takes back released
 * ones. The default octet is derived from the runtime's state directory so that runtimes with
 * different state (several nodes in one process, parallel tests) rarely share a /16.
 */
export class IpPool {
  private readonly used = new Set<string>();
  private next = 0;

  constructor(readonly octet: number) {
    if (!Number.isInteger(octet) || octet < 1 || octet > 254) throw new RangeError(`pod IP octet must be 1..254, got ${octet}`);
  }

  static forStateDir(stateDir: string): IpPool {
    return new IpPool(1 + (createHash('sha256').update(stateDir).digest().readUInt16BE(0) % 254));
  }

  /** Marks an address as taken (a sandbox found in the state directory). */
  claim(ip: string): void {
    this.used.add(ip);
  }

  release(ip: string): void {
    this.used.delete(ip);
  }

  /** The next free address; throws when all 65 024 are in use. */
  allocate(): string {
    for (let tries = 0; tries < 65_536; tries++) {
      const n = this.next;
      this.next = (this.next + 1) % 65_536;
      const hi = n >> 8;
      const lo = n & 255;
      if (lo === 0 || lo === 255) continue;
      const ip = `127.${this.octet}.${hi}.${lo}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new RangeError(`no free pod IP in 127.${this.octet}.0.0/16`);
  }
}
