import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { DatabaseEngine } from '../../../shared/contract/databases.ts';
import { ENGINE_CATALOGUE, ENGINE_LIST } from '../../../shared/contract/engines.ts';
import { imageMappingFix } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';
import { ImageMappingDialog } from '../images/ImageMappingDialog.tsx';

export function CreateDatabase({ onDone }: { onDone(): void }) {
  const orpc = queryUtils();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [form, setForm] = useState({ serverId: '', engine: 'postgres' as DatabaseEngine, name: '', version: ENGINE_CATALOGUE.postgres.defaultVersion, memoryMb: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [mapping, setMapping] = useState<{ serverId: string; image: string } | null>(null);
  const [mappingOpen, setMappingOpen] = useState(false);
  const serverId = form.serverId || servers.data?.[0]?.id || '';
  const create = useMutation({
    mutationFn: () =>
      api().databases.create({
        serverId,
        engine: form.engine,
        name: form.name,
        version: form.version,
        limits: { memoryMb: form.memoryMb ? Number(form.memoryMb) : null, cpus: null },
      }),
    onMutate: () => setMapping(null),
    onSuccess: onDone,
    onError: (e) => {
      setErrors(formErrors(e));
      // The image asked for, not the one it resolved to: that is the row of the mapping screen.
      if (imageMappingFix(e)) setMapping({ serverId, image: `${ENGINE_CATALOGUE[form.engine].repo}:${form.version}` });
    },
  });
  return (
    <>
      <form
        className="card form"
        aria-label="New database"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h2 className="full">New database</h2>
        <label htmlFor="db-engine">Engine</label>
        <select
          id="db-engine"
          value={form.engine}
          onChange={(e) => {
            const engine = ENGINE_LIST.find((x) => x.engine === e.target.value) ?? ENGINE_CATALOGUE.postgres;
            setForm({ ...form, engine: engine.engine, version: engine.defaultVersion });
          }}
        >
          {ENGINE_LIST.map((e) => (
            <option key={e.engine} value={e.engine}>
              {e.label} ({e.repo}:{e.defaultVersion})
            </option>
          ))}
        </select>
        <label htmlFor="db-server">Server</label>
        <select id="db-server" value={form.serverId} onChange={(e) => setForm({ ...form, serverId: e.target.value })}>
          {servers.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <label htmlFor="db-name">Name</label>
        <input id="db-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="shop_db" />
        {errors.name && <span className="field-error">{errors.name}</span>}
        <label htmlFor="db-version">Version</label>
        <input id="db-version" value={form.version} onChange={(e) => setForm({ ...form, version: e.target.value })} />
        {errors.version && <span className="field-error">{errors.version}</span>}
        <label htmlFor="db-mem">Memory limit (MB)</label>
        <input id="db-mem" value={form.memoryMb} onChange={(e) => setForm({ ...form, memoryMb: e.target.value })} placeholder="none" inputMode="numeric" />
        {errors['limits.memoryMb'] && <span className="field-error">{errors['limits.memoryMb']}</span>}
        {errors.form && (
          <div className="full" role="alert" data-testid="create-error">
            <p className="field-error">{errors.form}</p>
            {mapping && (
              <button type="button" onClick={() => setMappingOpen(true)} data-testid="open-image-mapping">
                Map {mapping.image} to a mirror or local image…
              </button>
            )}
          </div>
        )}
        <div className="actions full">
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create database'}
          </button>
        </div>
      </form>
      {mappingOpen && mapping && <ImageMappingDialog serverId={mapping.serverId} focusImage={mapping.image} onClose={() => setMappingOpen(false)} />}
    </>
  );
}
