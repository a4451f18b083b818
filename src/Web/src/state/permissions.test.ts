import { describe, expect, test } from 'vitest';
import type { ChannelDto, OverrideDto, PermissionsDto, RoleDto } from '../protocol/types';
import {
  canGrant,
  canManageRole,
  canOpenChannelSettings,
  canOpenServerSettings,
  channelAllows,
  highestPosition,
  isPrivate,
  overrideState,
  planPrivacy,
  rolesAllowedToView,
  serverAllows,
  sortRoles,
  suppressedInVoice,
  withOverrideState,
} from './permissions';
import { initialState, reducer, type State } from './store';

const channel = (permissions?: ChannelDto['permissions'], kind: ChannelDto['kind'] = 'text'): ChannelDto => ({
  id: 'c', name: 'c', kind, position: 0, topic: '', permissions,
});
const role = (id: string, position: number, permissions: RoleDto['permissions'] = []): RoleDto => ({
  id, name: id, position, permissions, color: null, everyone: id === 'everyone',
});
const everyone = role('everyone', 0, ['viewChannel', 'readHistory', 'sendMessages', 'connect', 'speak']);
const crew = role('crew', 1);
const mods = role('mods', 2, ['manageRoles']);
const admins = role('admins', 3, ['administrator']);
const roles = [crew, everyone, admins, mods];
const mod: PermissionsDto = { server: ['manageRoles', 'viewChannel'], owner: false, roles: ['mods'] };
const owner: PermissionsDto = { server: [], owner: true, roles: [] };
const override = (id: string, allow: OverrideDto['allow'], deny: OverrideDto['deny'], target: OverrideDto['target'] = 'role'): OverrideDto => ({
  target, id, name: id, allow, deny,
});

describe('what the user may do', () => {
  test('in a channel: its effective permissions; a server before roles allows what members may', () => {
    expect(channelAllows(channel(['viewChannel', 'readHistory']), 'sendMessages')).toBe(false);
    expect(channelAllows(channel(['viewChannel', 'sendMessages']), 'sendMessages')).toBe(true);
    expect(channelAllows(channel(undefined), 'sendMessages')).toBe(true);
    expect(channelAllows(channel(undefined), 'manageRoles')).toBe(false);
    expect(channelAllows(undefined, 'viewChannel')).toBe(false);
  });

  test('server-wide: listed, administrator, or owner', () => {
    expect(serverAllows(mod, 'manageRoles')).toBe(true);
    expect(serverAllows(mod, 'manageChannels')).toBe(false);
    expect(serverAllows({ server: ['administrator'], owner: false, roles: [] }, 'banMembers')).toBe(true);
    expect(serverAllows(owner, 'resetPasswords')).toBe(true);
    expect(serverAllows(null, 'viewChannel')).toBe(false);
  });

  test('server settings need a permission one of its pages uses; a channel gear needs manageRoles or manageChannels there', () => {
    expect(canOpenServerSettings(mod)).toBe(true);
    expect(canOpenServerSettings({ server: ['manageChannels'], owner: false, roles: [] })).toBe(true);
    expect(canOpenServerSettings({ server: ['viewChannel', 'kickMembers'], owner: false, roles: [] })).toBe(true);
    expect(canOpenServerSettings({ server: ['viewChannel', 'sendMessages', 'muteMembers'], owner: false, roles: [] })).toBe(false);
    expect(canOpenServerSettings(null)).toBe(false);
    expect(canOpenChannelSettings(channel(['viewChannel', 'manageChannels']))).toBe(true);
    expect(canOpenChannelSettings(channel(['viewChannel', 'sendMessages']))).toBe(false);
    expect(canOpenChannelSettings(channel(undefined))).toBe(false);
  });

  test('in voice without speak, the user is suppressed (by the channel or by their member entry)', () => {
    const lounge = { ...channel(['viewChannel', 'connect'], 'voice'), id: 'lounge' };
    let s: State = reducer(initialState(), { type: 'me', user: { id: 'me', displayName: 'Me' } });
    s = reducer(s, { type: 'channels', channels: [lounge] });
    expect(suppressedInVoice(s)).toBe(false);
    s = reducer(s, { type: 'voiceStatus', status: { channelId: 'lounge', phase: 'connected', muted: false, deafened: false, error: null } });
    expect(suppressedInVoice(s)).toBe(true);
    s = reducer(s, { type: 'channels', channels: [{ ...lounge, permissions: ['viewChannel', 'connect', 'speak'] }] });
    expect(suppressedInVoice(s)).toBe(false);
    s = reducer(s, { type: 'voiceMembers', channelId: 'lounge', members: [{ userId: 'me', displayName: 'Me', muted: false, deafened: false, speaking: false, suppressed: true }] });
    expect(suppressedInVoice(s)).toBe(true);
  });
});

