import { describe, expect, it } from 'vitest';
import { assistantHash, intentFromHash } from './intent.ts';

describe('assistant links', () => {
  it('round-trips explain and generate intents', () => {
    expect(intentFromHash(assistantHash({ app: 'a1', deploy: 'd1' }))).toEqual({ scope: { kind: 'app', appId: 'a1' }, ask: { task: 'explain', text: '', deployId: 'd1' } });
    expect(intentFromHash(assistantHash({ app: 'a1', task: 'dockerfile' }))).toEqual({ scope: { kind: 'app', appId: 'a1' }, ask: { task: 'dockerfile', text: '' } });
    expect(intentFromHash(assistantHash({ server: 's1', container: 'web.1' }))).toEqual({ scope: { kind: 'server', serverId: 's1' }, ask: { task: 'explain', text: '', containerId: 'web.1' } });
    expect(intentFromHash(assistantHash({ server: 's1' }))).toEqual({ scope: { kind: 'server', serverId: 's1' }, ask: null });
  });

  it('ignores other pages and malformed values', () => {
    expect(intentFromHash('#/assistant')).toBeNull();
    expect(intentFromHash('#/apps?app=a1')).toBeNull();
    expect(intentFromHash('#/assistant?app=../x')).toBeNull();
    expect(intentFromHash('#/assistant?server=s1&container=-rm')).toEqual({ scope: { kind: 'server', serverId: 's1' }, ask: null });
  });
});
