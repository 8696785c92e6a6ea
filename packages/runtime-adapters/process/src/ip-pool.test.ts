import { describe, expect, it } from 'vitest';
import { IpPool } from './ip-pool.js';

describe('IpPool', () => {
  it('hands out distinct loopback addresses, skipping .0 and .255 hosts, and reuses released ones', () => {
    const pool = new IpPool(9);
    const ips = Array.from({ length: 300 }, () => pool.allocate());
    expect(new Set(ips).size).toBe(300);
    expect(ips[0]).toBe('127.9.0.1');
    expect(ips.every((ip) => /^127\.9\.\d+\.\d+$/.test(ip) && !/\.(0|255)$/.test(ip))).toBe(true);
    pool.release('127.9.0.5');
    for (let i = 0; i < 65_024 - 300; i++) pool.allocate();
    expect(pool.allocate()).toBe('127.9.0.5');
    expect(() => pool.allocate()).toThrow('no free pod IP in 127.9.0.0/16');
  });

  it('skips claimed addresses, derives a stable /16 from the state dir, and never uses 127.0.x.x', () => {
    const pool = new IpPool(3);
    pool.claim('127.3.0.1');
    expect(pool.allocate()).toBe('127.3.0.2');
    expect(IpPool.forStateDir('/var/lib/a').octet).toBe(IpPool.forStateDir('/var/lib/a').octet);
    expect(() => new IpPool(0)).toThrow(RangeError);
  });
});
