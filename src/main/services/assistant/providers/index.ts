import type { AiProviderId, AssistantSettings } from '../../../../shared/contract/assistant.ts';
import type { AiProvider } from '../types.ts';
import { GeminiProvider } from './gemini.ts';
import { GroqProvider } from './groq.ts';
import { OllamaProvider } from './ollama.ts';

export { GeminiProvider, GroqProvider, OllamaProvider };

/** True when `url` points at this machine (then nothing leaves it). */
function isLoopbackUrl(url: string): boolean {
  try {
    const h = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
  } catch {
    return false;
  }
}

/** Data sent to this provider leaves the machine: cloud APIs always, Ollama when its host is not loopback. */
export function isRemote(id: AiProviderId, settings: AssistantSettings): boolean {
  return id !== 'ollama' || !isLoopbackUrl(settings.providers.ollama.baseUrl);
}

export function makeProvider(id: AiProviderId, settings: AssistantSettings, apiKey: string | null): AiProvider | null {
  const p = settings.providers[id];
  if (id === 'ollama') return new OllamaProvider(p.baseUrl);
  if (!apiKey) return null;
  const opts = { apiKey, baseUrl: p.baseUrl, timeoutMs: settings.timeoutMs };
  return id === 'gemini' ? new GeminiProvider(opts) : new GroqProvider(opts);
}
