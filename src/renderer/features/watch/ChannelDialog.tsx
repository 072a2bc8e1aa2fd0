import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import type { Channel, ChannelKind, ChannelSettingsInput } from '../../../shared/contract/alerting.ts';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';
import { appliedProblems } from './applied.ts';

export const KIND_LABEL: Record<ChannelKind, string> = { email: 'Email (SMTP)', slack: 'Slack', discord: 'Discord', telegram: 'Telegram', webhook: 'Webhook (ntfy, Gotify, …)' };

type Form = Record<string, string>;

function initial(channel: Channel | null): Form {
  const s = (channel?.settings ?? { kind: 'email' }) as Record<string, unknown>;
  const text = (k: string, dflt = '') => (s[k] === undefined || s[k] === null ? dflt : Array.isArray(s[k]) ? (s[k] as string[]).join(', ') : String(s[k]));
  return {
    name: channel?.name ?? '',
    kind: channel?.kind ?? 'email',
    host: text('host'),
    port: text('port', '587'),
    tls: text('tls', 'starttls'),
    insecureSkipVerify: text('insecureSkipVerify', 'false'),
    from: text('from'),
    to: text('to'),
    username: text('username'),
    channel: text('channel'),
    chatId: text('chatId'),
    apiUrl: text('apiUrl', 'https://api.telegram.org'),
    auth: text('auth', 'none'),
    password: '',
    webhookUrl: '',
    botToken: '',
    url: '',
    token: '',
  };
}

/** The input of create/update from the form; an empty secret is left out (update keeps the stored one). */
function settingsOf(f: Form): ChannelSettingsInput {
  const secret = (k: string) => (f[k] ? { [k]: f[k] } : {});
  const kind = f.kind as ChannelKind;
  switch (kind) {
    case 'email':
      return { kind, host: f.host ?? '', port: Number(f.port), tls: f.tls as 'starttls', insecureSkipVerify: f.insecureSkipVerify === 'true', from: f.from ?? '', to: (f.to ?? '').split(/[,\s]+/).filter(Boolean), username: f.username ?? '', ...secret('password') };
    case 'slack':
      return { kind, channel: f.channel ?? '', ...secret('webhookUrl') };
    case 'discord':
      return { kind, ...secret('webhookUrl') };
    case 'telegram':
      return { kind, chatId: Number(f.chatId), apiUrl: f.apiUrl ?? '', ...secret('botToken') };
    case 'webhook':
      return { kind, auth: f.auth as 'none', username: f.username ?? '', ...secret('url'), ...secret('token'), ...secret('password') };
  }
}

/** Add or edit a channel. Secrets are write-only: a stored one shows as set and an empty field keeps it. */
export function ChannelDialog({ channel, onClose }: { channel: Channel | null; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [form, setForm] = useState<Form>(() => initial(channel));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => {
      const body = { name: form.name ?? '', severities: null, settings: settingsOf(form) };
      return channel ? api().alerting.updateChannel({ id: channel.id, ...body }) : api().alerting.createChannel(body);
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: orpc.alerting.key() });
      const problems = appliedProblems(r.applied);
      toast(problems ? { kind: 'error', title: `${r.channel.name} saved, not yet on every server`, detail: problems } : { kind: 'success', title: `${r.channel.name} saved` });
      onClose();
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const set = (k: string) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const errorFor = (k: string) => errors[k] ?? Object.entries(errors).find(([p]) => p.startsWith(`${k}[`) || p.startsWith(`${k}.`))?.[1];
  const field = (k: string, label: string, input: ReactNode, path = `settings.${k}`) => {
    const err = errorFor(path);
    return (
      <div key={k} style={{ display: 'contents' }}>
        <label htmlFor={`channel-${k}`}>{label}</label>
        {input}
        {err && (
          <span className="field-error" role="alert" id={`channel-${k}-error`}>
            {err}
          </span>
        )}
      </div>
    );
  };
  const text = (k: string, label: string, opts: { type?: string; placeholder?: string; path?: string } = {}) =>
    field(k, label, <input id={`channel-${k}`} type={opts.type ?? 'text'} value={form[k] ?? ''} onChange={set(k)} placeholder={opts.placeholder} aria-invalid={errorFor(opts.path ?? `settings.${k}`) ? true : undefined} autoComplete="off" />, opts.path);
  const secret = (k: string, label: string) => {
    const stored = channel?.secretsSet.includes(k);
    return text(k, label, { type: 'password', placeholder: stored ? 'stored — leave empty to keep' : '' });
  };
  const select = (k: string, label: string, options: [string, string][]) =>
    field(
      k,
      label,
      <select id={`channel-${k}`} value={form[k]} onChange={set(k)}>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>,
    );
  const kind = form.kind as ChannelKind;
  return (
    <Dialog title={channel ? `Edit ${channel.name}` : 'Add a channel'} label={channel ? 'Edit channel' : 'Add channel'} width={600} onClose={onClose} testId="channel-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        {field('name', 'Name', <input id="channel-name" value={form.name} onChange={set('name')} aria-invalid={errors.name ? true : undefined} />, 'name')}
        {field(
          'kind',
          'Kind',
          <select id="channel-kind" value={form.kind} onChange={set('kind')} disabled={channel !== null}>
            {(Object.keys(KIND_LABEL) as ChannelKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>,
          'settings.kind',
        )}
        {kind === 'email' && (
          <>
            {text('host', 'SMTP host')}
            {text('port', 'Port', { type: 'number' })}
            {select('tls', 'Encryption', [
              ['starttls', 'STARTTLS'],
              ['tls', 'TLS (port 465)'],
              ['none', 'None'],
            ])}
            {select('insecureSkipVerify', 'Certificate', [
              ['false', 'Verify'],
              ['true', 'Accept self-signed'],
            ])}
            {text('from', 'From')}
            {text('to', 'To', { placeholder: 'ops@example.com, other@example.com' })}
            {text('username', 'Username')}
            {secret('password', 'Password')}
          </>
        )}
        {(kind === 'slack' || kind === 'discord') && secret('webhookUrl', 'Webhook URL')}
        {kind === 'slack' && text('channel', 'Channel', { placeholder: '#alerts' })}
        {kind === 'telegram' && (
          <>
            {secret('botToken', 'Bot token')}
            {text('chatId', 'Chat id', { type: 'number' })}
            {text('apiUrl', 'Bot API URL')}
          </>
        )}
        {kind === 'webhook' && (
          <>
            {secret('url', 'URL')}
            {select('auth', 'Authentication', [
              ['none', 'None'],
              ['bearer', 'Bearer token'],
              ['basic', 'Basic (user + password)'],
            ])}
            {form.auth === 'bearer' && secret('token', 'Token')}
            {form.auth === 'basic' && (
              <>
                {text('username', 'Username')}
                {secret('password', 'Password')}
              </>
            )}
          </>
        )}
        {errors.form && (
          <p className="field-error full" role="alert">
            {errors.form}
          </p>
        )}
        <div className="full row">
          <div className="spacer" />
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="primary" type="submit" disabled={save.isPending} data-testid="channel-save">
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
