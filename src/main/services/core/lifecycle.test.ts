import { describe, expect, it } from 'vitest';
import { Disposables } from './lifecycle.ts';

describe('Disposables', () => {
  it('disposes in reverse order of creation, awaiting each, once', async () => {
    const log: string[] = [];
    const list = new Disposables();
    const db = list.add('db', { name: 'db' }, (v) => void log.push(v.name));
    list.add('pool', 'pool', async (v) => {
      await new Promise((r) => setTimeout(r, 20));
      log.push(v);
    });
    list.add('monitor', 'monitor', (v) => void log.push(v));
    expect(db).toEqual({ name: 'db' });
    expect(list.order()).toEqual(['monitor', 'pool', 'db']);
    await Promise.all([list.dispose(), list.dispose()]);
    await list.dispose();
    expect(log).toEqual(['monitor', 'pool', 'db']);
  });

  it('goes on past a failing entry and names it, and refuses additions after closing', async () => {
    const log: string[] = [];
    const list = new Disposables();
    list.add('db', 'db', (v) => void log.push(v));
    list.add('ship', 'ship', () => {
      throw new Error('stuck');
    });
    list.add('streams', 'streams', (v) => void log.push(v));
    await expect(list.dispose()).rejects.toThrow('closing failed for ship: stuck');
    expect(log).toEqual(['streams', 'db']);
    expect(() => list.add('late', 1, () => undefined)).toThrow('late: created after the app was closed');
  });
});
