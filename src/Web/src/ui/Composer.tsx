import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { describeError, parseHubError, retryAfterSeconds } from '../protocol/errors';
import { Limits, type MentionDto } from '../protocol/types';
import type { State } from '../state/store';
import { typingLine } from '../state/typing';
import { encodeMentions, insertMention, knownMembers, mentionQuery, suggestMembers } from '../text/mentions';
import { useChat, useChatState } from './context';
import { Icon } from './Icon';
import { quoteOf } from './Message';

/** Show how much room is left once a message gets this long. */
const CountFrom = Limits.messageMax - 200;

interface Suggestions {
  /** Where the `@` is. */
  start: number;
  items: MentionDto[];
  active: number;
}

/**
 * The message box: Enter sends, Shift+Enter starts a new line; refusals are explained under it. Typing `@` offers the
 * channel's known members (arrow keys, Enter or Tab to choose, Escape to close); a chosen `@Name` is sent as its
 * `<@userId>` token. Above it, the message being replied to (Escape or the cross cancels); under it, who is typing.
 * With `blockedBy` (a time-out's notice) it is disabled and shows why.
 */
export function Composer({ channelId, channelName, blockedBy }: { channelId: string; channelName: string; blockedBy?: string }) {
  const { client, store } = useChat();
  const connected = useChatState((s) => s.connection === 'connected');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestions | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const errorId = useId();
  const countId = useId();
  const listId = useId();
  const blockedId = useId();
  const clearTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The members the user picked from the suggestions: their names win over others' with the same name.
  const picked = useRef<MentionDto[]>([]);
  const pendingCaret = useRef<number | null>(null);

  useEffect(() => () => {
    if (clearTimer.current) clearTimeout(clearTimer.current);
  }, []);

  // Grow with the text, up to the CSS max-height; put the caret after an inserted mention.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
    if (pendingCaret.current !== null) {
      el.setSelectionRange(pendingCaret.current, pendingCaret.current);
      pendingCaret.current = null;
    }
  }, [text]);

  const members = () => {
    const s = store.getState();
    const view = s.views[channelId];
    return knownMembers(view?.online ?? [], view?.messages ?? [], s.me?.id ?? null);
  };

  const suggest = (value: string, caret: number) => {
    const query = mentionQuery(value, caret);
    const items = query ? suggestMembers(members(), query.query) : [];
    setSuggestions(query && items.length > 0 ? { start: query.start, items, active: 0 } : null);
  };

  const choose = (member: MentionDto) => {
    const el = box.current;
    if (!el || !suggestions) return;
    const next = insertMention(text, suggestions.start, el.selectionStart ?? text.length, member.name);
    picked.current = [...picked.current.filter((m) => m.userId !== member.userId), member];
    pendingCaret.current = next.caret;
    setText(next.text);
    setSuggestions(null);
    el.focus();
  };

  const showError = (message: string | null, clearAfterSeconds?: number | null) => {
    if (clearTimer.current) clearTimeout(clearTimer.current);
    clearTimer.current = null;
    setError(message);
    if (message && clearAfterSeconds) clearTimer.current = setTimeout(() => setError((e) => (e === message ? null : e)), clearAfterSeconds * 1000);
  };

  const send = async () => {
    const body = text.trim();
    if (!body || blockedBy) return;
    const encoded = encodeMentions(body, members(), picked.current);
    if (encoded.length > Limits.messageMax) {
      showError(`Messages can have at most ${Limits.messageMax} characters; this one has ${encoded.length}.`);
      return;
    }
    const replyTo = store.getState().views[channelId]?.replyingTo ?? null;
    setText('');
    setSuggestions(null);
    showError(null);
    if (replyTo !== null) store.dispatch({ type: 'replyCancelled', channelId });
    try {
      if (replyTo !== null) await client.reply(channelId, replyTo, encoded);
      else await client.post(channelId, encoded);
      picked.current = [];
    } catch (e) {
      const hubError = parseHubError(e);
      // Give the text (and what it replied to, if still there) back unless something new was typed meanwhile.
      setText((current) => (current === '' ? body : current));
      if (replyTo !== null) store.dispatch({ type: 'replyStarted', channelId, messageId: replyTo });
      showError(describeError(hubError), retryAfterSeconds(hubError));
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggestions) {
      const n = suggestions.items.length;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setSuggestions({ ...suggestions, active: (suggestions.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n });
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.nativeEvent.isComposing) {
        e.preventDefault();
        choose(suggestions.items[suggestions.active]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setSuggestions(null);
        return;
      }
    }
    if (e.key === 'Escape' && store.getState().views[channelId]?.replyingTo != null) {
      e.preventDefault();
      e.stopPropagation();
      store.dispatch({ type: 'replyCancelled', channelId });
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void send();
    box.current?.focus();
  };

  const length = text.trim().length;
  const describedBy = [blockedBy ? blockedId : null, error ? errorId : null, length >= CountFrom ? countId : null].filter(Boolean).join(' ') || undefined;
  const activeOption = suggestions ? `${listId}-${suggestions.active}` : undefined;

  return (
    <form className="composer" onSubmit={onSubmit}>
      {blockedBy && (
        <p id={blockedId} className="timeout-notice" role="status">
          {blockedBy}
        </p>
      )}
      <ReplyBar channelId={channelId} />
      {suggestions && (
        <ul className="mention-suggestions" role="listbox" id={listId} aria-label="Members to mention">
          {suggestions.items.map((m, i) => (
            <li
              key={m.userId}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === suggestions.active}
              data-user-id={m.userId}
              // Keep the focus in the box: choosing happens on the click.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(m)}
            >
              @{m.name}
            </li>
          ))}
        </ul>
      )}
      <div className="composer-box">
        <textarea
          ref={box}
          id="composer"
          aria-label="Message"
          placeholder={`Message #${channelName}`}
          rows={1}
          value={text}
          aria-autocomplete="list"
          aria-controls={suggestions ? listId : undefined}
          aria-activedescendant={activeOption}
          onChange={(e) => {
            setText(e.target.value);
            suggest(e.target.value, e.target.selectionStart ?? e.target.value.length);
            if (e.target.value.trim()) client.typing(channelId);
          }}
          onClick={(e) => suggest(e.currentTarget.value, e.currentTarget.selectionStart ?? 0)}
          onBlur={() => setSuggestions(null)}
          onKeyDown={onKeyDown}
          disabled={blockedBy !== undefined}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          // On a phone, focusing would open the on-screen keyboard over the messages.
          autoFocus={!window.matchMedia?.('(max-width: 760px)').matches}
        />
        <button type="submit" className="icon-button send" aria-label="Send" disabled={length === 0 || blockedBy !== undefined}>
          <Icon name="send" />
        </button>
      </div>
      <div className="composer-notes">
        <TypingLine channelId={channelId} />
        {error && (
          <p id={errorId} className="field-error" role="alert">
            {error}
          </p>
        )}
        {!error && !connected && <p className="muted small">Not connected; messages can be sent once the connection is back.</p>}
        {length >= CountFrom && (
          <p id={countId} className={length > Limits.messageMax ? 'count over' : 'count'}>
            {Limits.messageMax - length} characters left
          </p>
        )}
      </div>
    </form>
  );
}

