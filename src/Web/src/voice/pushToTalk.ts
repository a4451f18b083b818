/** The parts of a KeyboardEvent push-to-talk looks at. */
export interface KeyLike {
  code: string;
  repeat?: boolean;
  target: EventTarget | null;
  preventDefault(): void;
}

/** Whether a key press there is the user typing or operating a control, not talking. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const element = target as Element;
  if ((element as HTMLElement).isContentEditable) return true;
  return element.closest('input, textarea, select, button, [contenteditable=""], [contenteditable="true"], [role="slider"]') !== null;
}

/**
 * Push-to-talk: `held` is true while the chosen key (a KeyboardEvent.code such as "Space") is held down in this
 * page. Presses in text fields and on controls are left to them; losing focus releases the key.
 */
export class PushToTalk {
  private down = false;

  constructor(
    public key: string,
    private readonly onChange: (held: boolean) => void,
  ) {}

  get held(): boolean {
    return this.down;
  }

  keydown(e: KeyLike): void {
    if (e.code !== this.key || isTypingTarget(e.target)) return;
    e.preventDefault();
    if (e.repeat || this.down) return;
    this.set(true);
  }

  keyup(e: KeyLike): void {
    if (e.code !== this.key) return;
    if (this.down) e.preventDefault();
    this.set(false);
  }

  /** The page lost focus or was hidden: keyup will not come. */
  release(): void {
    this.set(false);
  }

  private set(held: boolean): void {
    if (this.down === held) return;
    this.down = held;
    this.onChange(held);
  }
}

/** "KeyV" → "V", "Digit1" → "1", "Space" → "Space". */
export function keyLabel(code: string): string {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit\d$/.test(code)) return code.slice(5);
  return code.replace(/(Left|Right)$/, ' $1').trim();
}
