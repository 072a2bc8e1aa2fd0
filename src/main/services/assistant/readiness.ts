import type { AiProviderId } from '../../../shared/contract/assistant.ts';
import { AppError } from '../core/errors.ts';

const NAME: Record<AiProviderId, string> = { ollama: 'Ollama', gemini: 'Gemini', groq: 'Groq' };

export interface Probe {
  id: AiProviderId;
  baseUrl: string;
  model: string;
  hasKey: boolean;
  /** null: not tried (no key). */
  reachable: boolean | null;
  models: string[];
  error: string | null;
}

/** Whether the provider lists the model; Ollama names an untagged model `<name>:latest`. */
export function hasModel(models: readonly string[], model: string): boolean {
  const tagged = (m: string) => (m.includes(':') ? m : `${m}:latest`);
  return models.some((m) => m === model || tagged(m) === tagged(model));
}

/** null while unknown (not reachable, or the provider listed no models). */
export function modelAvailable(p: Probe): boolean | null {
  return p.reachable && p.models.length > 0 ? hasModel(p.models, p.model) : null;
}

/** What a probe found, in words: shown by the Test button and in the error of a request that cannot be sent. */
export function summarise(p: Probe): string {
  const name = NAME[p.id];
  if (!p.hasKey) return `${name}: no API key (add one to use ${name}).`;
  if (!p.reachable) {
    const why = p.error ? ` (${p.error})` : '';
    return p.id === 'ollama' ? `Ollama at ${p.baseUrl}: not reachable${why}. Install Ollama and start it, or set its host.` : `${name}: not reachable${why}.`;
  }
  if (modelAvailable(p) === false) return `${name}: reachable, but model ${p.model} is not available${p.id === 'ollama' ? ' (pull it)' : ''}.`;
  return `${name}: reachable, model ${p.model}`;
}

/** The one error of a request no provider can take, naming what each lacks and where to fix it. */
export function unavailable(probes: readonly Probe[]): AppError {
  return new AppError(
    'AI_UNAVAILABLE',
    `No AI provider is available. ${probes.map(summarise).join(' ')} Set one up on the Assistant page or in Settings → Assistant (install Ollama and pull a model, or add a Gemini or Groq API key), then press Test.`,
    { providers: probes.map((p) => p.id) },
  );
}
