import { useEffect, useMemo, useRef, useState } from 'react';
import { ROUTES, useUi } from './store.ts';

interface Command {
  id: string;
  label: string;
  run(): void;
}

export function CommandPalette({ onToggleTheme }: { onToggleTheme(): void }) {
  const open = useUi((s) => s.paletteOpen);
  // Mounted only while open, so every opening starts with an empty query.
  return open ? <PaletteDialog onToggleTheme={onToggleTheme} /> : null;
}

function PaletteDialog({ onToggleTheme }: { onToggleTheme(): void }) {
  const setOpen = useUi((s) => s.setPaletteOpen);
  const navigate = useUi((s) => s.navigate);
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  const commands = useMemo<Command[]>(
    () => [
      ...ROUTES.map((r) => ({ id: `go-${r.id}`, label: `Go to ${r.label}`, run: () => navigate(r.id) })),
      { id: 'toggle-theme', label: 'Toggle light/dark theme', run: onToggleTheme },
    ],
    [navigate, onToggleTheme],
  );
  const matches = commands.filter((c) => c.label.toLowerCase().includes(query.trim().toLowerCase()));

  useEffect(() => {
    input.current?.focus();
  }, []);

  const run = (c: Command | undefined) => {
    if (!c) return;
    setOpen(false);
    c.run();
  };
  return (
    <div className="overlay" onMouseDown={() => setOpen(false)}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()}>
        <input
          ref={input}
          value={query}
          placeholder="Type a command…"
          aria-label="Command"
          onChange={(e) => {
            setQuery(e.target.value);
            setIndex(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(false);
            else if (e.key === 'ArrowDown') setIndex((i) => Math.min(i + 1, matches.length - 1));
            else if (e.key === 'ArrowUp') setIndex((i) => Math.max(i - 1, 0));
            else if (e.key === 'Enter') run(matches[index]);
          }}
        />
        <ul role="listbox">
          {matches.map((c, i) => (
            <li key={c.id} role="option" aria-selected={i === index} className={i === index ? 'selected' : ''} onMouseEnter={() => setIndex(i)} onClick={() => run(c)}>
              {c.label}
            </li>
          ))}
          {matches.length === 0 && <li className="empty">No command matches “{query}”.</li>}
        </ul>
      </div>
    </div>
  );
}
