// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { ServerApi } from '../../client/serverApi';
import type { ClusterDto } from '../../protocol/cluster';
import { createStore } from '../../state/createStore';
import { initialState } from '../../state/store';
import { ChatContext, type Chat } from '../context';
import { ClusterRefreshMs, ClusterTab } from './ClusterTab';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  vi.useFakeTimers();
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.useRealTimers();
});

const gateway = 'akka.tcp://openchat@127.0.0.1:4001';
const media1 = 'akka.tcp://openchat@127.0.0.1:4002';
const media2 = 'akka.tcp://openchat@127.0.0.1:4003';

const view = (media2Reachable: boolean): ClusterDto => ({
  self: gateway,
  leader: gateway,
  members: [
    { address: gateway, roles: ['channels', 'gateway'], status: 'up', reachable: true, upSince: null },
    { address: media1, roles: ['media'], status: 'up', reachable: true, upSince: null },
    { address: media2, roles: ['media'], status: 'up', reachable: media2Reachable, upSince: null },
  ],
  shards: [{ node: gateway, shards: 3, entities: 4 }],
  shardsComplete: true,
  mediaNodes: [
    { node: media1, rooms: 1, members: 2, maxMembers: 200, mixCpuPercent: 1.25, tickP99Ms: 0.4, lateTicks: 0, draining: false, reportedAt: '', inboundLossPercent: 0 },
  ],
  voiceRooms: [
    { channelId: 'lounge', node: media1, members: [{ userId: 'u1', displayName: 'Ann' }, { userId: 'u2', displayName: 'Bob' }] },
    { channelId: 'quiet', node: null, members: [] },
  ],
  voiceComplete: true,
});

function render(api: ServerApi) {
  const store = createStore(initialState());
  store.dispatch({ type: 'channels', channels: [{ id: 'lounge', name: 'Lounge', kind: 'voice', position: 0, topic: '' }] });
  const chat = { store, api } as unknown as Chat;
  act(() => root.render(<ChatContext.Provider value={chat}><ClusterTab api={api} /></ChatContext.Provider>));
}

const row = (address: string) => container.querySelector(`tr[data-node="${address}"]`)!;
const cells = (address: string) => [...row(address).querySelectorAll('th, td')].map((c) => c.textContent);

test('lists every node with roles, status, reachability and load, and the voice rooms with their mixer node, asking again every 2 s', async () => {
  const cluster = vi.fn().mockResolvedValueOnce(view(true)).mockResolvedValueOnce(view(false)).mockRejectedValue(new Error('offline'));
  render({ cluster } as unknown as ServerApi);
  await act(async () => {});

  expect(cells(gateway)).toEqual(['127.0.0.1:4001 (this gateway) (leader)', 'channels, gateway', 'up', 'Reachable', '3 shards, 4 channels running']);
  expect(cells(media1)).toEqual(['127.0.0.1:4002', 'media', 'up', 'Reachable', '1 room, 2/200 members, mixing 1.3% CPU, p99 tick 0.4 ms']);
  expect(cells(media2)).toEqual(['127.0.0.1:4003', 'media', 'up', 'Reachable', 'no load report']);
  const rooms = [...container.querySelectorAll('table[aria-label="Voice rooms"] tbody tr')].map((r) => [...r.children].map((c) => c.textContent));
  expect(rooms).toEqual([['Lounge', '127.0.0.1:4002', '2']]);

  // One request at a time, the next 2 s after the last answer.
  expect(cluster).toHaveBeenCalledTimes(1);
  await act(async () => vi.advanceTimersByTime(ClusterRefreshMs));
  expect(cluster).toHaveBeenCalledTimes(2);
  expect(cells(media2)[3]).toBe('Unreachable');
  expect(row(media2).getAttribute('data-reachable')).toBe('false');

  // A failed refresh keeps the last answer and says so.
  await act(async () => vi.advanceTimersByTime(ClusterRefreshMs));
  expect(cells(media2)[3]).toBe('Unreachable');
  expect(container.querySelector('[role="status"]')!.textContent).toContain('Could not refresh: offline');

  // Closed, it stops asking.
  act(() => root.unmount());
  root = createRoot(container);
  await act(async () => vi.advanceTimersByTime(ClusterRefreshMs * 3));
  expect(cluster).toHaveBeenCalledTimes(3);
});
