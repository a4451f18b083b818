// The gateway's wire types (docs/protocol.md). JSON property names are camelCase.

export type ChannelKind = 'text' | 'voice';

export interface ChannelDto {
  id: string;
  name: string;
  kind: ChannelKind;
  position: number;
  topic: string;
  /** The caller's effective permissions in this channel; absent from servers before roles (everything a member may do). */
  permissions?: Permission[];
  /** The header the channel is grouped under in the channel list; null (or absent, from older servers) for none. */
  category?: string | null;
}

export interface MessageDto {
  id: number;
  channelId: string;
  authorId: string;
  authorName: string;
  text: string;
  /** ISO-8601. */
  sentAt: string;
  /** When the author last edited it (ISO-8601); null or absent when never edited. */
  editedAt?: string | null;
  /** The id of the message this one replies to (in the same channel); null or absent for none. */
  replyTo?: number | null;
  /** The users its `<@userId>` tokens mention, with their current names; absent from servers before mentions. */
  mentions?: MentionDto[];
}

/** A user a message mentions. */
export interface MentionDto {
  userId: string;
  name: string;
}

export interface MemberDto {
  userId: string;
  displayName: string;
}

export interface VoiceMemberDto {
  userId: string;
  displayName: string;
  muted: boolean;
  deafened: boolean;
  speaking: boolean;
  /** The member has no speak permission in the channel, or a moderator server-muted them: mixed as muted (absent from servers before roles). */
  suppressed?: boolean;
  /** A moderator muted the member (they are suppressed too). */
  serverMuted?: boolean;
  /** A moderator deafened the member: the mixer sends them nothing. */
  serverDeafened?: boolean;
}

export interface ChannelViewDto {
  channel: ChannelDto;
  online: MemberDto[];
  messages: MessageDto[];
  hasMore: boolean;
  /** Members of a voice channel; empty (or absent from older servers) for text channels. */
  voice?: VoiceMemberDto[];
}

export interface HistoryDto {
  channelId: string;
  messages: MessageDto[];
  hasMore: boolean;
}

export interface VoiceJoinedDto {
  channelId: string;
  /** Null for ResumeVoice. */
  sdpAnswer: string | null;
  members: VoiceMemberDto[];
}

/** One entry of `GetIceServers`: STUN URLs without a credential, or TURN URLs with one. */
export interface IceServerDto {
  urls: string[];
  username: string | null;
  credential: string | null;
}

/** What `GetIceServers` returns; `ttlSeconds` is how long the TURN credential is valid from now (null: no TURN). */
export interface IceServersDto {
  iceServers: IceServerDto[];
  expiresAt: string | null;
  ttlSeconds: number | null;
}

export interface UserDto {
  id: string;
  displayName: string;
}

export type SessionKind = 'account' | 'guest';

/** What every endpoint that signs someone in answers. `kind`, `username` and `owner` are absent from servers before accounts. */
export interface SessionDto {
  token: string;
  userId: string;
  displayName: string;
  expiresAt: string;
  kind?: SessionKind;
  username?: string | null;
  owner?: boolean;
}

/** A one-time password reset link the owner issued: `url` is the client's path with the code (`/#reset=<code>`). */
export interface ResetLinkDto {
  code: string;
  url: string;
  expiresAt: string;
}

/** `GET /api/info`; `auth` is absent from servers before accounts. */
export interface ServerInfo {
  name: string;
  description?: string;
  version: string;
  auth?: { guestsAllowed: boolean; registrationOpen: boolean; setupRequired: boolean; joinPolicy?: JoinPolicy };
}

export type JoinPolicy = 'open' | 'invite';

/** `GET /api/server/settings`, and the `ServerUpdated` event. */
export interface ServerSettingsDto {
  name: string;
  description: string;
  joinPolicy: JoinPolicy;
  guestsAllowed: boolean;
}

/** An invite as the panel lists it; `url` is the link to hand out. */
export interface InviteDto {
  code: string;
  url: string;
  createdBy: { id: string; name: string };
  createdAt: string;
  expiresAt: string | null;
  maxUses: number | null;
  uses: number;
}

/** `GET /api/invites/{code}`: what the holder of an invite link is told before registering. */
export interface InviteCheckDto {
  code: string;
  server: string;
  description: string;
  expiresAt: string | null;
  usesLeft: number | null;
}

