import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Settings } from '../../shared/contract/settings.ts';
import { describeError } from '../lib/errors.ts';
import { queryUtils } from '../lib/rpc.ts';
import { useUi } from './store.ts';

function systemPrefersDark(): boolean {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? true;
}

/** Applies the saved theme to <html data-theme> and offers a toggle that saves the choice through the API. */
export function useTheme() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const settings = useQuery(orpc.settings.get.queryOptions());
  const setResolved = useUi((s) => s.setResolvedTheme);
  const resolved = useUi((s) => s.resolvedTheme);
  const toast = useUi((s) => s.toast);
  const theme = settings.data?.theme ?? 'system';

  useEffect(() => {
    const apply = () => {
      const next = theme === 'system' ? (systemPrefersDark() ? 'dark' : 'light') : theme;
      document.documentElement.dataset.theme = next;
      setResolved(next);
    };
    apply();
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    mq?.addEventListener('change', apply);
    return () => mq?.removeEventListener('change', apply);
  }, [theme, setResolved]);

  const update = useMutation({
    ...orpc.settings.update.mutationOptions(),
    onSuccess: (data: Settings) => {
      qc.setQueryData(orpc.settings.get.queryKey(), data);
      void qc.invalidateQueries({ queryKey: orpc.activity.key() });
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not save the theme', detail: describeError(e).message }),
  });

  return {
    notifications: settings.data?.notifications ?? true,
    theme,
    resolved,
    setTheme: (t: Settings['theme']) => update.mutate({ theme: t }),
    toggle: () => update.mutate({ theme: resolved === 'dark' ? 'light' : 'dark' }),
  };
}
