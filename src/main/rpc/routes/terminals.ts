import type { AppServices } from '../../app.ts';
import { linkedStream } from '../../services/core/async.ts';
import type { Os } from '../os.ts';

export function terminalsRoutes(os: Os, services: AppServices) {
  const t = services.terminals;
  return {
    open: os.terminals.open.handler(({ input }) => t.open(input)),
    list: os.terminals.list.handler(() => t.list()),
    // Not a generator itself: an unknown id fails the call at once instead of the first read.
    attach: os.terminals.attach.handler(({ input, signal }) => linkedStream(signal, (linked) => t.attach(input.id, input.since, linked, input.window ?? null))),
    ack: os.terminals.ack.handler(({ input }) => ({ ok: t.ack(input.id, input.reader, input.upTo) })),
    input: os.terminals.input.handler(({ input }) => {
      t.input(input.id, input.data);
      return { ok: true };
    }),
    resize: os.terminals.resize.handler(async ({ input }) => {
      await t.resize(input.id, input.cols, input.rows);
      return { ok: true };
    }),
    close: os.terminals.close.handler(async ({ input }) => ({ closed: await t.close(input.id) })),
  };
}
