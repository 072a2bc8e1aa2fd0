import { describe, expect, it } from 'vitest';
import type { AiProviderStatus } from '../../../shared/contract/assistant.ts';
import { readinessOf } from './readiness.ts';

const st = (over: Partial<AiProviderStatus> & Pick<AiProviderStatus, 'id'>): AiProviderStatus => ({ remote: false, hasKey: true, reachable: true, models: [], error: null, model: 'm', modelAvailable: true, summary: `${over.id}: summary.`, ...over });

describe('readinessOf', () => {
  it('is unknown until both the order and a probe are there', () => {
    expect(readinessOf(undefined, [st({ id: 'ollama' })])).toEqual({ ready: null, reason: null });
    expect(readinessOf(['ollama'], undefined)).toEqual({ ready: null, reason: null });
  });

  it('is ready when a provider in the fallback order is reachable with its model', () => {
    expect(readinessOf(['groq', 'ollama'], [st({ id: 'groq', hasKey: false, reachable: null }), st({ id: 'ollama' })]).ready).toBe(true);
  });

  it('is not ready for a reachable provider outside the order, or one whose model is missing; the reason lists the order', () => {
    const status = [st({ id: 'ollama', modelAvailable: false, summary: 'Ollama: model missing.' }), st({ id: 'groq' }), st({ id: 'gemini', reachable: false, summary: 'Gemini: not reachable.' })];
    expect(readinessOf(['ollama', 'gemini'], status)).toEqual({ ready: false, reason: 'No AI model is available. Ollama: model missing. Gemini: not reachable.' });
  });
});
