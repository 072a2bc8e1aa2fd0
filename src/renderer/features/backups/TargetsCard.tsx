import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';

/** S3-compatible destinations; credentials go to the keychain, each target gets its own age key pair. */
export function TargetsCard() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const targets = useQuery(orpc.backups.targets.queryOptions());
  const [form, setForm] = useState({ name: '', endpoint: '', region: 'us-east-1', bucket: '', prefix: '', accessKeyId: '', secretAccessKey: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: () => api().backups.createTarget({ ...form, pathStyle: true }),
    onSuccess: () => {
      setErrors({});
      setForm({ ...form, name: '', accessKeyId: '', secretAccessKey: '' });
      void qc.invalidateQueries({ queryKey: orpc.backups.key() });
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const field = (k: keyof typeof form, label: string, type = 'text') => (
    <>
      <label htmlFor={`t-${k}`}>{label}</label>
      <input id={`t-${k}`} type={type} value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} autoComplete="off" />
      {errors[k] && <span className="field-error">{errors[k]}</span>}
    </>
  );
  return (
    <div className="card">
      <h2>Storage targets</h2>
      <ul data-testid="targets">
        {targets.data?.map((t) => (
          <li key={t.id}>
            <strong>{t.name}</strong> — {t.endpoint}/{t.bucket}/{t.prefix} <span className="muted small">(encrypted to {t.recipient.slice(0, 16)}…)</span>
          </li>
        ))}
      </ul>
      <form
        className="form"
        aria-label="New target"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        {field('name', 'Name')}
        {field('endpoint', 'S3 endpoint')}
        {field('region', 'Region')}
        {field('bucket', 'Bucket')}
        {field('prefix', 'Prefix')}
        {field('accessKeyId', 'Access key id')}
        {field('secretAccessKey', 'Secret access key', 'password')}
        {errors.form && <p className="field-error full">{errors.form}</p>}
        <div className="actions full">
          <button type="submit">Add target</button>
        </div>
      </form>
    </div>
  );
}
