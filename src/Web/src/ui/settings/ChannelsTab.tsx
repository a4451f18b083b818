import { useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { ChannelKind } from '../../protocol/types';
import { Field, FormError } from '../Field';
import { useAction } from './useSettings';

/**
 * Creates a text or voice channel. The channel list updates itself (ChannelsChanged); a channel's permissions are
 * set from its gear in the channel list.
 */
export function ChannelsTab({ api }: { api: ServerApi }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ChannelKind>('text');
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const trimmed = name.trim();
    void action.run(async () => {
      const channel = await api.createChannel(trimmed, kind);
      setName('');
      setCreated(channel.name);
    }, trimmed ? null : 'Give the channel a name.');
  };
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="New channel" noValidate>
      <h3>New channel</h3>
      <Field label="Channel name" value={name} onChange={setName} maxLength={64} autoComplete="off" disabled={action.busy}
        {...(action.error ? { 'aria-invalid': true, 'aria-describedby': action.errorId } : {})} />
      <fieldset className="kind-choice" disabled={action.busy}>
        <legend>Kind</legend>
        {(['text', 'voice'] as const).map((k) => (
          <label key={k} className="check-row">
            <input type="radio" name="channel-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
            {k === 'text' ? 'Text' : 'Voice'}
          </label>
        ))}
      </fieldset>
      <FormError id={action.errorId}>{action.error}</FormError>
      {created && <p role="status">Channel {created} created. Its gear in the channel list sets who can see it.</p>}
      <button type="submit" className="primary" disabled={action.busy}>
        Create channel
      </button>
    </form>
  );
}