describe('roles', () => {
  test('are sorted highest first with @everyone last', () => {
    expect(sortRoles(roles).map((r) => r.id)).toEqual(['admins', 'mods', 'crew', 'everyone']);
  });

  test('only roles strictly below the user’s highest can be managed; the owner manages all', () => {
    expect(highestPosition(mod, roles)).toBe(2);
    expect(canManageRole(crew, mod, roles)).toBe(true);
    expect(canManageRole(everyone, mod, roles)).toBe(true);
    expect(canManageRole(mods, mod, roles)).toBe(false);
    expect(canManageRole(admins, mod, roles)).toBe(false);
    expect(canManageRole(admins, owner, roles)).toBe(true);
    // Without manageRoles nothing can be managed, whatever the position.
    expect(canManageRole(crew, { server: [], owner: false, roles: ['admins'] }, roles)).toBe(false);
  });

  test('only permissions the user holds can be granted', () => {
    expect(canGrant(mod, 'manageRoles')).toBe(true);
    expect(canGrant(mod, 'banMembers')).toBe(false);
    expect(canGrant(owner, 'administrator')).toBe(true);
  });
});

describe('overrides', () => {
  test('each permission is allowed, denied or inherited, and setting one keeps the rest in order', () => {
    const o = override('crew', ['speak', 'viewChannel'], ['sendMessages']);
    expect(overrideState(o, 'speak')).toBe('allow');
    expect(overrideState(o, 'sendMessages')).toBe('deny');
    expect(overrideState(o, 'connect')).toBe('inherit');
    expect(overrideState(undefined, 'connect')).toBe('inherit');
    expect(withOverrideState(o, 'speak', 'deny')).toEqual({ allow: ['viewChannel'], deny: ['sendMessages', 'speak'] });
    expect(withOverrideState(o, 'sendMessages', 'inherit')).toEqual({ allow: ['viewChannel', 'speak'], deny: [] });
    expect(withOverrideState(undefined, 'connect', 'allow')).toEqual({ allow: ['connect'], deny: [] });
  });

  test('a channel is private when @everyone is denied viewing it', () => {
    expect(isPrivate([override('everyone', [], ['viewChannel'])])).toBe(true);
    expect(isPrivate([override('everyone', [], ['sendMessages'])])).toBe(false);
    expect(isPrivate([override('everyone', [], ['viewChannel'], 'member')])).toBe(false);
    expect(rolesAllowedToView([override('everyone', ['viewChannel'], []), override('crew', ['viewChannel'], []), override('mods', [], [])])).toEqual(['crew']);
  });

  test('making a voice channel private denies @everyone and lets the picked roles see and connect', () => {
    const changes = planPrivacy('voice', [override('everyone', ['speak'], [])], true, ['crew']);
    expect(changes).toEqual([
      { target: 'role', id: 'everyone', allow: ['speak'], deny: ['viewChannel'] },
      { target: 'role', id: 'crew', allow: ['viewChannel', 'connect'], deny: [] },
    ]);
  });

  test('a private text channel gives the picked roles reading and writing; a role no longer picked loses it', () => {
    const overrides = [override('everyone', [], ['viewChannel']), override('crew', ['viewChannel', 'readHistory', 'sendMessages', 'manageMessages'], [])];
    expect(planPrivacy('text', overrides, true, ['mods'])).toEqual([
      { target: 'role', id: 'mods', allow: ['viewChannel', 'readHistory', 'sendMessages'], deny: [] },
      { target: 'role', id: 'crew', allow: ['manageMessages'], deny: [] },
    ]);
    // Nothing to change when it is already so.
    expect(planPrivacy('text', overrides.slice(0, 1), true, [])).toEqual([]);
  });

  test('making it public again takes back the deny and the roles’ access; emptied overrides are to be deleted', () => {
    const overrides = [override('everyone', [], ['viewChannel']), override('crew', ['viewChannel', 'connect'], ['speak'])];
    expect(planPrivacy('voice', overrides, false, ['crew'])).toEqual([
      { target: 'role', id: 'everyone', allow: [], deny: [] },
      { target: 'role', id: 'crew', allow: [], deny: ['speak'] },
    ]);
  });

  test('a role picked while it was denied access has the deny lifted', () => {
    const changes = planPrivacy('voice', [override('crew', [], ['connect'])], true, ['crew', 'everyone']);
    expect(changes[1]).toEqual({ target: 'role', id: 'crew', allow: ['viewChannel', 'connect'], deny: [] });
    expect(changes).toHaveLength(2);
  });
});
