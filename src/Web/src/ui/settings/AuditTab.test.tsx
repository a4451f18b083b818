// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { ServerApi } from '../../client/serverApi';
import type { AuditEntryDto, AuditQuery } from '../../protocol/audit';
import { AuditTab } from './AuditTab';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const entry = (id: number, action: string, target: string, reason: string | null = null, detail: string | null = null): AuditEntryDto => ({
  id,
  at: '2026-12-07T06:00:00Z',
  actor: { id: 'u-ann', name: 'ann' },
  action,
  target: { kind: 'member', id: 'u-' + target, name: target },
  reason,
  detail,
});

/** Sixty entries, newest first: pages of 50 like the server's. */
const all = Array.from({ length: 60 }, (_, i) => entry(60 - i, i % 2 ? 'member.kick' : 'voice.moderate', i % 3 ? 'bob' : 'cid', i === 0 ? 'spam' : null, i === 0 ? 'muted, deafened' : null));

function fakeApi() {
  const auditLog = vi.fn(async (q: AuditQuery) => {
    const matching = all.filter(
      (e) => (!q.action || e.action.startsWith(q.action + '.')) && (!q.member || e.actor.name.includes(q.member) || e.target.name!.includes(q.member)),
    );
    const older = matching.filter((e) => q.before === undefined || e.id < q.before);
    return { entries: older.slice(0, q.limit ?? 50), hasMore: older.length > (q.limit ?? 50) };
  });
  return { api: { auditLog } as unknown as ServerApi, auditLog };
}

const settle = () => act(async () => {});
const rows = () => [...container.querySelectorAll('.audit-entry')];
const button = (name: string) => [...container.querySelectorAll('button')].find((b) => b.textContent === name)!;

test('lists the newest entries first in words, with reason and detail, and loads older ones on request', async () => {
  const { api, auditLog } = fakeApi();
  act(() => root.render(<AuditTab api={api} />));
  await settle();
  expect(rows()).toHaveLength(50);
  expect(rows()[0].textContent).toContain('ann moderated the voice of cid');
  expect(rows()[0].textContent).toContain('muted, deafened');
  expect(rows()[0].textContent).toContain('Reason: spam');
  expect(rows()[1].textContent).toContain('ann kicked bob');
  expect(rows()[0].querySelector('time')!.getAttribute('dateTime')).toBe('2026-12-07T06:00:00Z');

  act(() => button('Load older').click());
  await settle();
  expect(auditLog).toHaveBeenLastCalledWith({ action: undefined, member: undefined, before: 11, limit: 50 });
  expect(rows().map((r) => Number(r.getAttribute('data-entry-id')))).toEqual(all.map((e) => e.id));
  expect([...container.querySelectorAll('button')].some((b) => b.textContent === 'Load older')).toBe(false);
});

test('filters by kind of action at once and by member on submit; says when nothing matches', async () => {
  const { api, auditLog } = fakeApi();
  act(() => root.render(<AuditTab api={api} />));
  await settle();
  const select = container.querySelector('select')!;
  act(() => {
    select.value = 'member';
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
  expect(auditLog).toHaveBeenLastCalledWith({ action: 'member', member: undefined, before: undefined, limit: 50 });
  expect(rows().every((r) => r.getAttribute('data-action') === 'member.kick')).toBe(true);

  const input = container.querySelector<HTMLInputElement>('input[type="search"]')!;
  act(() => {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    setter.call(input, ' nobody ');
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  act(() => container.querySelector('form')!.requestSubmit());
  await settle();
  expect(auditLog).toHaveBeenLastCalledWith({ action: 'member', member: 'nobody', before: undefined, limit: 50 });
  expect(rows()).toHaveLength(0);
  expect(container.querySelector('[role="status"]')!.textContent).toBe('No entry matches these filters.');
});

test('a refused read is shown as a sentence', async () => {
  const api = { auditLog: async () => Promise.reject(new Error('You need the viewAuditLog permission.')) } as unknown as ServerApi;
  act(() => root.render(<AuditTab api={api} />));
  await settle();
  expect(container.querySelector('[role="alert"]')!.textContent).toBe('You need the viewAuditLog permission.');
});
