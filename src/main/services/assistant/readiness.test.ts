import { describe, expect, it } from 'vitest';
import { hasModel, summarise, unavailable, type Probe } from './readiness.ts';

const ollama = (over: Partial<Probe> = {}): Probe => ({ id: 'ollama', baseUrl: 'http://127.0.0.1:11434', model: 'qwen2.5-coder:7b', hasKey: true, reachable: true, models: ['qwen2.5-coder:7b'], error: null, ...over });

describe('assistant readiness in words', () => {
  it('matches an untagged model with its :latest name, and nothing else', () => {
    expect(hasModel(['llama3.2:latest'], 'llama3.2')).toBe(true);
    expect(hasModel(['llama3.2'], 'llama3.2:latest')).toBe(true);
    expect(hasModel(['llama3.2:3b'], 'llama3.2')).toBe(false);
  });

  it('says what each probe found', () => {
    expect(summarise(ollama())).toBe('Ollama: reachable, model qwen2.5-coder:7b');
    expect(summarise(ollama({ models: ['llama3.2:3b'] }))).toBe('Ollama: reachable, but model qwen2.5-coder:7b is not available (pull it).');
    expect(summarise(ollama({ reachable: false, models: [], error: 'connection refused' }))).toBe('Ollama at http://127.0.0.1:11434: not reachable (connection refused). Install Ollama and start it, or set its host.');
    expect(summarise({ ...ollama(), id: 'groq', hasKey: false, reachable: null, models: [] })).toBe('Groq: no API key (add one to use Groq).');
  });

  it('refuses with one error naming every provider and the fix', () => {
    const e = unavailable([ollama({ reachable: false, models: [], error: 'connection refused' }), { ...ollama(), id: 'gemini', hasKey: false, reachable: null, models: [] }]);
    expect(e.code).toBe('AI_UNAVAILABLE');
    expect(e.message).toMatch(/^No AI provider is available\. Ollama at .* not reachable .* Gemini: no API key .* Settings → Assistant .* press Test\.$/);
  });
});
