import {
  EveryoneRoleId,
  PermissionNames,
  type ChannelDto,
  type ChannelKind,
  type OverrideDto,
  type OverrideTarget,
  type Permission,
  type PermissionsDto,
  type RoleDto,
  type VoiceMemberDto,
} from '../protocol/types';
import type { State } from './store';

/** What each permission lets a member do, for the settings' checkboxes. */
export const PermissionLabels: Record<Permission, string> = {
  viewChannel: 'View channel',
  readHistory: 'Read message history',
  sendMessages: 'Send messages',
  connect: 'Connect to voice',
  speak: 'Speak in voice',
  manageChannels: 'Manage channels',
  manageRoles: 'Manage roles and permissions',
  manageMessages: 'Manage messages',
  muteMembers: 'Mute members',
  moveMembers: 'Move members',
  kickMembers: 'Kick members',
  banMembers: 'Ban members',
  resetPasswords: 'Reset passwords',
  administrator: 'Administrator (every permission, overrides ignored)',
  viewAuditLog: 'View the audit log',
  manageServer: 'Manage the server (name, join policy, invites)',
};

/** What a member may do in a channel on a server before roles, which sends no permissions. */
const memberDefaults: ReadonlySet<Permission> = new Set(['viewChannel', 'readHistory', 'sendMessages', 'connect', 'speak']);

/** Whether the user may do `permission` in `channel` (its effective permissions, as the server computed them). */
export function channelAllows(channel: ChannelDto | null | undefined, permission: Permission): boolean {
  if (!channel) return false;
  if (!channel.permissions) return memberDefaults.has(permission);
  return channel.permissions.includes(permission);
}

/** Whether the user holds `permission` server-wide (the owner and administrators hold every one). */
export function serverAllows(permissions: PermissionsDto | null, permission: Permission): boolean {
  if (!permissions) return false;
  return permissions.owner || permissions.server.includes('administrator') || permissions.server.includes(permission);
}

/**
 * What the user is told while a moderator has them timed out ("You are timed out until 14:32 — reason"), with the day
 * too when it ends on another day; null when they are not. The server says when it starts and ends; the client's clock
 * is not consulted.
 */
export function timeOutNotice(permissions: PermissionsDto | null, now: Date = new Date()): string | null {
  if (!permissions?.timedOutUntil) return null;
  const until = new Date(permissions.timedOutUntil);
  if (Number.isNaN(until.getTime())) return null;
  const time = until.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const sameDay = until.toDateString() === now.toDateString();
  const when = sameDay ? time : `${until.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' })} ${time}`;
  return `You are timed out until ${when}` + (permissions.timeOutReason ? ` — ${permissions.timeOutReason}` : '.');
}

/** Whether the user is in voice where they may not speak (no speak permission there: the server mixes them as muted). */
export function suppressedInVoice(s: State): boolean {
  const channelId = s.voice.phase === 'idle' ? null : s.voice.channelId;
  if (channelId === null) return false;
  return myVoiceMember(s)?.suppressed === true || !channelAllows(s.channels.find((c) => c.id === channelId), 'speak');
}

/** The user's own entry in the voice channel they are in, if any. */
export function myVoiceMember(s: State): VoiceMemberDto | undefined {
  const channelId = s.voice.phase === 'idle' ? null : s.voice.channelId;
  return channelId === null ? undefined : s.views[channelId]?.voice.find((m) => m.userId === s.me?.id);
}

/** The server settings are for those who manage roles or channels. */
export const canOpenServerSettings = (permissions: PermissionsDto | null) =>
  (['manageServer', 'manageRoles', 'manageChannels', 'kickMembers', 'banMembers', 'viewAuditLog'] as const).some((p) => serverAllows(permissions, p));

/** A channel's settings (gear in the channel list) are for those who manage roles or channels there. */
export const canOpenChannelSettings = (channel: ChannelDto) =>
  channel.permissions !== undefined && (channelAllows(channel, 'manageRoles') || channelAllows(channel, 'manageChannels'));

/** Roles highest first, `@everyone` last. */
export function sortRoles(roles: RoleDto[]): RoleDto[] {
  return [...roles].sort((a, b) => Number(a.everyone) - Number(b.everyone) || b.position - a.position || a.name.localeCompare(b.name));
}

/** The position of the user's most senior role (0: only `@everyone`); the owner is above all. */
export function highestPosition(permissions: PermissionsDto | null, roles: RoleDto[]): number {
  if (!permissions) return 0;
  if (permissions.owner) return Number.POSITIVE_INFINITY;
  let highest = 0;
  for (const r of roles) if (permissions.roles.includes(r.id) && r.position > highest) highest = r.position;
  return highest;
}

/** Whether the user may edit, move, delete, assign or unassign `role`: only roles strictly below their own highest. */
export function canManageRole(role: RoleDto, permissions: PermissionsDto | null, roles: RoleDto[]): boolean {
  if (!serverAllows(permissions, 'manageRoles')) return false;
  return role.position < highestPosition(permissions, roles);
}

