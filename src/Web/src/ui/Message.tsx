import { memo, useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { describeError, parseHubError } from '../protocol/errors';
import { Limits, type MessageDto } from '../protocol/types';
import { encodeMentions, knownMembers, mentionsUser, readableText } from '../text/mentions';
import { Avatar } from './Avatar';
import { useChat } from './context';
import { fullTimestamp, shortTime } from './format';
import { MessageActions, type MessageAction } from './MessageActions';
import { MessageText } from './MessageText';

/** How much of the original a reply's reference shows. */
const QuoteChars = 80;

/** The start of a message's text on one line, as a person reads it (mentions as `@Name`). */
export function quoteOf(message: MessageDto): string {
  const text = readableText(message).replace(/\s+/g, ' ').trim();
  return text.length > QuoteChars ? `${text.slice(0, QuoteChars - 1)}…` : text;
}

export interface MessageProps {
  message: MessageDto;
  head: boolean;
  meId: string | null;
  /** The message this one replies to, when it is loaded. */
  original: MessageDto | undefined;
  /** The message this one replies to was deleted. */
  originalDeleted: boolean;
  canReply: boolean;
  /** The user may delete others' messages here (manageMessages). */
  canManage: boolean;
  onReply: (message: MessageDto) => void;
  onDelete: (message: MessageDto, opener: HTMLElement | null) => void;
  /** Scrolls to a loaded message and points it out. */
  onJump: (messageId: number) => void;
}

/**
 * One message of the timeline: its author and time where a group starts, the reply reference, its text with
 * mentions, "(edited)", and its actions (reply, edit for its author, delete for its author and moderators); edited in
 * place (Enter saves, Escape cancels).
 */
export const Message = memo(function Message(props: MessageProps) {
  const { message, head, meId, original, originalDeleted, canReply, canManage, onReply, onDelete, onJump } = props;
  const [editing, setEditing] = useState(false);
  const at = new Date(message.sentAt);
  const mine = meId !== null && message.authorId === meId;
  const mentioned = !mine && mentionsUser(message, meId);
  const replyTo = message.replyTo ?? null;
  const actions: MessageAction[] = [];
  if (canReply) actions.push('reply');
  if (mine) actions.push('edit');
  if (mine || canManage) actions.push('delete');
  const classes = ['message'];
  if (head) classes.push('head');
  if (replyTo !== null) classes.push('reply');
  if (mentioned) classes.push('mentioned');
  if (editing) classes.push('editing');

  return (
    <li
      className={classes.join(' ')}
      data-message-id={message.id}
      data-author-id={message.authorId}
      data-mentions-me={mentioned ? 'true' : undefined}
      data-edited={message.editedAt ? 'true' : undefined}
      tabIndex={-1}
    >
      {replyTo !== null && <ReplyReference original={original} deleted={originalDeleted} onJump={() => onJump(replyTo)} />}
      {head ? (
        <>
          <Avatar userId={message.authorId} name={message.authorName} size={36} />
          <div className="message-head">
            <span className="message-author">{message.authorName}</span>
            <time dateTime={message.sentAt} title={fullTimestamp(at)}>
              {shortTime(at)}
            </time>
          </div>
        </>
      ) : (
        <>
          <span className="sr-only">{message.authorName}</span>
          <time className="side-time" dateTime={message.sentAt} title={fullTimestamp(at)}>
            {shortTime(at)}
          </time>
        </>
      )}
      {editing ? (
        <MessageEditor message={message} onDone={() => setEditing(false)} />
      ) : (
        <div className="message-text">
          <MessageText text={message.text} mentions={message.mentions} meId={meId} />
          {message.editedAt && (
            <span className="edited" title={`Edited ${fullTimestamp(new Date(message.editedAt))}`}>
              {' (edited)'}
            </span>
          )}
        </div>
      )}
      {!editing && actions.length > 0 && (
        <MessageActions
          authorName={message.authorName}
          actions={actions}
          onAction={(action, opener) => {
            if (action === 'reply') onReply(message);
            else if (action === 'edit') setEditing(true);
            else onDelete(message, opener);
          }}
        />
      )}
    </li>
  );
});

/** The line above a reply: who it answers and the start of what they said (a button to it), or that it is not here. */
function ReplyReference({ original, deleted, onJump }: { original: MessageDto | undefined; deleted: boolean; onJump: () => void }) {
  if (!original) {
    return (
      <div className="reply-ref muted">
        <span aria-hidden="true">↪ </span>
        {deleted ? 'Reply to a deleted message' : 'Reply to an earlier message'}
      </div>
    );
  }
  const quote = quoteOf(original);
  return (
    <div className="reply-ref">
      <button type="button" className="reply-ref-button" onClick={onJump} title="Go to the original message" aria-label={`Reply to ${original.authorName}: ${quote} (go to the message)`}>
        <span aria-hidden="true">↪ </span>
        <span className="reply-ref-author">@{original.authorName}</span> <span className="reply-ref-text">{quote}</span>
      </button>
    </div>
  );
}

/** The message's text in a box: Enter saves (unchanged text just closes it), Shift+Enter adds a line, Escape cancels. */
function MessageEditor({ message, onDone }: { message: MessageDto; onDone: () => void }) {
  const { client, store } = useChat();
  const initial = useRef(readableText(message, true));
  const [text, setText] = useState(initial.current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const errorId = useId();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const save = async () => {
    const body = text.trim();
    if (body === initial.current.trim()) {
      onDone();
      return;
    }
    if (!body) {
      setError('A message cannot be empty; delete it instead.');
      return;
    }
    const view = store.getState().views[message.channelId];
    const members = [...knownMembers(view?.online ?? [], view?.messages ?? [], null), ...(message.mentions ?? [])];
    const encoded = encodeMentions(body, members, message.mentions ?? []);
    if (encoded.length > Limits.messageMax) {
      setError(`Messages can have at most ${Limits.messageMax} characters; this one has ${encoded.length}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.edit(message.channelId, message.id, encoded);
      onDone();
    } catch (e) {
      setError(describeError(parseHubError(e)));
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onDone();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void save();
    }
  };

  return (
    <div className="message-text message-editor">
      <textarea
        ref={box}
        aria-label="Edit message"
        rows={1}
        value={text}
        disabled={busy}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
      />
      <p className="editor-hint muted small">
        Escape to <button type="button" className="link-button" onClick={onDone}>cancel</button> · Enter to{' '}
        <button type="button" className="link-button" onClick={() => void save()} disabled={busy}>save</button>
      </p>
      {error && (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
