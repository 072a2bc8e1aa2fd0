import { useQuery } from '@tanstack/react-query';
import { Command } from 'cmdk';
import { useRef, useState } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { queryUtils } from '../lib/rpc.ts';
import { confirmDialog } from './confirm.tsx';
import { entityCommands, type PaletteCommand } from './palette-commands.ts';
import { ROUTES, useUi } from './store.ts';

export function CommandPalette({ onToggleTheme }: { onToggleTheme(): void }) {
  const open = useUi((s) => s.paletteOpen);
  // Mounted only while open, so every opening starts with an empty query and fresh entity lists.
  return open ? <PaletteDialog onToggleTheme={onToggleTheme} /> : null;
}

/** Finds pages, servers, containers, apps, databases and backup jobs, and runs their actions (cmdk in a Radix dialog). */
function PaletteDialog({ onToggleTheme }: { onToggleTheme(): void }) {
  const setOpen = useUi((s) => s.setPaletteOpen);
  const navigate = useUi((s) => s.navigate);
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const containers = useQuery({ ...orpc.containers.list.queryOptions({ input: {} }), retry: false });
  const apps = useQuery(orpc.apps.list.queryOptions({ input: {} }));
  const databases = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const jobs = useQuery(orpc.backups.jobs.queryOptions({ input: {} }));
  const [query, setQuery] = useState('');
  const chosen = useRef<PaletteCommand | null>(null);

  const pages: PaletteCommand[] = [
    ...ROUTES.map((r) => ({ id: `go-${r.id}`, group: 'Pages', label: `Go to ${r.label}`, run: () => navigate(r.id) })),
    { id: 'toggle-theme', group: 'Pages', label: 'Toggle light/dark theme', run: onToggleTheme },
  ];
  const entities = entityCommands({
    servers: servers.data ?? [],
    containers: containers.data?.containers ?? [],
    apps: apps.data ?? [],
    databases: databases.data ?? [],
    jobs: jobs.data ?? [],
  });
  const groups = new Map<string, PaletteCommand[]>();
  for (const c of [...entities, ...pages]) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const loading = [servers, containers, apps, databases, jobs].some((q) => q.isLoading);

  return (
    <Dialog
      title="Command palette"
      hideTitle
      className="palette"
      testId="palette"
      dismissOnOutside
      onClose={() => setOpen(false)}
      // Runs once the palette is gone and focus is back where it was, so a confirmation dialog restores to that too.
      afterClose={() => {
        const c = chosen.current;
        if (!c) return;
        if (!c.confirm) return c.run();
        void confirmDialog(c.confirm).then((ok) => ok && c.run());
      }}
    >
      <Command label="Command palette" loop>
        <Command.Input value={query} onValueChange={setQuery} placeholder="Search servers, containers, apps, databases, backups, pages…" aria-label="Command" />
        <Command.List>
          <Command.Empty>No command matches “{query}”.</Command.Empty>
          {loading && <Command.Loading>Loading servers, containers, apps…</Command.Loading>}
          {[...groups].map(([group, commands]) => (
            <Command.Group key={group} heading={group}>
              {commands.map((c) => (
                <Command.Item
                  key={c.id}
                  value={c.id}
                  keywords={[c.label, ...(c.keywords ?? [])]}
                  data-command={c.id}
                  onSelect={() => {
                    chosen.current = c;
                    setOpen(false);
                  }}
                >
                  {c.label}
                  {c.hint && <span className="hint">{c.hint}</span>}
                </Command.Item>
              ))}
            </Command.Group>
          ))}
        </Command.List>
      </Command>
    </Dialog>
  );
}