/** The message being replied to, above the box, with a button to stop replying. */
function ReplyBar({ channelId }: { channelId: string }) {
  const { store } = useChat();
  const replyingTo = useChatState((s: State) => s.views[channelId]?.replyingTo ?? null);
  const original = useChatState((s: State) => (replyingTo === null ? undefined : s.views[channelId]?.messages.find((m) => m.id === replyingTo)));
  if (replyingTo === null) return null;
  return (
    <div className="reply-bar" role="group" aria-label="Replying">
      <span className="reply-bar-text">
        {original ? (
          <>
            Replying to <strong>{original.authorName}</strong>: <span className="reply-bar-quote">{quoteOf(original)}</span>
          </>
        ) : (
          'Replying to an earlier message'
        )}
      </span>
      <button type="button" className="icon-button" aria-label="Cancel reply" title="Cancel reply (Escape)" onClick={() => store.dispatch({ type: 'replyCancelled', channelId })}>
        <Icon name="close" size={16} />
      </button>
    </div>
  );
}

/** "Alice is typing…" and the like; empty (but present, for screen readers) when nobody is. */
function TypingLine({ channelId }: { channelId: string }) {
  const line = useChatState((s: State) => typingLine(s.views[channelId]?.typing ?? []));
  return (
    <p className="typing-line muted small" role="status" aria-label="Typing" aria-live="polite">
      {line ?? ''}
    </p>
  );
}
