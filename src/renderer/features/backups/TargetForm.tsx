import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { BackupTarget, TargetTest } from '../../../shared/contract/backups.ts';
import { api } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';

type Fields = { name: string; endpoint: string; region: string; bucket: string; prefix: string; accessKeyId: string; secretAccessKey: string };

const LABELS: Record<keyof Fields, string> = { name: 'Name', endpoint: 'S3 endpoint', region: 'Region', bucket: 'Bucket', prefix: 'Prefix', accessKeyId: 'Access key id', secretAccessKey: 'Secret access key' };

/** The probe's result in words; a failure also shows next to the field it names. */
export function TestResult({ result }: { result: TargetTest }) {
  return (
    <p className={`full small ${result.passed ? '' : 'field-error'}`} style={result.passed ? { color: 'var(--ok)' } : undefined} role="status" data-testid="target-test">
      {result.passed ? `Test passed: ${result.detail}` : `Test failed (${result.step}): ${result.field ? `${LABELS[result.field as keyof Fields] ?? result.field}: ` : ''}${result.detail}`}
    </p>
  );
}

/**
 * Adds a target, or edits one (`target` given): tested on save (write, read back, delete a probe object), with a
 * Test button for trying first. When editing, the keys are write-only: left empty, the stored ones are kept.
 */
export function TargetForm({ target, onSaved, idPrefix }: { target?: BackupTarget; onSaved(t: BackupTarget): void; idPrefix: string }) {
  const blank: Fields = { name: '', endpoint: '', region: 'us-east-1', bucket: '', prefix: '', accessKeyId: '', secretAccessKey: '' };
  const [form, setForm] = useState<Fields>(target ? { ...blank, name: target.name, endpoint: target.endpoint, region: target.region, bucket: target.bucket, prefix: target.prefix } : blank);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<TargetTest | null>(null);
  const place = { endpoint: form.endpoint, region: form.region, bucket: form.bucket, prefix: form.prefix, pathStyle: target?.pathStyle ?? true };
  const keys = { accessKeyId: form.accessKeyId || undefined, secretAccessKey: form.secretAccessKey || undefined };
  const test = useMutation({
    mutationFn: () => api().backups.testTarget({ ...(target ? { id: target.id } : {}), ...place, ...keys }),
    onMutate: () => setResult(null),
    onSuccess: (r) => {
      setResult(r);
      setErrors(r.passed || !r.field ? {} : { [r.field]: r.detail });
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const save = useMutation({
    mutationFn: () =>
      target
        ? api().backups.updateTarget({ id: target.id, name: form.name, ...place, ...keys, test: true })
        : api().backups.createTarget({ name: form.name, ...place, accessKeyId: form.accessKeyId, secretAccessKey: form.secretAccessKey, test: true }),
    onMutate: () => setResult(null),
    onSuccess: (t) => {
      setErrors({});
      if (!target) setForm({ ...form, name: '', accessKeyId: '', secretAccessKey: '' });
      onSaved(t);
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const field = (k: keyof Fields, type = 'text') => (
    <>
      <label htmlFor={`${idPrefix}-${k}`}>{LABELS[k]}</label>
      <input
        id={`${idPrefix}-${k}`}
        type={type}
        value={form[k]}
        onChange={(e) => setForm({ ...form, [k]: e.target.value })}
        autoComplete="off"
        placeholder={target && (k === 'accessKeyId' || k === 'secretAccessKey') ? 'unchanged (stored in the keychain)' : undefined}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `${idPrefix}-${k}-error` : undefined}
      />
      {errors[k] && (
        <span className="field-error" id={`${idPrefix}-${k}-error`}>
          {errors[k]}
        </span>
      )}
    </>
  );
  const busy = test.isPending || save.isPending;
  return (
    <form
      className="form"
      aria-label={target ? `Edit target ${target.name}` : 'New target'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {field('name')}
      {field('endpoint')}
      {field('region')}
      {field('bucket')}
      {field('prefix')}
      {field('accessKeyId')}
      {field('secretAccessKey', 'password')}
      {result && <TestResult result={result} />}
      {errors.form && <p className="field-error full">{errors.form}</p>}
      <p className="muted small full">Saving tests the target first: a small probe object is written, read back and deleted.</p>
      <div className="actions full">
        <button type="button" disabled={busy} onClick={() => test.mutate()}>
          {test.isPending ? 'Testing…' : 'Test'}
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {save.isPending ? 'Testing and saving…' : target ? 'Save target' : 'Add target'}
        </button>
      </div>
    </form>
  );
}