/** Permission names as the server spells them (docs/protocol.md, roles and permissions). */
export const PermissionNames = [
  'viewChannel',
  'readHistory',
  'sendMessages',
  'connect',
  'speak',
  'manageChannels',
  'manageRoles',
  'manageMessages',
  'muteMembers',
  'moveMembers',
  'kickMembers',
  'banMembers',
  'resetPasswords',
  'administrator',
  'viewAuditLog',
  'manageServer',
] as const;

export type Permission = (typeof PermissionNames)[number];

/** `@everyone` is the role with this id (position 0, never deleted). */
export const EveryoneRoleId = 'everyone';

export interface RoleDto {
  id: string;
  name: string;
  /** Higher is more senior; `@everyone` is 0. */
  position: number;
  permissions: Permission[];
  color: string | null;
  everyone: boolean;
}

/** A registered account and the ids of its roles (`@everyone` not listed). */
export interface MemberRolesDto {
  userId: string;
  name: string;
  roles: string[];
  /** When the member's time-out ends (ISO 8601); null or absent when they are not timed out. */
  timedOutUntil?: string | null;
}

/** A ban in force: the account, who banned it (`by`, a user id; `byName` from servers that send it), when, why. */
export interface BanDto {
  userId: string;
  name: string;
  by: string;
  byName?: string | null;
  reason: string | null;
  at: string;
}

export type OverrideTarget = 'role' | 'member';

/** A channel's permission override for a role or a member. */
export interface OverrideDto {
  target: OverrideTarget;
  id: string;
  name: string;
  allow: Permission[];
  deny: Permission[];
}

/** The caller's server-level permissions (no channel overrides), whether they own the server, and their role ids. */
export interface PermissionsDto {
  server: Permission[];
  owner: boolean;
  roles: string[];
  /** While a moderator has the user timed out: until when (ISO 8601); the permissions then lack sendMessages, speak and connect. */
  timedOutUntil?: string | null;
  /** Why the user is timed out, when the moderator said. */
  timeOutReason?: string | null;
}

/** Hub methods, by name, as the server spells them. */
export const HubMethods = {
  me: 'Me',
  getChannels: 'GetChannels',
  openChannel: 'OpenChannel',
  closeChannel: 'CloseChannel',
  postMessage: 'PostMessage',
  replyToMessage: 'ReplyToMessage',
  editMessage: 'EditMessage',
  deleteMessage: 'DeleteMessage',
  sendTyping: 'SendTyping',
  getHistory: 'GetHistory',
  getIceServers: 'GetIceServers',
  joinVoice: 'JoinVoice',
  resumeVoice: 'ResumeVoice',
  leaveVoice: 'LeaveVoice',
  setVoiceState: 'SetVoiceState',
  setMemberVolume: 'SetMemberVolume',
  getPermissions: 'GetPermissions',
  moderateVoice: 'ModerateVoice',
  disconnectVoiceMember: 'DisconnectVoiceMember',
  moveVoiceMember: 'MoveVoiceMember',
} as const;

/** Server-to-client events, by name. */
export const HubEvents = {
  messagePosted: 'MessagePosted',
  messageEdited: 'MessageEdited',
  messageDeleted: 'MessageDeleted',
  typing: 'Typing',
  memberOnline: 'MemberOnline',
  memberOffline: 'MemberOffline',
  channelsChanged: 'ChannelsChanged',
  channelUpdated: 'ChannelUpdated',
  channelRemoved: 'ChannelRemoved',
  voiceMemberJoined: 'VoiceMemberJoined',
  voiceMemberUpdated: 'VoiceMemberUpdated',
  voiceMemberLeft: 'VoiceMemberLeft',
  voiceSpeaking: 'VoiceSpeaking',
  voiceReconnect: 'VoiceReconnect',
  voiceEnded: 'VoiceEnded',
  voiceMoved: 'VoiceMoved',
  permissionsChanged: 'PermissionsChanged',
  serverUpdated: 'ServerUpdated',
} as const;

/** Limits the server enforces; the client checks them first to give a quicker answer. */
export const Limits = {
  displayNameMin: 2,
  displayNameMax: 32,
  messageMax: 2000,
  /** Distinct users one message can mention. */
  mentionsMax: 20,
  historyPage: 50,
  memberVolumeMax: 2,
} as const;
