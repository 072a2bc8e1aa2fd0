import { useState } from 'react';
import { create } from 'zustand';
import { Dialog } from '../components/Dialog.tsx';

export interface Ask {
  title: string;
  detail?: string;
  confirmLabel?: string;
  /** The confirm button says what is destroyed. */
  danger?: boolean;
  /** A text field (instead of window.prompt): the answer is its value. */
  input?: { label: string; initial: string };
  /** A checkbox offered with the question (e.g. "also remove images"): the answer says whether it was ticked. */
  option?: { label: string; initial: boolean };
}

export interface Answer {
  ok: boolean;
  value: string;
  option: boolean;
}

interface Pending extends Ask {
  resolve(a: Answer): void;
}

const useConfirmStore = create<{ pending: Pending | null; set(p: Pending | null): void }>((set) => ({ pending: null, set: (pending) => set({ pending }) }));

/** Asks in a real dialog (Radix: focus trapped, Esc cancels, focus restored); resolves when the user answers. */
export function ask(q: Ask): Promise<Answer> {
  return new Promise((resolve) => {
    useConfirmStore.getState().pending?.resolve({ ok: false, value: '', option: false });
    useConfirmStore.getState().set({ ...q, resolve });
  });
}

export async function confirmDialog(q: Omit<Ask, 'input'>): Promise<boolean> {
  return (await ask(q)).ok;
}

export async function promptDialog(q: Ask & { input: NonNullable<Ask['input']> }): Promise<string | null> {
  const a = await ask(q);
  return a.ok ? a.value : null;
}

export function ConfirmHost() {
  const pending = useConfirmStore((s) => s.pending);
  return pending ? <ConfirmDialog key={pending.title + (pending.detail ?? '')} q={pending} /> : null;
}

function ConfirmDialog({ q }: { q: Pending }) {
  const [value, setValue] = useState(q.input?.initial ?? '');
  const [option, setOption] = useState(q.option?.initial ?? false);
  const done = (ok: boolean) => {
    if (useConfirmStore.getState().pending !== q) return;
    useConfirmStore.getState().set(null);
    q.resolve({ ok, value, option });
  };
  return (
    <Dialog role="alertdialog" title={q.title} description={q.detail} onClose={() => done(false)} dismissOnOutside initialFocus={q.input ? 'input' : 'button[data-cancel]'} testId="confirm-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          done(true);
        }}
      >
        {q.input && (
          <>
            <label htmlFor="confirm-input">{q.input.label}</label>
            <input id="confirm-input" value={value} onChange={(e) => setValue(e.target.value)} />
          </>
        )}
        {q.option && (
          <label className="full">
            <input type="checkbox" checked={option} onChange={(e) => setOption(e.target.checked)} /> {q.option.label}
          </label>
        )}
        <div className="actions full">
          <button type="button" data-cancel onClick={() => done(false)}>
            Cancel
          </button>
          <button type="submit" className={q.danger ? 'danger' : 'primary'} disabled={!!q.input && !value.trim()}>
            {q.confirmLabel ?? 'OK'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
