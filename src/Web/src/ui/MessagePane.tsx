import { memo, useCallback, useLayoutEffect, useMemo, useRef } from 'react';
import type { MessageDto } from '../protocol/types';
import { channelAllows, timeOutNotice } from '../state/permissions';
import { buildTimeline } from '../state/timeline';
import type { ChannelView } from '../state/store';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { useChat, useChatState } from './context';
import { fullTimestamp, longDate, shortTime } from './format';
import { MessageText } from './MessageText';

/** Start loading older messages when the reader is this close to the top. */
const LoadOlderThresholdPx = 400;
/** Counts as "at the bottom" (new messages keep it there) within this distance. */
const StickyBottomPx = 48;

const isAtBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight < StickyBottomPx;

/**
 * The open text channel: its messages and the composer (or, without sendMessages, a line saying so; while the user is
 * timed out, the composer disabled under a notice saying until when and why).
 */
export function MessagePane() {
  const channel = useChatState((s) => s.channels.find((c) => c.id === s.activeChannelId && c.kind === 'text') ?? null);
  const timedOut = useChatState((s) => timeOutNotice(s.permissions));
  return (
    <main className="chat" aria-label={channel ? `#${channel.name}` : 'Messages'}>
      {channel ? (
        <>
          <MessageList key={channel.id} channelId={channel.id} channelName={channel.name} canRead={channelAllows(channel, 'readHistory')} />
          {timedOut ? (
            <Composer key={`composer-${channel.id}`} channelId={channel.id} channelName={channel.name} blockedBy={timedOut} />
          ) : channelAllows(channel, 'sendMessages') ? (
            <Composer key={`composer-${channel.id}`} channelId={channel.id} channelName={channel.name} />
          ) : (
            <p className="composer-blocked" role="note">
              You cannot send messages here.
            </p>
          )}
        </>
      ) : (
        <div className="empty-pane">
          <p className="muted">Choose a text channel.</p>
        </div>
      )}
    </main>
  );
}

function MessageList({ channelId, channelName, canRead }: { channelId: string; channelName: string; canRead: boolean }) {
  const { client } = useChat();
  const view = useChatState((s) => s.views[channelId]);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const scrolledOnce = useRef(false);
  // What the scroller looked like after the last render, to keep the reader's place when older messages arrive.
  const last = useRef({ firstId: 0, scrollHeight: 0, scrollTop: 0 });

  const items = useMemo(() => buildTimeline(view?.messages ?? [], view?.dividerBefore ?? null), [view?.messages, view?.dividerBefore]);

  const maybeLoadOlder = useCallback(() => {
    const el = scroller.current;
    if (!el || !view || !view.hasMore || view.loadingOlder) return;
    if (el.scrollTop < LoadOlderThresholdPx || el.scrollHeight <= el.clientHeight) void client.loadOlder(channelId);
  }, [client, channelId, view]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !view) return;
    const firstId = view.messages[0]?.id ?? 0;
    if (!scrolledOnce.current && view.messages.length > 0) {
      // First showing: the divider if there is one, else the newest message.
      scrolledOnce.current = true;
      const divider = el.querySelector<HTMLElement>('[data-divider]');
      if (divider) el.scrollTop = Math.max(0, divider.offsetTop - el.clientHeight / 3);
      else el.scrollTop = el.scrollHeight;
    } else if (last.current.firstId !== 0 && firstId < last.current.firstId) {
      // Older messages were put above: keep what the reader was looking at in place.
      el.scrollTop = last.current.scrollTop + (el.scrollHeight - last.current.scrollHeight);
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    last.current = { firstId, scrollHeight: el.scrollHeight, scrollTop: el.scrollTop };
    atBottom.current = isAtBottom(el);
    maybeLoadOlder();
  }, [items, view, maybeLoadOlder]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = isAtBottom(el);
    last.current = { ...last.current, scrollTop: el.scrollTop, scrollHeight: el.scrollHeight };
    maybeLoadOlder();
  };

  return (
    <div className="message-scroller" ref={scroller} onScroll={onScroll} tabIndex={0} role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions" aria-busy={view?.loadingOlder || undefined}>
      <HistoryStart view={view} channelName={channelName} canRead={canRead} onLoad={() => void client.loadOlder(channelId)} />
      <ol className="messages">
        {items.map((item) => {
          switch (item.kind) {
            case 'day':
              return (
                <li key={item.key} className="day-line" role="separator" aria-label={longDate(item.date)}>
                  <span>{longDate(item.date)}</span>
                </li>
              );
            case 'divider':
              return (
                <li key={item.key} className="new-divider" role="separator" aria-label="New messages" data-divider="">
                  <span>New messages</span>
                </li>
              );
            case 'message':
              return <Message key={item.key} message={item.message} head={item.head} />;
          }
        })}
      </ol>
    </div>
  );
}

function HistoryStart(props: { view: ChannelView | undefined; channelName: string; canRead: boolean; onLoad: () => void }) {
  const { view, channelName, canRead, onLoad } = props;
  // Without readHistory the server sends no earlier messages; those posted while the channel is open still arrive.
  if (!canRead) return <p className="history-start muted" role="status">You cannot read earlier messages here; new ones appear as they are posted.</p>;
  if (!view) return <p className="history-start muted" role="status">Loading…</p>;
  if (view.hasMore) {
    return (
      <div className="history-start">
        <button type="button" className="link-button" onClick={onLoad} disabled={view.loadingOlder} aria-busy={view.loadingOlder}>
          {view.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
        </button>
      </div>
    );
  }
  return (
    <div className="history-start">
      <h2>Welcome to #{channelName}</h2>
      <p className="muted">{view.messages.length ? 'This is the start of the channel.' : 'No messages yet. Say hello!'}</p>
    </div>
  );
}

const Message = memo(function Message({ message, head }: { message: MessageDto; head: boolean }) {
  const at = new Date(message.sentAt);
  return (
    <li className={head ? 'message head' : 'message'} data-message-id={message.id} data-author-id={message.authorId}>
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
      <div className="message-text">
        <MessageText text={message.text} />
      </div>
    </li>
  );
});
