import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { ChannelDto } from '../../protocol/types';
import { Field, FormError } from '../Field';
import { SaveRow } from './SaveRow';
import { useAction } from './useSettings';

/**
 * A channel's name, topic and (with `categories`, the suggestions) category, and deleting it after a confirmation
 * (manageChannels). The channel list follows from ChannelsChanged and ChannelUpdated.
 */
export function ChannelDetails(props: { api: ServerApi; channel: ChannelDto; onDeleted: () => void; categories?: string[] }) {
  const { api, channel, onDeleted, categories } = props;
  const [name, setName] = useState(channel.name);
  const [topic, setTopic] = useState(channel.topic ?? '');
  const [category, setCategory] = useState(channel.category ?? '');
  const [confirming, setConfirming] = useState(false);
  const [saved, setSaved] = useState(false);
  const save = useAction();
  const remove = useAction();
  const listId = useId();
  const deleteButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  // Focus follows the confirmation: onto Cancel as it opens, back to "Delete channel…" as it closes.
  const confirmed = useRef<boolean | null>(null);
  useEffect(() => {
    if (confirmed.current === null) return;
    (confirming ? cancelButton : deleteButton).current?.focus();
  }, [confirming]);
  const confirm = (on: boolean) => {
    confirmed.current = on;
    setConfirming(on);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const change = { name: name.trim(), topic: topic.trim(), ...(categories ? { category: category.trim() } : {}) };
    void save.run(async () => void (await api.updateChannel(channel.id, change)), change.name ? null : 'Give the channel a name.').then(setSaved);
  };
  return (
    <section className="dialog-section channel-details" aria-label={`Channel ${channel.name}`}>
      <form className="join-form" onSubmit={submit} aria-label="Channel details" noValidate>
        <Field label="Name" value={name} onChange={setName} maxLength={64} autoComplete="off" disabled={save.busy} />
        <Field label="Topic" value={topic} onChange={setTopic} maxLength={256} autoComplete="off" disabled={save.busy} />
        {categories && (
          <>
            <Field label="Category" value={category} onChange={setCategory} maxLength={64} autoComplete="off" disabled={save.busy} list={listId}
              placeholder="None" />
            <datalist id={listId}>
              {categories.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
          </>
        )}
        <SaveRow action={save} saved={saved} label="Save channel" />
      </form>
      {!confirming ? (
        <button type="button" className="menu-item danger" ref={deleteButton} onClick={() => confirm(true)}>
          Delete channel…
        </button>
      ) : (
        <div className="dialog-buttons" role="group" aria-label="Delete the channel?">
          <span className="small">Delete {channel.name} and its messages?</span>
          <button type="button" className="link-button" ref={cancelButton} onClick={() => confirm(false)}>
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
