import { useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { ChannelDto } from '../../protocol/types';
import { Field, FormError } from '../Field';
import { SaveRow } from './SaveRow';
import { useAction } from './useSettings';

/** A channel's name and topic, and deleting it (manageChannels). The channel list follows from ChannelsChanged. */
export function ChannelDetails({ api, channel, onDeleted }: { api: ServerApi; channel: ChannelDto; onDeleted: () => void }) {
  const [name, setName] = useState(channel.name);
  const [topic, setTopic] = useState(channel.topic ?? '');
  const [confirming, setConfirming] = useState(false);
  const [saved, setSaved] = useState(false);
  const save = useAction();
  const remove = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void save
      .run(async () => void (await api.updateChannel(channel.id, { name: name.trim(), topic: topic.trim() })), name.trim() ? null : 'Give the channel a name.')
      .then(setSaved);
  };
  return (
    <section className="dialog-section" aria-label="Channel">
      <form className="join-form" onSubmit={submit} aria-label="Name and topic" noValidate>
        <Field label="Name" value={name} onChange={setName} maxLength={64} autoComplete="off" disabled={save.busy} />
        <Field label="Topic" value={topic} onChange={setTopic} maxLength={256} autoComplete="off" disabled={save.busy} />
        <SaveRow action={save} saved={saved} label="Save channel" />
      </form>
      {!confirming ? (
        <button type="button" className="menu-item danger" onClick={() => setConfirming(true)}>
          Delete channel…
        </button>
      ) : (
        <div className="dialog-buttons" role="group" aria-label="Delete the channel?">
          <span className="small">Delete {channel.name} and its messages?</span>
          <button type="button" className="link-button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
          <button
            type="button"
            className="primary danger-button"
            disabled={remove.busy}
            onClick={() => void remove.run(() => api.deleteChannel(channel.id)).then((done) => done && onDeleted())}
          >
            Delete channel
          </button>
        </div>
      )}
      <FormError id={remove.errorId}>{remove.error}</FormError>
    </section>
  );
}
