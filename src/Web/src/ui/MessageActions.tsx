import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { Icon, type IconName } from './Icon';

export type MessageAction = 'reply' | 'edit' | 'delete';

const labels: Record<MessageAction, string> = { reply: 'Reply', edit: 'Edit', delete: 'Delete' };
const icons: Record<MessageAction, IconName> = { reply: 'reply', edit: 'edit', delete: 'trash' };

/**
 * A message's actions: a toolbar shown while the message is hovered or holds the focus (one Tab stop; the arrow keys
 * move between its buttons), and a "More actions" menu with the same actions (arrow keys, Home, End, Escape).
 */
export function MessageActions({ authorName, actions, onAction }: { authorName: string; actions: MessageAction[]; onAction: (action: MessageAction, opener: HTMLElement | null) => void }) {
  const [active, setActive] = useState(0);
  const [menuOpen, setMenuOpen] = useState(false);
  const toolbar = useRef<HTMLDivElement>(null);
  const moreButton = useRef<HTMLButtonElement>(null);
  const count = actions.length + 1;

  const focusAt = (i: number) => {
    const next = (i + count) % count;
    setActive(next);
    toolbar.current?.querySelectorAll<HTMLButtonElement>(':scope > button')[next]?.focus();
  };

  const onToolbarKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target instanceof HTMLElement && e.target.closest('[role="menu"]')) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      if (e.key === 'Home') focusAt(0);
      else if (e.key === 'End') focusAt(count - 1);
      else focusAt(active + (e.key === 'ArrowRight' ? 1 : -1));
    }
  };

  return (
    <div className="message-actions" role="toolbar" aria-label={`Message from ${authorName}`} ref={toolbar} onKeyDown={onToolbarKey}>
      {actions.map((a, i) => (
        <button
          key={a}
          type="button"
          className={a === 'delete' ? 'icon-button danger' : 'icon-button'}
          aria-label={labels[a]}
          title={labels[a]}
          tabIndex={i === active ? 0 : -1}
          onFocus={() => setActive(i)}
          onClick={(e) => onAction(a, e.currentTarget)}
        >
          <Icon name={icons[a]} size={16} />
        </button>
      ))}
      <button
        ref={moreButton}
        type="button"
        className="icon-button"
        aria-label="More actions"
        title="More actions"
        aria-haspopup="menu"
        aria-expanded={menuOpen}
        tabIndex={active === actions.length ? 0 : -1}
        onFocus={() => setActive(actions.length)}
        onClick={() => setMenuOpen((open) => !open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !menuOpen) {
            e.preventDefault();
            setMenuOpen(true);
          }
        }}
      >
        <Icon name="more" size={16} />
      </button>
      {menuOpen && (
        <ActionMenu
          authorName={authorName}
          actions={actions}
          onClose={(refocus) => {
            setMenuOpen(false);
            if (refocus) moreButton.current?.focus();
          }}
          onAction={(a) => {
            setMenuOpen(false);
            onAction(a, moreButton.current);
          }}
        />
      )}
    </div>
  );
}

function ActionMenu(props: { authorName: string; actions: MessageAction[]; onClose: (refocus: boolean) => void; onAction: (a: MessageAction) => void }) {
  const { authorName, actions, onClose, onAction } = props;
  const menu = useRef<HTMLUListElement>(null);
  const id = useId();
  const items = () => [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];

  useEffect(() => {
    items()[0]?.focus();
    const onPointer = (e: PointerEvent) => {
      const target = e.target as Node | null;
      if (menu.current && target && !menu.current.parentElement?.contains(target)) onClose(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
    // The menu opens once per mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => {
      e.preventDefault();
      all[(to + all.length) % all.length]?.focus();
    };
    if (e.key === 'ArrowDown') move(i + 1);
    else if (e.key === 'ArrowUp') move(i - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(all.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose(true);
    } else if (e.key === 'Tab') onClose(false);
  };

  return (
    <ul className="action-menu" role="menu" id={id} aria-label={`Actions for the message from ${authorName}`} ref={menu} onKeyDown={onKeyDown}>
      {actions.map((a) => (
        <li key={a} role="none">
          <button type="button" role="menuitem" tabIndex={-1} className={a === 'delete' ? 'danger' : undefined} onClick={() => onAction(a)}>
            <Icon name={icons[a]} size={16} />
            {a === 'delete' ? 'Delete message' : a === 'edit' ? 'Edit message' : 'Reply'}
          </button>
        </li>
      ))}
    </ul>
  );
}
