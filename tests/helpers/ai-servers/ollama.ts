import { startDouble, writeChunks, type ProtocolDouble, type Reply } from './double.ts';

/**
 * Protocol double of Ollama's HTTP API: `/api/chat` (NDJSON stream), `/api/tags`, `/api/pull` (NDJSON progress).
 */
export async function startOllamaDouble(opts: { models?: string[]; fallback?: Reply; port?: number } = {}): Promise<ProtocolDouble> {
  const models = opts.models ?? ['qwen2.5-coder:7b', 'llama3.2:3b'];
  return startDouble(
    [
      {
        match: (m, p) => m === 'GET' && p === '/api/tags',
        handle: ({ res }) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ models: models.map((name) => ({ name, model: name, modified_at: '2025-01-01T00:00:00Z', size: 4_000_000_000, digest: 'sha256:0', details: {} })) }));
        },
      },
      {
        match: (m, p) => m === 'POST' && p === '/api/pull',
        handle: async ({ res, rec, body }) => {
          const { model } = JSON.parse(body) as { model: string };
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          const total = 3000;
          const lines = [{ status: 'pulling manifest' }, ...[1000, 2000, 3000].map((completed) => ({ status: `pulling ${model}`, digest: 'sha256:abc', total, completed })), { status: 'verifying sha256 digest' }, { status: 'success' }];
          await writeChunks(res, rec, lines.map((l) => `${JSON.stringify(l)}\n`), 20);
          res.end();
        },
      },
      {
        match: (m, p) => m === 'POST' && p === '/api/chat',
        chat: true,
        handle: async ({ res, rec, reply, body }) => {
          const { model } = JSON.parse(body) as { model: string };
          if (reply.kind === 'error') {
            res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}) });
            res.end(JSON.stringify({ error: reply.message ?? `error ${reply.status}` }));
            return;
          }
          if (reply.kind !== 'stream') return;
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          const at = new Date().toISOString();
          const chunks = reply.tokens.map((t) => `${JSON.stringify({ model, created_at: at, message: { role: 'assistant', content: t }, done: false })}\n`);
          await writeChunks(res, rec, chunks, reply.delayMs ?? 0);
          if (rec.aborted) return;
          res.end(`${JSON.stringify({ model, created_at: at, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', total_duration: 1, eval_count: reply.tokens.length })}\n`);
        },
      },
    ],
    opts.fallback ?? { kind: 'stream', tokens: ['Hello', ' from', ' Ollama'] },
    opts.port,
  );
}
