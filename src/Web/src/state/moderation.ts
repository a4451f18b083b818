import type { ChannelDto, VoiceMemberDto } from '../protocol/types';
import { channelAllows, myVoiceMember } from './permissions';
import type { State } from './store';

/** What a moderator may do to a voice member from the member list (docs/permissions.md). */
export type VoiceModeration = 'mute' | 'unmute' | 'deafen' | 'undeafen' | 'disconnect' | 'move';

/** The longest reason the server takes (docs/protocol.md). */
export const ModerationReasonMax = 512;

/** What the client knows of a member's rank: their highest role position, and whether they own the server; either may be unknown. */
export interface MemberRank {
  position?: number;
  owner?: boolean;
}

/**
 * Whether a moderator ranked at `myPosition` (the owner: infinity) may act on `target`: never on themselves nor on
 * the owner, and only below their own rank. A rank the client does not know is left for the server to judge.
 */
export function mayActOn(meId: string | null, myPosition: number, targetId: string, target: MemberRank = {}): boolean {
  if (meId === null || targetId === meId || target.owner) return false;
  return target.position === undefined || target.position < myPosition;
}

/**
 * The actions offered on `member` of voice channel `channel`, and the voice channels they may be moved to (those,
 * other than `channel`, where the user holds moveMembers). Server mute and deafen need muteMembers in the channel;
 * disconnect and move need moveMembers.
 */
export function voiceModerations(
  channel: ChannelDto,
  channels: ChannelDto[],
  member: Pick<VoiceMemberDto, 'serverMuted' | 'serverDeafened'>,
): { actions: VoiceModeration[]; moveTo: ChannelDto[] } {
  const actions: VoiceModeration[] = [];
  if (channelAllows(channel, 'muteMembers')) actions.push(member.serverMuted ? 'unmute' : 'mute', member.serverDeafened ? 'undeafen' : 'deafen');
  const moveTo = channelAllows(channel, 'moveMembers')
    ? channels.filter((c) => c.kind === 'voice' && c.id !== channel.id && channelAllows(c, 'moveMembers'))
    : [];
  if (channelAllows(channel, 'moveMembers')) actions.push('disconnect');
  if (moveTo.length > 0) actions.push('move');
  return { actions, moveTo };
}

/** Whether the user may act on anyone in `channel` (so the member list gives each member a menu). */
export const moderatesVoice = (channel: ChannelDto) =>
  channel.permissions !== undefined && (channelAllows(channel, 'muteMembers') || channelAllows(channel, 'moveMembers'));

/** A moderator's reason as sent: trimmed, null when empty. */
export function moderationReason(text: string): string | null {
  const reason = text.trim();
  return reason.length === 0 ? null : reason.slice(0, ModerationReasonMax);
}

export const ModerationLabels: Record<VoiceModeration, string> = {
  mute: 'Server mute',
  unmute: 'Unmute',
  deafen: 'Server deafen',
  undeafen: 'Undeafen',
  disconnect: 'Disconnect',
  move: 'Move to…',
};

/** Whether a moderator deafened the user in the voice channel they are in. */
export const serverDeafenedInVoice = (s: State) => myVoiceMember(s)?.serverDeafened === true;
