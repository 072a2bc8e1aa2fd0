import type { ContractRouterClient } from '@orpc/contract';
import type { Contract } from '../../../src/shared/contract/index.ts';
import { startGeminiDouble } from './gemini.ts';
import { startGroqDouble } from './groq.ts';
import { startOllamaDouble } from './ollama.ts';
import type { ProtocolDouble } from './double.ts';

export interface Doubles {
  ollama: ProtocolDouble;
  gemini: ProtocolDouble;
  groq: ProtocolDouble;
  reset(): void;
  close(): Promise<void>;
}

export async function startDoubles(): Promise<Doubles> {
  const [ollama, gemini, groq] = await Promise.all([startOllamaDouble(), startGeminiDouble(), startGroqDouble()]);
  return {
    ollama,
    gemini,
    groq,
    reset: () => {
      for (const d of [ollama, gemini, groq]) d.queue.length = 0;
    },
    close: async () => {
      await Promise.all([ollama.close(), gemini.close(), groq.close()]);
    },
  };
}

/** Points the app's assistant at the doubles through the API (as a user would in Settings). */
export async function useDoubles(client: ContractRouterClient<Contract>, d: Doubles, keys: { groq?: string; gemini?: string } = {}): Promise<void> {
  await client.assistant.updateSettings({
    providers: {
      ollama: { baseUrl: d.ollama.url, model: 'qwen2.5-coder:7b', requestsPerMinute: 600 },
      gemini: { baseUrl: d.gemini.url, model: 'gemini-2.5-flash', requestsPerMinute: 600 },
      groq: { baseUrl: d.groq.url, model: 'llama-3.3-70b-versatile', requestsPerMinute: 600 },
    },
    timeoutMs: 5000,
  });
  if (keys.groq) await client.assistant.setApiKey({ provider: 'groq', apiKey: keys.groq });
  if (keys.gemini) await client.assistant.setApiKey({ provider: 'gemini', apiKey: keys.gemini });
}
