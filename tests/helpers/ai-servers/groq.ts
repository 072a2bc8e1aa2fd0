import { startDouble, writeChunks, type ProtocolDouble, type Reply } from './double.ts';

/**
 * Protocol double of Groq's OpenAI-compatible API: `POST /openai/v1/chat/completions` with `stream: true`
 * (server-sent events of chat.completion.chunk, ending in `data: [DONE]`), `GET /openai/v1/models`, OpenAI-style errors.
 */
export async function startGroqDouble(opts: { fallback?: Reply } = {}): Promise<ProtocolDouble> {
  return startDouble(
    [
      {
        match: (m, p) => m === 'GET' && p === '/openai/v1/models',
        handle: ({ res }) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ object: 'list', data: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant'].map((id) => ({ id, object: 'model', created: 1, owned_by: 'Meta', active: true })) }));
        },
      },
      {
        match: (m, p) => m === 'POST' && p === '/openai/v1/chat/completions',
        chat: true,
        handle: async ({ res, rec, reply, body }) => {
          if (reply.kind === 'error') {
            const type = reply.status === 429 ? 'tokens' : reply.status >= 500 ? 'internal_server_error' : 'invalid_request_error';
            res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}) });
            res.end(JSON.stringify({ error: { message: reply.message ?? `error ${reply.status}`, type, code: reply.status === 429 ? 'rate_limit_exceeded' : null } }));
            return;
          }
          if (reply.kind !== 'stream') return;
          const { model } = JSON.parse(body) as { model: string };
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const base = { id: 'chatcmpl-double', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
          const chunks = reply.tokens.map((t, i) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: t } : { content: t }, finish_reason: null }] })}\n\n`);
          await writeChunks(res, rec, chunks, reply.delayMs ?? 0);
          if (rec.aborted) return;
          res.end(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
        },
      },
    ],
    opts.fallback ?? { kind: 'stream', tokens: ['Hello', ' from', ' Groq'] },
  );
}
