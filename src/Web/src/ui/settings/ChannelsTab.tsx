import { useEffect, useId, useLayoutEffect, useRef, useState, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import type { ServerApi } from '../../client/serverApi';
import type { ChannelDto, ChannelKind } from '../../protocol/types';
import { applyOrder, categories, categoryOf, describeMove, displayOrder, groupChannels, moveOnto, moveWithinGroup } from '../../state/channelOrder';
import type { State } from '../../state/store';
import { useChatState } from '../context';
import { Field, FormError } from '../Field';
import { Icon } from '../Icon';
import { ChannelDetails } from './ChannelDetails';
import { useAction } from './useSettings';

const selectChannels = (s: State) => s.channels;

/** Which of a row's controls had the focus when it moved, so that it keeps it. */
type RowControl = 'handle' | 'up' | 'down';

/**
 * The admin panel's Channels page: create a text or voice channel (optionally in a category); the channels grouped by
 * category, each reordered by dragging its row or with Alt+Up and Alt+Down (or its up and down buttons), and edited
 * (name, topic, category, delete) from its row. It shows the channel list as the server pushes it, so changes made
 * elsewhere appear here too; a move shows at once and stays if the server takes it.
 */
export function ChannelsTab({ api }: { api: ServerApi }) {
  const channels = useChatState(selectChannels);
  // The order just asked for, shown until the server's next channel list arrives (or the call fails).
  const [pending, setPending] = useState<string[] | null>(null);
  useEffect(() => setPending(null), [channels]);
  const shown = pending ? applyOrder(channels, pending) : channels;
  const [editing, setEditing] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [dragged, setDragged] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const order = useAction();
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const refocus = useRef<{ id: string; control: RowControl } | null>(null);
  const list = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const hintId = useId();

  // A moved row is taken out of the DOM and put back, which drops the focus: give it back to the control that had it.
  useLayoutEffect(() => {
    const want = refocus.current;
    if (!want || (document.activeElement !== null && document.activeElement !== document.body)) return;
    list.current?.querySelector<HTMLElement>(`[data-channel-id="${CSS.escape(want.id)}"] [data-control="${want.control}"]`)?.focus();
  });

  /** Shows `next` at once and sends it; moves are sent one after another, in the order they were made. */
  const reorder = (next: string[], movedId: string, before?: () => Promise<unknown>) => {
    const placed = applyOrder(shown, next);
    setPending(next);
    setAnnouncement(describeMove(placed, movedId));
    queue.current = queue.current.then(() =>
      order.run(async () => {
        if (before) await before();
        await api.reorderChannels(next);
      }).then((done) => {
        if (!done) setPending(null);
      }),
    );
  };

  const move = (c: ChannelDto, delta: -1 | 1, control: RowControl) => {
    refocus.current = { id: c.id, control };
    const next = moveWithinGroup(shown, c.id, delta);
    if (next) reorder(next, c.id);
    else setAnnouncement(`${c.name} is already ${delta < 0 ? 'first' : 'last'}${categoryOf(c) ? ` in ${categoryOf(c)}` : ''}.`);
  };

  // Alt+Up and Alt+Down on the row's handle or its move buttons (not in its edit form's fields).
  const onRowKey = (c: ChannelDto) => (e: KeyboardEvent) => {
    const control = (e.target as HTMLElement).dataset.control as RowControl | undefined;
    if (!control || !e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    e.preventDefault();
    move(c, e.key === 'ArrowUp' ? -1 : 1, control);
  };

  const drop = (target: ChannelDto) => {
    const source = shown.find((c) => c.id === dragged);
    setDragged(null);
    setDropTarget(null);
    if (!source) return;
    const next = moveOnto(displayOrder(shown), source.id, target.id);
    if (!next) return;
    const category = categoryOf(target);
    // Dropped among another category's channels: it joins that category first.
    const regroup = categoryOf(source) === category ? undefined : () => api.updateChannel(source.id, { category: category ?? '' });
    reorder(next, source.id, regroup);
  };

  const dragProps = (c: ChannelDto) => ({
    // Not while its edit form is open: text in its fields is selected with the mouse.
    draggable: editing !== c.id,
    onDragStart: (e: DragEvent) => {
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', c.id);
      setDragged(c.id);
    },
    onDragEnd: () => {
      setDragged(null);
      setDropTarget(null);
    },
    onDragOver: (e: DragEvent) => {
      if (dragged === null) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      if (dropTarget !== c.id) setDropTarget(c.id);
    },
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      drop(c);
    },
  });

  const known = categories(shown);
  const groups = groupChannels(shown);
  return (
    <>
      <NewChannelForm api={api} categories={known} />
      <section className="dialog-section" aria-labelledby={`${hintId}-title`}>
        <h3 id={`${hintId}-title`} tabIndex={-1} ref={heading}>
          Channels
        </h3>
        <p id={hintId} className="muted small">
          Drag a channel by its handle to move it, or focus its handle and press Alt+Up or Alt+Down.
        </p>
        <p className="sr-only" aria-live="polite" role="status">
          {announcement}
        </p>
        <FormError id={order.errorId}>{order.error}</FormError>
        {channels.length === 0 && <p className="muted">No channels yet.</p>}
        <div ref={list} className="channel-order">
          {groups.map((g) => (
            <div key={g.category ?? ''} role="group" aria-label={g.category === null ? 'No category' : `Category ${g.category}`} className="channel-order-group">
              <h4 className="section-title">{g.category ?? 'No category'}</h4>
              <ul className="channel-order-list" aria-label={g.category === null ? 'Channels without a category' : `Channels in ${g.category}`}>
                {g.channels.map((c, i) => (
                  <li
                    key={c.id}
                    className="channel-order-row"
                    data-channel-id={c.id}
                    data-dragging={dragged === c.id || undefined}
                    data-drop-target={dropTarget === c.id && dragged !== c.id ? true : undefined}
                    onKeyDown={onRowKey(c)}
                    {...dragProps(c)}
                  >
                    <div className="channel-order-line">
                      <button type="button" className="icon-button drag-handle" data-control="handle" aria-label={`Move ${c.name}`}
                        aria-describedby={hintId} title="Drag to move; Alt+Up or Alt+Down">
                        <Icon name="menu" size={16} />
                      </button>
                      <Icon name={c.kind === 'voice' ? 'speaker' : 'hash'} size={16} />
                      <span className="channel-order-name">{c.name}</span>
                      <span className="sr-only">{c.kind === 'voice' ? 'voice channel' : 'text channel'}</span>
                      {c.topic && <span className="muted small channel-order-topic">{c.topic}</span>}
                      <div className="row-buttons">
                        <button type="button" className="icon-button" data-control="up" aria-label={`Move ${c.name} up`} title="Move up"
                          aria-disabled={i === 0 || undefined} onClick={() => move(c, -1, 'up')}>
                          <Icon name="up" size={16} />
                        </button>
                        <button type="button" className="icon-button" data-control="down" aria-label={`Move ${c.name} down`} title="Move down"
                          aria-disabled={i === g.channels.length - 1 || undefined} onClick={() => move(c, 1, 'down')}>
                          <Icon name="down" size={16} />
                        </button>
                        <button type="button" className="icon-button" aria-label={`Edit ${c.name}`} title="Edit" aria-expanded={editing === c.id}
                          onClick={() => setEditing(editing === c.id ? null : c.id)}>
                          <Icon name="edit" size={16} />
                        </button>
                      </div>
                    </div>
                    {editing === c.id && (
                      <ChannelDetails
                        key={c.id}
                        api={api}
                        channel={c}
                        categories={known}
                        onDeleted={() => {
                          setEditing(null);
                          setAnnouncement(`${c.name} deleted.`);
                          heading.current?.focus();
                        }}
                      />
                    )}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </div>
      </section>
    </>
  );
}

/** Creates a text or voice channel, in a category when one is given. */
function NewChannelForm({ api, categories: known }: { api: ServerApi; categories: string[] }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ChannelKind>('text');
  const [category, setCategory] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();
  const listId = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const trimmed = name.trim();
    const inCategory = category.trim();
    void action.run(async () => {
      const channel = await api.createChannel(trimmed, kind);
      if (inCategory) await api.updateChannel(channel.id, { category: inCategory });
      setName('');
      setCreated(channel.name);
    }, trimmed ? null : 'Give the channel a name.');
  };
  const invalid = action.error ? { 'aria-invalid': true as const, 'aria-describedby': action.errorId } : {};
  return (
    <form className="dialog-section join-form" onSubmit={submit} aria-label="New channel" noValidate>
      <h3>New channel</h3>
      <Field label="Channel name" value={name} onChange={setName} maxLength={64} autoComplete="off" disabled={action.busy} {...invalid} />
      <fieldset className="kind-choice" disabled={action.busy}>
        <legend>Kind</legend>
        {(['text', 'voice'] as const).map((k) => (
          <label key={k} className="check-row">
            <input type="radio" name="channel-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
            {k === 'text' ? 'Text' : 'Voice'}
          </label>
        ))}
      </fieldset>
      <Field label="Category (optional)" value={category} onChange={setCategory} maxLength={64} autoComplete="off" disabled={action.busy} list={listId} />
      <datalist id={listId}>
        {known.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <FormError id={action.errorId}>{action.error}</FormError>
      {created && <p role="status">Channel {created} created. Its gear in the channel list sets who can see it.</p>}
      <button type="submit" className="primary" disabled={action.busy}>
        Create channel
      </button>
    </form>
  );
}
