// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest';
import { isTypingTarget, keyLabel, PushToTalk, type KeyLike } from './pushToTalk';

function key(code: string, target: EventTarget | null = document.body, repeat = false): KeyLike & { prevented: boolean } {
  const e = { code, target, repeat, prevented: false, preventDefault: () => (e.prevented = true) };
  return e;
}

describe('PushToTalk', () => {
  test('talks while the key is held, once per press', () => {
    const changes: boolean[] = [];
    const ptt = new PushToTalk('Space', (held) => changes.push(held));
    const down = key('Space');
    ptt.keydown(down);
    ptt.keydown(key('Space', document.body, true));
    expect(ptt.held).toBe(true);
    expect(down.prevented).toBe(true);
    ptt.keyup(key('Space'));
    expect(changes).toEqual([true, false]);
  });

  test('other keys do nothing', () => {
    const changes: boolean[] = [];
    const ptt = new PushToTalk('KeyV', (held) => changes.push(held));
    ptt.keydown(key('KeyB'));
    ptt.keyup(key('KeyB'));
    expect(changes).toEqual([]);
  });

  test('typing in a text field or pressing a button is not talking', () => {
    const changes: boolean[] = [];
    const ptt = new PushToTalk('Space', (held) => changes.push(held));
    const textarea = document.createElement('textarea');
    const button = document.createElement('button');
    const icon = document.createElement('span');
    button.appendChild(icon);
    document.body.append(textarea, button);
    const inField = key('Space', textarea);
    ptt.keydown(inField);
    ptt.keydown(key('Space', icon));
    expect(changes).toEqual([]);
    expect(inField.prevented).toBe(false);
  });

  test('losing focus releases the key', () => {
    const changes: boolean[] = [];
    const ptt = new PushToTalk('Space', (held) => changes.push(held));
    ptt.keydown(key('Space'));
    ptt.release();
    ptt.release();
    expect(changes).toEqual([true, false]);
    expect(ptt.held).toBe(false);
  });
});

test('isTypingTarget knows fields, controls and editable content', () => {
  const div = document.createElement('div');
  const editable = document.createElement('div');
  editable.setAttribute('contenteditable', 'true');
  const input = document.createElement('input');
  document.body.append(div, editable, input);
  expect(isTypingTarget(div)).toBe(false);
  expect(isTypingTarget(document.body)).toBe(false);
  expect(isTypingTarget(input)).toBe(true);
  expect(isTypingTarget(editable)).toBe(true);
  expect(isTypingTarget(null)).toBe(false);
});

test('keyLabel shows keys as people name them', () => {
  expect(keyLabel('KeyV')).toBe('V');
  expect(keyLabel('Digit3')).toBe('3');
  expect(keyLabel('Space')).toBe('Space');
  expect(keyLabel('ControlRight')).toBe('Control Right');
});
