import { describe, expect, it } from 'vitest';
import { CreateDatabaseInput, DatabaseEngine } from './databases.ts';
import { ENGINE_CATALOGUE, ENGINE_LIST, engineLabel } from './engines.ts';

describe('engine catalogue', () => {
  it('has one entry per engine the contract accepts, each keyed by its own name', () => {
    expect(ENGINE_LIST.map((e) => e.engine)).toEqual(DatabaseEngine.options);
    for (const [key, info] of Object.entries(ENGINE_CATALOGUE)) expect(info.engine).toBe(key);
  });

  it('offers as default the engine the contract defaults to', () => {
    expect(CreateDatabaseInput.parse({ serverId: 's1', name: 'shop' }).engine).toBe(ENGINE_LIST[0]!.engine);
  });

  it('labels known engines and passes through other kinds, including inherited property names', () => {
    expect(engineLabel('mongo')).toBe('MongoDB');
    expect(engineLabel('volume')).toBe('volume');
    expect(engineLabel('constructor')).toBe('constructor');
  });
});
