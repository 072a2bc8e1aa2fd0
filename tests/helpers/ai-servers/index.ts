export { startOllamaDouble } from './ollama.ts';
export { startGeminiDouble } from './gemini.ts';
export { startGroqDouble } from './groq.ts';
export type { ProtocolDouble, Reply, RecordedRequest } from './double.ts';
export { startDoubles, useDoubles, type Doubles } from './setup.ts';
