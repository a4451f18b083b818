import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { describeError, parseHubError, retryAfterSeconds } from '../protocol/errors';
import { Limits } from '../protocol/types';
import { useChat, useChatState } from './context';
import { Icon } from './Icon';

/** Show how much room is left once a message gets this long. */
const CountFrom = Limits.messageMax - 200;

/**
 * The message box: Enter sends, Shift+Enter starts a new line; refusals are explained under it. With `blockedBy` (a
 * time-out's notice) it is disabled and shows why.
 */
export function Composer({ channelId, channelName, blockedBy }: { channelId: string; channelName: string; blockedBy?: string }) {
  const { client } = useChat();
  const connected = useChatState((s) => s.connection === 'connected');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const errorId = useId();
  const countId = useId();
  const blockedId = useId();
  const clearTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => {
    if (clearTimer.current) clearTimeout(clearTimer.current);
  }, []);

  // Grow with the text, up to the CSS max-height.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const showError = (message: string | null, clearAfterSeconds?: number | null) => {
    if (clearTimer.current) clearTimeout(clearTimer.current);
    clearTimer.current = null;
    setError(message);
    if (message && clearAfterSeconds) clearTimer.current = setTimeout(() => setError((e) => (e === message ? null : e)), clearAfterSeconds * 1000);
  };

  const send = async () => {
    const body = text.trim();
    if (!body || blockedBy) return;
    if (body.length > Limits.messageMax) {
      showError(`Messages can have at most ${Limits.messageMax} characters; this one has ${body.length}.`);
      return;
    }
    setText('');
    showError(null);
    try {
      await client.post(channelId, body);
    } catch (e) {
      const hubError = parseHubError(e);
      // Give the text back unless something new was typed meanwhile.
      setText((current) => (current === '' ? body : current));
      showError(describeError(hubError), retryAfterSeconds(hubError));
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
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

  return (
    <form className="composer" onSubmit={onSubmit}>
      {blockedBy && (
        <p id={blockedId} className="timeout-notice" role="status">
          {blockedBy}
        </p>
      )}
      <div className="composer-box">
        <textarea
          ref={box}
          id="composer"
          aria-label="Message"
          placeholder={`Message #${channelName}`}
          rows={1}
          value={text}
          onChange={(e) => setText(e.target.value)}
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
