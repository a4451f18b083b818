import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { Icon } from './Icon';

/** The open dialogs, innermost last: Escape closes only the innermost (a confirmation opened from the settings). */
const openDialogs: object[] = [];

const focusableSelector = 'input:not(:disabled), button:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex="0"]';

/**
 * A modal dialog: titled, focus on its first control at start, Tab kept inside, Escape, the close button or a click
 * on the backdrop closes it. `className` is added to the dialog box (a wider one, say).
 */
export function Dialog({ title, onClose, className, children }: { title: string; onClose: () => void; className?: string; children: ReactNode }) {
  const titleId = useId();
  const dialog = useRef<HTMLDivElement>(null);

  // Set as the dialog closes, so that focus may go back to what opened it.
  const closing = useRef(false);

  useEffect(() => {
    const focusFirst = () => dialog.current?.querySelector<HTMLElement>('input, button')?.focus();
    focusFirst();
    // Modal: focus that lands outside (the message box focusing itself as the chat starts under a dialog that
    // opened with it) comes back in, so Escape and Tab keep working.
    const onFocusIn = (e: FocusEvent) => {
      if (!closing.current && dialog.current && e.target instanceof Node && !dialog.current.contains(e.target)) focusFirst();
    };
    document.addEventListener('focusin', onFocusIn);
    return () => document.removeEventListener('focusin', onFocusIn);
  }, []);

  // Escape closes it wherever the focus is (a control that was disabled while a call ran leaves it on the body),
  // and goes no further (the drawers would close too).
  const close = useRef(onClose);
  close.current = () => {
    closing.current = true;
    onClose();
  };
  useEffect(() => {
    const self = {};
    openDialogs.push(self);
    const onEscape = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      if (openDialogs[openDialogs.length - 1] === self) close.current();
    };
    window.addEventListener('keydown', onEscape, { capture: true });
    return () => {
      window.removeEventListener('keydown', onEscape, { capture: true });
      openDialogs.splice(openDialogs.indexOf(self), 1);
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Tab' || !dialog.current) return;
    const focusable = [...dialog.current.querySelectorAll<HTMLElement>(focusableSelector)];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last?.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first?.focus();
    }
  };

  return (
    <div className="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && close.current()}>
      <div className={className ? `dialog ${className}` : 'dialog'} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={dialog} onKeyDown={onKeyDown}>
        <div className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" title="Close" onClick={() => close.current()}>
            <Icon name="close" />
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}