/** Whether the user may grant `permission` (in a role or an override): only those they hold themselves. */
export const canGrant = (permissions: PermissionsDto | null, permission: Permission) => serverAllows(permissions, permission);

/** Permissions an override can set in a channel of this kind, in display order. */
export function channelPermissions(kind: ChannelKind): Permission[] {
  const common: Permission[] = ['viewChannel', 'manageChannels', 'manageRoles'];
  return kind === 'text'
    ? ['viewChannel', 'readHistory', 'sendMessages', 'manageMessages', ...common.slice(1)]
    : ['viewChannel', 'connect', 'speak', 'muteMembers', 'moveMembers', ...common.slice(1)];
}

export type OverrideState = 'allow' | 'deny' | 'inherit';

export function overrideState(override: Pick<OverrideDto, 'allow' | 'deny'> | undefined, permission: Permission): OverrideState {
  if (!override) return 'inherit';
  if (override.deny.includes(permission)) return 'deny';
  if (override.allow.includes(permission)) return 'allow';
  return 'inherit';
}

/** The override's lists with `permission` set to `state` (each list keeps the permissions' canonical order). */
export function withOverrideState(
  override: Pick<OverrideDto, 'allow' | 'deny'> | undefined,
  permission: Permission,
  state: OverrideState,
): { allow: Permission[]; deny: Permission[] } {
  const allow = new Set(override?.allow ?? []);
  const deny = new Set(override?.deny ?? []);
  allow.delete(permission);
  deny.delete(permission);
  if (state === 'allow') allow.add(permission);
  if (state === 'deny') deny.add(permission);
  return { allow: ordered(allow), deny: ordered(deny) };
}

const ordered = (set: Set<Permission>) => PermissionNames.filter((p) => set.has(p));

/** What a role picked in the "Private" toggle is allowed in a channel of this kind. */
export function privateAccess(kind: ChannelKind): Permission[] {
  return kind === 'voice' ? ['viewChannel', 'connect'] : ['viewChannel', 'readHistory', 'sendMessages'];
}

/** A channel is private when `@everyone` is denied viewing it. */
export const isPrivate = (overrides: OverrideDto[]) =>
  overrides.some((o) => o.target === 'role' && o.id === EveryoneRoleId && o.deny.includes('viewChannel'));

/** The roles (not `@everyone`) whose override lets them view the channel. */
export const rolesAllowedToView = (overrides: OverrideDto[]) =>
  overrides.filter((o) => o.target === 'role' && o.id !== EveryoneRoleId && o.allow.includes('viewChannel')).map((o) => o.id);

/** One change of a channel's overrides: a PUT with the lists, or a DELETE when both are empty. */
export interface OverrideChange {
  target: OverrideTarget;
  id: string;
  allow: Permission[];
  deny: Permission[];
}

/**
 * The override changes that make a channel private to `roleIds` (`@everyone` denied viewChannel; each role allowed
 * what {@link privateAccess} gives; roles no longer picked lose that), or public again (`makePrivate` false: the
 * deny on `@everyone` and the roles' access are taken back). Other entries of each override are kept.
 */
export function planPrivacy(kind: ChannelKind, overrides: OverrideDto[], makePrivate: boolean, roleIds: string[]): OverrideChange[] {
  const access = privateAccess(kind);
  const changes: OverrideChange[] = [];
  const find = (id: string) => overrides.find((o) => o.target === 'role' && o.id === id);
  const change = (id: string, edit: (allow: Set<Permission>, deny: Set<Permission>) => void) => {
    const existing = find(id);
    const allow = new Set(existing?.allow ?? []);
    const deny = new Set(existing?.deny ?? []);
    edit(allow, deny);
    const next = { target: 'role' as const, id, allow: ordered(allow), deny: ordered(deny) };
    const same = existing && sameList(existing.allow, next.allow) && sameList(existing.deny, next.deny);
    if (!same && (existing || next.allow.length || next.deny.length)) changes.push(next);
  };
  change(EveryoneRoleId, (allow, deny) => {
    if (makePrivate) {
      allow.delete('viewChannel');
      deny.add('viewChannel');
    } else deny.delete('viewChannel');
  });
  const picked = new Set(makePrivate ? roleIds.filter((id) => id !== EveryoneRoleId) : []);
  for (const id of picked)
    change(id, (allow, deny) => {
      for (const p of access) {
        allow.add(p);
        deny.delete(p);
      }
    });
  for (const id of rolesAllowedToView(overrides))
    if (!picked.has(id))
      change(id, (allow) => {
        for (const p of access) allow.delete(p);
      });
  return changes;
}

const sameList = (a: Permission[], b: Permission[]) => a.length === b.length && a.every((p) => b.includes(p));
