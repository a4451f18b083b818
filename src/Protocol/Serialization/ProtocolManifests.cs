using OpenChat.Protocol.Permissions;
using System.Collections.Frozen;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Voice;

namespace OpenChat.Protocol.Serialization;

/// <summary>
/// The short, stable manifest of every protocol message. A manifest is written into the journal
/// with each stored event, so an entry may be added but never renamed or reused.
/// </summary>
public static class ProtocolManifests
{
    private static readonly (string Manifest, Type Type)[] Table =
    [
        // Channel commands, queries and replies
        ("ch.post", typeof(PostMessage)),
        ("ch.sub", typeof(SubscribeChannel)),
        ("ch.unsub", typeof(UnsubscribeChannel)),
        ("ch.info-changed", typeof(ChannelInfoChanged)),
        ("ch.history", typeof(GetHistory)),
        ("ch.history-page", typeof(HistoryPage)),
        ("ch.presence", typeof(GetPresence)),
        ("ch.presence-list", typeof(PresenceList)),
        ("ch.post-accepted", typeof(PostAccepted)),
        ("ch.subscribed", typeof(Subscribed)),
        ("ch.unsubscribed", typeof(Unsubscribed)),
        ("rejected", typeof(CommandRejected)),
        // Channel events pushed to subscribers
        ("ch.posted", typeof(MessagePosted)),
        ("ch.online", typeof(MemberOnline)),
        ("ch.offline", typeof(MemberOffline)),
        ("ch.updated", typeof(ChannelUpdated)),
        ("ch.removed", typeof(ChannelRemoved)),
        ("ch.edit", typeof(EditMessage)),
        ("ch.delete", typeof(DeleteMessage)),
        ("ch.typing", typeof(SendTyping)),
        ("ch.edit-accepted", typeof(EditAccepted)),
        ("ch.delete-done", typeof(DeleteDone)),
        ("ch.edited", typeof(MessageEdited)),
        ("ch.deleted", typeof(MessageDeleted)),
        ("ch.user-typing", typeof(UserTyping)),
        // Directory
        ("dir.create", typeof(CreateChannel)),
        ("dir.update", typeof(UpdateChannel)),
        ("dir.delete", typeof(DeleteChannel)),
        ("dir.reorder", typeof(ReorderChannels)),
        ("dir.reordered", typeof(ChannelsReordered)),
        ("dir.server-update", typeof(UpdateServerSettings)),
        ("dir.server-saved", typeof(ServerSettingsSaved)),
        ("dir.watch", typeof(WatchDirectory)),
        ("dir.list-get", typeof(GetChannels)),
        ("dir.list", typeof(ChannelList)),
        ("dir.info-get", typeof(GetChannelInfo)),
        ("dir.info", typeof(ChannelInfoResult)),
        ("dir.role-create", typeof(CreateRole)),
        ("dir.role-update", typeof(UpdateRole)),
        ("dir.role-delete", typeof(DeleteRole)),
        ("dir.member-role", typeof(SetMemberRole)),
        ("dir.override", typeof(SetChannelOverride)),
        ("dir.role", typeof(RoleResult)),
        ("dir.perms-saved", typeof(PermissionsSaved)),
        ("dir.moderate-voice", typeof(ModerateVoice)),
        // Media nodes
        ("media.load", typeof(MediaNodeLoad)),
        ("media.create", typeof(CreateMixer)),
        ("media.ready", typeof(MixerReady)),
        ("media.stop", typeof(StopMixer)),
        ("media.stopped", typeof(MixerStopped)),
        ("media.list-get", typeof(GetMixers)),
        ("media.list", typeof(MixerList)),
        ("media.place", typeof(PlaceMixer)),
        ("media.connect", typeof(ConnectMember)),
        ("media.connected", typeof(MemberConnected)),
        ("media.disconnect", typeof(DisconnectMember)),
        ("media.disconnected", typeof(MemberDisconnected)),
        ("media.member-update", typeof(UpdateMember)),
        ("media.volume", typeof(SetMixVolume)),
        ("media.speaking", typeof(MemberSpeaking)),
        ("media.draining", typeof(MixerDraining)),
        ("media.media-connected", typeof(MemberMediaConnected)),
        ("media.lease", typeof(RenewMixerLease)),
        // Voice
        ("v.join", typeof(JoinVoice)),
        ("v.resume", typeof(ResumeVoice)),
        ("v.leave", typeof(LeaveVoice)),
        ("v.state", typeof(SetVoiceState)),
        ("v.suppressed", typeof(SetVoiceSuppressed)),
        ("v.end-membership", typeof(EndVoiceMembership)),
        ("v.volume", typeof(SetMemberVolume)),
        ("v.joined", typeof(VoiceJoined)),
        ("v.left", typeof(VoiceLeft)),
        ("v.ack", typeof(VoiceAck)),
        ("v.member-joined", typeof(VoiceMemberJoined)),
        ("v.member-updated", typeof(VoiceMemberUpdated)),
        ("v.member-left", typeof(VoiceMemberLeft)),
        ("v.speaking", typeof(VoiceSpeaking)),
        ("v.reconnect", typeof(VoiceReconnectRequired)),
        ("v.ended", typeof(VoiceEnded)),
        ("v.moved", typeof(VoiceMoved)),
        ("v.taken-over", typeof(VoiceTakenOver)),
        ("v.status-get", typeof(GetVoiceStatus)),
        ("v.status", typeof(VoiceStatus)),
        // Cluster formation
        ("cl.member-get", typeof(ClusterMembershipQuery)),
        ("cl.member", typeof(ClusterMembershipAnswer)),
        // Accounts
        ("acc.view", typeof(AccountView)),
        ("acc.register", typeof(RegisterAccount)),
        ("acc.sign-in", typeof(BeginSignIn)),
        ("acc.challenge", typeof(SignInChallenge)),
        ("acc.throttled", typeof(SignInThrottled)),
        ("acc.sign-in-end", typeof(EndSignIn)),
        ("acc.password", typeof(ChangePassword)),
        ("acc.revoke-all", typeof(RevokeAllSessions)),
        ("acc.cut", typeof(SessionsCut)),
        ("acc.revoke", typeof(RevokeSession)),
        ("acc.revoked", typeof(RevocationDone)),
        ("acc.delete", typeof(DeleteAccount)),
        ("acc.claim", typeof(ClaimOwnership)),
        ("acc.reset-issue", typeof(IssueResetCode)),
        ("acc.reset-issue-name", typeof(IssueResetCodeByName)),
        ("acc.reset-code", typeof(ResetCode)),
        ("acc.reset-redeem", typeof(RedeemResetCode)),
        ("acc.guest-name", typeof(CheckGuestName)),
        ("acc.name-free", typeof(NameAvailability)),
        ("acc.get", typeof(GetAccount)),
        ("acc.lookup", typeof(AccountLookup)),
        ("acc.find", typeof(FindAccounts)),
        ("acc.remove", typeof(RemoveMember)),
        ("acc.unban", typeof(UnbanMember)),
        ("acc.timeout", typeof(TimeOutMember)),
        ("acc.timeout-set", typeof(TimeOutSet)),
        ("acc.timeout-lift", typeof(LiftTimeOut)),
        ("acc.bans-get", typeof(GetBans)),
        ("acc.bans", typeof(BanList)),
        ("acc.found", typeof(AccountsFound)),
        ("acc.watch", typeof(WatchIdentity)),
        ("acc.invite-create", typeof(CreateInvite)),
        ("acc.invites-get", typeof(GetInvites)),
        ("acc.invites", typeof(InviteList)),
        ("acc.invite-revoke", typeof(RevokeInvite)),
        ("acc.invite-check", typeof(CheckInvite)),
        ("acc.invite", typeof(InviteView)),
        ("acc.update", typeof(IdentityUpdate)),
        // Stored events and snapshots (never rename these)
        ("j.msg", typeof(MessageStored)),
        ("s.channel", typeof(ChannelStateSnapshot)),
        ("j.msg-edit", typeof(MessageEditStored)),
        ("j.msg-delete", typeof(MessageDeleteStored)),
        ("j.dir-seeded", typeof(DirectorySeeded)),
        ("j.dir-created", typeof(DirectoryChannelCreated)),
        ("j.dir-updated", typeof(DirectoryChannelUpdated)),
        ("j.dir-deleted", typeof(DirectoryChannelDeleted)),
        ("j.dir-ordered", typeof(DirectoryChannelsOrdered)),
        ("j.dir-server", typeof(DirectoryServerSettingsSet)),
        ("j.dir-role", typeof(DirectoryRoleSaved)),
        ("j.dir-role-order", typeof(DirectoryRolesOrdered)),
        ("j.dir-role-deleted", typeof(DirectoryRoleDeleted)),
        ("j.dir-member-roles", typeof(DirectoryMemberRolesSet)),
        ("j.dir-override", typeof(DirectoryOverrideSet)),
        ("j.dir-voice-moderated", typeof(DirectoryMemberVoiceModerated)),
        ("j.acc-registered", typeof(AccountRegistered)),
        ("j.acc-password", typeof(AccountPasswordChanged)),
        ("j.acc-cut", typeof(AccountSessionsCut)),
        ("j.acc-revoked", typeof(AccountSessionRevoked)),
        ("j.acc-deleted", typeof(AccountDeleted)),
        ("j.acc-owner", typeof(OwnershipClaimed)),
        ("j.acc-reset-issued", typeof(ResetCodeIssued)),
        ("j.acc-reset-done", typeof(PasswordResetDone)),
        ("j.acc-kicked", typeof(MemberKicked)),
        ("j.acc-banned", typeof(MemberBanned)),
        ("j.acc-unbanned", typeof(MemberUnbanned)),
        ("j.acc-timed-out", typeof(MemberTimedOut)),
        ("j.acc-timeout-lifted", typeof(MemberTimeOutLifted)),
        ("j.acc-invite", typeof(InviteCreated)),
        ("j.acc-invite-used", typeof(InviteUsed)),
        ("j.acc-invite-revoked", typeof(InviteRevoked)),
        ("s.accounts", typeof(AccountsSnapshot)),
        // Audit log
        ("audit.record", typeof(RecordAudit)),
        ("audit.recorded", typeof(AuditRecorded)),
        ("audit.query", typeof(QueryAudit)),
        ("audit.page", typeof(AuditPage)),
        ("j.audit", typeof(AuditEntryStored)),
        ("s.audit", typeof(AuditLogSnapshot)),
    ];

    private static readonly FrozenDictionary<string, Type> ByManifest =
        Table.ToFrozenDictionary(e => e.Manifest, e => e.Type, StringComparer.Ordinal);

    private static readonly FrozenDictionary<Type, string> ByType =
        Table.ToFrozenDictionary(e => e.Type, e => e.Manifest);

    /// <summary>Every registered message type.</summary>
    public static IEnumerable<Type> Types => ByType.Keys;

    public static bool TryGetManifest(Type type, out string manifest) => ByType.TryGetValue(type, out manifest!);

    public static bool TryGetType(string manifest, out Type type) => ByManifest.TryGetValue(manifest, out type!);
}
