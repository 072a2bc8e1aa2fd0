import { startDouble, writeChunks, type ProtocolDouble, type Reply } from './double.ts';

/**
 * Protocol double of the Gemini API (generativelanguage): `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`
 * (server-sent events of GenerateContentResponse), `GET /v1[beta]/models`, errors as google.rpc.Status with RetryInfo.
 */
export async function startGeminiDouble(opts: { fallback?: Reply } = {}): Promise<ProtocolDouble> {
  return startDouble(
    [
      {
        match: (m, p) => m === 'GET' && /^\/v1(beta)?\/models\/?$/.test(p),
        handle: ({ res }) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ models: [{ name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash' }, { name: 'models/gemini-2.5-pro', displayName: 'Gemini 2.5 Pro' }] }));
        },
      },
      {
        match: (m, p) => m === 'POST' && /^\/v1(beta)?\/models\/[^/]+:streamGenerateContent$/.test(p),
        chat: true,
        handle: async ({ res, rec, reply }) => {
          if (reply.kind === 'error') {
            const status = reply.status === 429 ? 'RESOURCE_EXHAUSTED' : reply.status >= 500 ? 'UNAVAILABLE' : 'INVALID_ARGUMENT';
            const details = reply.status === 429 && reply.retryAfter ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${reply.retryAfter}s` }] : [];
            res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...(reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}) });
            res.end(JSON.stringify({ error: { code: reply.status, message: reply.message ?? status, status, details } }));
            return;
          }
          if (reply.kind !== 'stream') return;
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const chunk = (text: string, last: boolean) =>
            `data: ${JSON.stringify({
              candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
              ...(last ? { usageMetadata: { promptTokenCount: 10, candidatesTokenCount: reply.tokens.length, totalTokenCount: 10 + reply.tokens.length } } : {}),
              modelVersion: 'gemini-2.5-flash',
            })}\r\n\r\n`;
          await writeChunks(res, rec, reply.tokens.map((t, i) => chunk(t, i === reply.tokens.length - 1)), reply.delayMs ?? 0);
          if (!rec.aborted) res.end();
        },
      },
    ],
    opts.fallback ?? { kind: 'stream', tokens: ['Hello', ' from', ' Gemini'] },
  );
}
