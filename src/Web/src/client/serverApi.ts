import type {
  BanDto,
  ChannelDto,
  ChannelKind,
  InviteDto,
  MemberRolesDto,
  OverrideDto,
  OverrideTarget,
  Permission,
  PermissionsDto,
  RoleDto,
  ServerSettingsDto,
} from '../protocol/types';
import type { AuditPageDto, AuditQuery } from '../protocol/audit';
import type { ClusterDto } from '../protocol/cluster';
import { ApiError, call } from './session';

type Fetcher = typeof fetch;

/** The roles, members, overrides and channel endpoints (docs/protocol.md); each call rejects with an {@link ApiError}. */
export interface ServerApi {
  roles(): Promise<RoleDto[]>;
  createRole(name: string, permissions: Permission[]): Promise<RoleDto>;
  updateRole(roleId: string, change: { name?: string; permissions?: Permission[]; position?: number; color?: string | null }): Promise<RoleDto>;
  deleteRole(roleId: string): Promise<void>;
  members(query: string): Promise<MemberRolesDto[]>;
  assignRole(userId: string, roleId: string): Promise<void>;
  unassignRole(userId: string, roleId: string): Promise<void>;
  overrides(channelId: string): Promise<OverrideDto[]>;
  setOverride(channelId: string, target: OverrideTarget, id: string, allow: Permission[], deny: Permission[]): Promise<OverrideDto>;
  deleteOverride(channelId: string, target: OverrideTarget, id: string): Promise<void>;
  createChannel(name: string, kind: ChannelKind, topic?: string): Promise<ChannelDto>;
  /** An empty `category` clears it. */
  updateChannel(channelId: string, change: { name?: string; topic?: string; position?: number; category?: string }): Promise<ChannelDto>;
  deleteChannel(channelId: string): Promise<void>;
  myPermissions(): Promise<PermissionsDto>;
  // Audit log
  auditLog(query: AuditQuery): Promise<AuditPageDto>;
  // Server administration: channel order, settings, invites.
  /** Every channel's id, in the new order. */
  reorderChannels(channelIds: string[]): Promise<void>;
  settings(): Promise<ServerSettingsDto>;
  updateSettings(change: Partial<ServerSettingsDto>): Promise<ServerSettingsDto>;
  invites(): Promise<InviteDto[]>;
  /** Without `maxUses`, any number of uses; without `expiresInSeconds`, until revoked. */
  createInvite(limits: { maxUses?: number; expiresInSeconds?: number }): Promise<InviteDto>;
  revokeInvite(code: string): Promise<void>;
  // Member moderation: each with an optional reason (docs/protocol.md).
  kick(userId: string, reason: string | null): Promise<void>;
  ban(userId: string, reason: string | null): Promise<void>;
  unban(userId: string): Promise<void>;
  bans(): Promise<BanDto[]>;
  /** A time-out of `minutes` (1..40320). */
  timeOut(userId: string, minutes: number, reason: string | null): Promise<void>;
  liftTimeOut(userId: string): Promise<void>;
  /** The cluster's nodes, media load and voice rooms (manageServer). */
  cluster(): Promise<ClusterDto>;
}

const seg = encodeURIComponent;

/**
 * The API with the session's bearer token (`getToken` is asked before every call, so a renewed token is used). A 401
 * calls `onTokenRefused` (the session is renewed, or the user signed out) and rejects.
 */
export function createServerApi(getToken: () => Promise<string>, onTokenRefused: () => void, fetcher: Fetcher = fetch): ServerApi {
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await call<T>(path, { method, token: await getToken(), body }, fetcher);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onTokenRefused();
      throw e;
    }
  };
  const override = (channelId: string, target: OverrideTarget, id: string) =>
    `/api/channels/${seg(channelId)}/overrides/${seg(target)}/${seg(id)}`;
  return {
    roles: async () => (await request<{ roles: RoleDto[] | null }>('GET', '/api/server/roles')).roles ?? [],
    createRole: (name, permissions) => request('POST', '/api/server/roles', { name, permissions }),
    updateRole: (roleId, change) => request('PATCH', `/api/server/roles/${seg(roleId)}`, change),
    deleteRole: (roleId) => request('DELETE', `/api/server/roles/${seg(roleId)}`),
    members: async (query) =>
      (await request<{ members: MemberRolesDto[] | null }>('GET', `/api/server/members?query=${seg(query)}`)).members ?? [],
    assignRole: (userId, roleId) => request('PUT', `/api/server/members/${seg(userId)}/roles/${seg(roleId)}`),
    unassignRole: (userId, roleId) => request('DELETE', `/api/server/members/${seg(userId)}/roles/${seg(roleId)}`),
    overrides: async (channelId) =>
      (await request<{ overrides: OverrideDto[] | null }>('GET', `/api/channels/${seg(channelId)}/overrides`)).overrides ?? [],
    setOverride: (channelId, target, id, allow, deny) => request('PUT', override(channelId, target, id), { allow, deny }),
    deleteOverride: (channelId, target, id) => request('DELETE', override(channelId, target, id)),
    createChannel: (name, kind, topic) => request('POST', '/api/channels', topic ? { name, kind, topic } : { name, kind }),
    updateChannel: (channelId, change) => request('PATCH', `/api/channels/${seg(channelId)}`, change),
    deleteChannel: (channelId) => request('DELETE', `/api/channels/${seg(channelId)}`),
    myPermissions: () => request('GET', '/api/me/permissions'),
    // Audit log
    auditLog: (query) => {
      const params = Object.entries(query).filter(([, v]) => v !== undefined && v !== '');
      return request('GET', '/api/server/audit' + (params.length ? '?' + params.map(([k, v]) => `${k}=${seg(String(v))}`).join('&') : ''));
    },
    // Server administration: channel order, settings, invites.
    reorderChannels: (channelIds) => request('PUT', '/api/channels/order', { channels: channelIds }),
    settings: () => request('GET', '/api/server/settings'),
    updateSettings: (change) => request('PATCH', '/api/server/settings', change),
    invites: async () => (await request<{ invites: InviteDto[] | null }>('GET', '/api/server/invites')).invites ?? [],
    createInvite: (limits) => request('POST', '/api/server/invites', limits),
    revokeInvite: (code) => request('DELETE', `/api/server/invites/${seg(code)}`),
    // Member moderation
    kick: (userId, reason) => request('POST', `/api/server/members/${seg(userId)}/kick`, { reason }),
    ban: (userId, reason) => request('POST', `/api/server/members/${seg(userId)}/ban`, { reason }),
    unban: (userId) => request('DELETE', `/api/server/members/${seg(userId)}/ban`),
    bans: async () => (await request<{ bans: BanDto[] | null }>('GET', '/api/server/bans')).bans ?? [],
    timeOut: (userId, minutes, reason) => request('POST', `/api/server/members/${seg(userId)}/timeout`, { minutes, reason }),
    liftTimeOut: (userId) => request('DELETE', `/api/server/members/${seg(userId)}/timeout`),
    cluster: () => request('GET', '/api/server/cluster'),
  };
}

/** A sentence for people about a refused settings call. */
export function describeSettingsError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'network':
      return 'The server could not be reached; check the connection and try again.';
    case 'forbidden':
      return `Not allowed: ${error.message}`;
    case 'unknown_role':
      return 'That role no longer exists.';
    case 'unknown_channel':
      return 'That channel no longer exists.';
    case 'unknown_user':
      return 'That member no longer exists.';
    case 'invalid_token':
      return 'You were signed out.';
    default:
      return error.message;
  }
}
