import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, type ApiClient } from '../../lib/rpc.ts';

type OpenInput = Parameters<ApiClient['terminals']['open']>[0];

/** Opens a shell and shows it on the Terminals page (which focuses it); a failure becomes a toast titled `failTitle`. */
export async function openTerminal(input: OpenInput, failTitle: string): Promise<void> {
  try {
    const t = await api().terminals.open(input);
    window.location.hash = `#/terminals/${t.id}`;
  } catch (e) {
    useUi.getState().toast({ kind: 'error', title: failTitle, detail: describeError(e).message });
  }
}
