import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { imageUses, type ImageUse } from '../../../shared/contract/images.ts';
import { ImageRef } from '../../../shared/contract/proxy.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { useUi } from '../../app/store.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { fieldErrors } from '../servers/fieldErrors.ts';
import { describeError } from '../../lib/errors.ts';

export interface ImageMappingDialogProps {
  serverId: string;
  /** An image to show first and focus (the one whose pull just failed). */
  focusImage?: string | null;
  onClose(): void;
}

/** Field errors of the API keyed by the image they belong to (`images.<ref>` in either store's input). */
function errorsByImage(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fieldErrors(e))) {
    const at = path.lastIndexOf('images.');
    out[at >= 0 ? path.slice(at + 'images.'.length) : 'form'] = message;
  }
  return Object.keys(out).length ? out : { form: describeError(e).message };
}

/**
 * One screen per server for every image OpenPanel runs there: the proxy, the builder and receiver (kept in the
 * proxy settings' overrides), databases and backup tools (kept in the data image mapping). Each row maps an image
 * to a mirror or a local image; empty means the official image is pulled.
 */
export function ImageMappingDialog({ serverId, focusImage, onClose }: ImageMappingDialogProps) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const ship = useQuery(orpc.proxy.settings.queryOptions({ input: { serverId } }));
  const data = useQuery(orpc.databases.images.queryOptions({ input: { serverId } }));
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: { serverId } }));
  const server = useQuery(orpc.servers.list.queryOptions()).data?.find((s) => s.id === serverId);
  // The form starts from the stored mappings: wait for this mount's own read, not a cached one from before a save.
  const ready = ship.isFetchedAfterMount && data.isFetchedAfterMount && ship.data && data.data && (dbs.data ?? dbs.error);
  const title = `Image mapping${server ? ` on ${server.name}` : ''}`;
  return (
    <Dialog onClose={onClose} title={title} label="Image mapping" testId="image-mapping" width={760}>
      <p className="muted">
        Every image OpenPanel runs on this server. Map one to a mirror (registry.example:5000/postgres:16) or to an image already on the server when the server cannot pull from Docker Hub; leave it empty to pull the official image.
      </p>
      {ship.error && <p className="field-error">{describeError(ship.error).message}</p>}
      {data.error && <p className="field-error">{describeError(data.error).message}</p>}
      {ready ? (
        <MappingForm
          serverId={serverId}
          focusImage={focusImage ?? null}
          uses={orderFirst(imageUses([...(dbs.data ?? []).map((d) => d.image), ...(focusImage ? [focusImage] : [])]), focusImage)}
          ship={ship.data.imageOverrides}
          data={data.data}
          onSaved={() => {
            void qc.invalidateQueries({ queryKey: orpc.proxy.key() });
            void qc.invalidateQueries({ queryKey: orpc.databases.key() });
            toast({ kind: 'success', title: 'Image mapping saved' });
            onClose();
          }}
        />
      ) : (
        !ship.error && !data.error && <p>Loading…</p>
      )}
    </Dialog>
  );
}

function orderFirst(uses: ImageUse[], ref: string | null | undefined): ImageUse[] {
  return ref ? [...uses.filter((u) => u.ref === ref), ...uses.filter((u) => u.ref !== ref)] : uses;
}

interface FormProps {
  serverId: string;
  uses: ImageUse[];
  ship: { prefix: string | null; images: Record<string, string> };
  data: Record<string, string>;
  /** Its field gets the focus once the form is there (it loads after the dialog opened). */
  focusImage: string | null;
  onSaved(): void;
}

function MappingForm({ serverId, uses, ship, data, focusImage, onSaved }: FormProps) {
  const focusRef = useRef<HTMLInputElement>(null);
  useEffect(() => focusRef.current?.focus(), []);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(uses.map((u) => [u.ref, (u.store === 'ship' ? ship.images[u.ref] : data[u.ref]) ?? ''])));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: async () => {
      const local: Record<string, string> = {};
      for (const u of uses) {
        const v = values[u.ref]?.trim() ?? '';
        const r = v ? ImageRef.safeParse(v) : null;
        if (r && !r.success) local[u.ref] = r.error.issues[0]?.message ?? 'expected an image reference';
      }
      if (Object.keys(local).length) throw { code: 'INPUT_INVALID', message: 'image references', data: { issues: Object.entries(local).map(([ref, message]) => ({ path: `images.${ref}`, message })) } };
      const mapped = (store: ImageUse['store'], current: Record<string, string>) => {
        const mine = new Set(uses.filter((u) => u.store === store).map((u) => u.ref));
        // Mappings this screen does not show (base images of builds) are kept as they are.
        const kept = Object.entries(current).filter(([from]) => !mine.has(from));
        const edited = uses.filter((u) => u.store === store && values[u.ref]?.trim()).map((u) => [u.ref, values[u.ref]!.trim()]);
        return Object.fromEntries([...kept, ...edited]) as Record<string, string>;
      };
      await api().databases.setImages({ serverId, images: mapped('data', data) });
      await api().proxy.updateSettings({ serverId, settings: { imageOverrides: { prefix: ship.prefix, images: mapped('ship', ship.images) } } });
    },
    onSuccess: onSaved,
    onError: (e) => setErrors(errorsByImage(e)),
  });
  return (
    <form
      aria-label="Image mapping"
      onSubmit={(e) => {
        e.preventDefault();
        setErrors({});
        save.mutate();
      }}
    >
      <table className="table" data-testid="image-mapping-table">
        <thead>
          <tr>
            <th>Used for</th>
            <th>Image</th>
            <th>Run instead</th>
          </tr>
        </thead>
        <tbody>
          {uses.map((u) => {
            const id = `img-${u.ref.replace(/[^a-z0-9]/gi, '-')}`;
            return (
              <tr key={u.ref} data-image={u.ref}>
                <td>{u.label}</td>
                <td className="mono small">
                  <label htmlFor={id}>{u.ref}</label>
                </td>
                <td>
                  <input id={id} ref={u.ref === focusImage ? focusRef : undefined} className="mono" value={values[u.ref] ?? ''} placeholder="official image" aria-invalid={errors[u.ref] ? true : undefined} aria-describedby={errors[u.ref] ? `${id}-error` : undefined} onChange={(e) => setValues({ ...values, [u.ref]: e.target.value })} />
                  {errors[u.ref] && (
                    <span className="field-error" id={`${id}-error`}>
                      {errors[u.ref]}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {errors.form && <p className="field-error">{errors.form}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save mapping'}
        </button>
      </div>
    </form>
  );
}
