import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { MessageDto } from '../protocol/types';
import { channelAllows, timeOutNotice } from '../state/permissions';
import { buildTimeline } from '../state/timeline';
import type { ChannelView, State } from '../state/store';
import { Composer } from './Composer';
import { useChat, useChatState } from './context';
import { DeleteMessageDialog } from './DeleteMessageDialog';
import { longDate } from './format';
import { Message } from './Message';

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
          <MessageList
            key={channel.id}
            channelId={channel.id}
            channelName={channel.name}
            canRead={channelAllows(channel, 'readHistory')}
            canReply={channelAllows(channel, 'sendMessages')}
            canManage={channelAllows(channel, 'manageMessages')}
          />
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

const selectMe = (s: State) => s.me?.id ?? null;

/** How long a message the user jumped to stays pointed out. */
const JumpHighlightMs = 2_000;

function MessageList(props: { channelId: string; channelName: string; canRead: boolean; canReply: boolean; canManage: boolean }) {
  const { channelId, channelName, canRead, canReply, canManage } = props;
  const { client, store } = useChat();
  const view = useChatState((s) => s.views[channelId]);
  const meId = useChatState(selectMe);
  const [deleting, setDeleting] = useState<{ message: MessageDto; opener: HTMLElement | null } | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const scrolledOnce = useRef(false);
  // What the scroller looked like after the last render, to keep the reader's place when older messages arrive.
  const last = useRef({ firstId: 0, scrollHeight: 0, scrollTop: 0 });

  const items = useMemo(() => buildTimeline(view?.messages ?? [], view?.dividerBefore ?? null), [view?.messages, view?.dividerBefore]);
  const byId = useMemo(() => new Map((view?.messages ?? []).map((m) => [m.id, m])), [view?.messages]);
  const deleted = useMemo(() => new Set(view?.deleted ?? []), [view?.deleted]);

  const onReply = useCallback(
    (message: MessageDto) => {
      store.dispatch({ type: 'replyStarted', channelId, messageId: message.id });
      document.getElementById('composer')?.focus();
    },
    [store, channelId],
  );
  const onDelete = useCallback((message: MessageDto, opener: HTMLElement | null) => setDeleting({ message, opener }), []);
  const onJump = useCallback((messageId: number) => {
    const target = scroller.current?.querySelector<HTMLElement>(`[data-message-id="${messageId}"]`);
    if (!target) return;
    target.scrollIntoView?.({ block: 'center' });
    target.focus({ preventScroll: true });
    target.classList.add('jumped');
    setTimeout(() => target.classList.remove('jumped'), JumpHighlightMs);
  }, []);

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
    <>
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
            case 'message': {
              const replyTo = item.message.replyTo ?? null;
              return (
                <Message
                  key={item.key}
                  message={item.message}
                  head={item.head}
                  meId={meId}
                  original={replyTo === null ? undefined : byId.get(replyTo)}
                  originalDeleted={replyTo !== null && deleted.has(replyTo)}
                  canReply={canReply}
                  canManage={canManage}
                  onReply={onReply}
                  onDelete={onDelete}
                  onJump={onJump}
                />
              );
            }
          }
        })}
      </ol>
    </div>
      {deleting && (
        <DeleteMessageDialog
          message={deleting.message}
          mine={deleting.message.authorId === meId}
          onClose={() => {
            const opener = deleting.opener;
            setDeleting(null);
            if (opener?.isConnected) opener.focus();
            else document.getElementById('composer')?.focus();
          }}
        />
      )}
    </>
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
