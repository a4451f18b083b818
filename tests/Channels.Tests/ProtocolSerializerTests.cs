using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Cluster;
using OpenChat.Protocol.Accounts;
using OpenChat.Protocol.Audit;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Events;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Serialization;
using OpenChat.Protocol.Voice;
using OpenChat.Protocol.Permissions;
using Xunit;

namespace OpenChat.Channels.Tests;

public sealed class ProtocolSerializerTests : TestKit
{
    private static readonly ChannelId Channel = new("general");
    private static readonly UserId User = new("g-1234");
    private static readonly DateTimeOffset At = new(2026, 11, 25, 12, 30, 15, 123, TimeSpan.Zero);
    private static readonly ChannelInfo Info = new(Channel, "general", ChannelKind.Text, 3, "topic ✓");
    private static readonly ChatMessage Message = new(42, Channel, User, "Ålice", "héllo\nworld \"quoted\"", At);
    private static readonly PresenceMember Member = new(User, "Ålice");
    private static readonly UserId Other = new("g-5678");
    private static readonly VoiceMember Voice = new(User, "Ålice", false, true, true);
    private static readonly ServerSettings Settings = new("Lan party", "Bring cables", JoinPolicy.Invite, false);
    private static readonly InviteView InviteSample = new("code", User, "Ålice", At, At, 3, 1);
    private static readonly Role Crew = new("r1", "Crew", Permission.ViewChannel | Permission.Speak, 1, "#12ab34");
    private static readonly PermissionModel Model = new(
        [Crew, PermissionModel.Default.Everyone],
        new Dictionary<string, IReadOnlyList<string>> { [User.Value] = ["r1"] },
        new Dictionary<string, IReadOnlyList<ChannelOverride>> { [Channel.Value] = [new ChannelOverride(OverrideTarget.Role, "r1", Permission.ViewChannel, 0)] });

    public ProtocolSerializerTests() : base(ActorTestConfig.Setup(ActorTestConfig.NewDatabase()), "serialization")
    {
    }

    private IEnumerable<IProtocolMessage> Samples()
    {
        var actor = TestActor;
        yield return new PostMessage(Channel, User, "Ålice", "hi", "n-1:a.b_c");
        yield return new SubscribeChannel(Channel, User, "Ålice", actor, 50);
        yield return new UnsubscribeChannel(Channel, actor);
        yield return new ChannelInfoChanged(Channel, Info);
        yield return new ChannelInfoChanged(Channel, null);
        yield return new GetHistory(Channel, 17, 50);
        yield return new GetHistory(Channel, null, 1);
        yield return new HistoryPage(Channel, [Message, Message with { Id = 43 }], true);
        yield return new GetPresence(Channel);
        yield return new PresenceList(Channel, [Member]);
        yield return new PostAccepted(Message);
        yield return new Subscribed(Info, [Member], [Message], true, actor, [Voice]);
        yield return new Unsubscribed(Channel);
        yield return new CommandRejected(ErrorCode.RateLimited, "slow down");
        yield return new MessagePosted(Message);
        yield return new MemberOnline(Channel, Member);
        yield return new MemberOffline(Channel, User);
        yield return new ChannelUpdated(Info);
        yield return new ChannelRemoved(Channel);
        yield return new CreateChannel("Music", ChannelKind.Voice, "");
        yield return new UpdateChannel(Channel, null, "t", 4);
        yield return new UpdateChannel(Channel, null, null, null, "Games");
        yield return new ReorderChannels([Channel, new ChannelId("lounge")]);
        yield return new UpdateServerSettings(Settings, "Name", null, JoinPolicy.Invite, false);
        yield return new ServerSettingsSaved(Settings, 9);
        yield return new ChannelList([Info], Model, Settings);
        yield return new DirectoryServerSettingsSet(Settings);
        yield return new RegisterAccount("ann", "hash", null, "code", true);
        yield return new CreateInvite(User, "Ålice", 5, At);
        yield return GetInvites.Instance;
        yield return new InviteList([InviteSample]);
        yield return new RevokeInvite("code", User);
        yield return new CheckInvite("code");
        yield return InviteSample;
        yield return new InviteCreated("code", User, "Ålice", At, null, 1);
        yield return new InviteUsed("code", Other, At);
        yield return new InviteRevoked("code", User, At);
        yield return new ChannelsReordered(7);
        yield return new DeleteChannel(Channel);
        yield return new WatchDirectory(actor);
        yield return GetChannels.Instance;
        yield return new ChannelList([Info, Info with { Id = new ChannelId("lounge"), Kind = ChannelKind.Voice }]);
        yield return new ChannelList([Info], Model);
        yield return new GetChannelInfo(Channel);
        yield return new ChannelInfoResult(Channel, Info);
        yield return new MediaNodeLoad("akka.tcp://openchat@127.0.0.1:4055", actor, 3, 30, 150.5, 12.5, 1.75, 2, false, 1000, At, 2.5);
        yield return new CreateMixer(Channel, actor);
        yield return new MixerReady(Channel, actor, "akka.tcp://openchat@127.0.0.1:4055");
        yield return new StopMixer(Channel);
        yield return new MixerStopped(Channel);
        yield return GetMixers.Instance;
        yield return new MixerList("n", [Channel]);
        yield return new PlaceMixer(Channel, "akka.tcp://openchat@127.0.0.1:4055", actor);
        yield return new PlaceMixer(Channel, null, actor);
        yield return new ConnectMember(Channel, User, "v=0\r\n", true, false);
        yield return new MemberConnected(Channel, User, "v=0\r\n");
        yield return new DisconnectMember(Channel, User);
        yield return new MemberDisconnected(Channel, User, "consent expired", false);
        yield return new UpdateMember(Channel, User, true, false);
        yield return new SetMixVolume(Channel, User, Other, 0.5f);
        yield return new MemberMediaConnected(Channel, User);
        yield return new RenewMixerLease(Channel, TimeSpan.FromSeconds(12));
        yield return new MemberSpeaking(Channel, User, true);
        yield return new MixerDraining(Channel, actor, "akka.tcp://openchat@127.0.0.1:4055");
        yield return new JoinVoice(Channel, User, "Ålice", actor, "v=0\r\n", false, true);
        yield return new ResumeVoice(Channel, User, actor);
        yield return new LeaveVoice(Channel, User, actor);
        yield return new LeaveVoice(Channel, User, null);
        yield return new SetVoiceState(Channel, User, true, true);
        yield return new SetMemberVolume(Channel, User, Other, 1.5f);
        yield return new VoiceJoined(Channel, "v=0\r\n", [Voice]);
        yield return new VoiceJoined(Channel, null, []);
        yield return new VoiceLeft(Channel);
        yield return new VoiceAck(Channel);
        yield return new VoiceMemberJoined(Channel, Voice);
        yield return new VoiceMemberUpdated(Channel, Voice with { Muted = true });
        yield return new VoiceMemberLeft(Channel, User);
        yield return new VoiceSpeaking(Channel, User, true);
        yield return new VoiceReconnectRequired(Channel, "moved");
        yield return new VoiceEnded(Channel, "joined elsewhere");
        yield return new VoiceTakenOver(Channel, actor);
        yield return new GetVoiceStatus(Channel);
        yield return new VoiceStatus(Channel, "akka.tcp://openchat@127.0.0.1:4055", [Voice]);
        yield return new VoiceStatus(Channel, null, []);
        yield return new ClusterMembershipQuery();
        yield return new ClusterMembershipAnswer(true);
        yield return new MessageStored(User, "Ålice", "text", At);
        yield return new MessageStored(User, "Ålice", "text", At, "n-1");
        yield return new ChannelStateSnapshot([Message]);
        yield return new ChannelStateSnapshot([Message], [new StoredNonce(User, "n-1", 1)]);
        yield return new MessageStored(User, "Ålice", "", At, "n-2", 41, [Other], "k1", [1, 2, 3]);
        yield return new MessageEditStored(42, "", [4, 5], At, [Other]);
        yield return new MessageDeleteStored(42, Other, At, "k1");
        yield return new ChannelStateSnapshot([], [new StoredNonce(User, "n-1", 1)],
            [new SnapshotMessage(42, new MessageStored(User, "Ålice", "", At, "n-2", null, null, "k1", [1, 2, 3]))],
            [new SnapshotEdit(42, new MessageEditStored(42, "", [4, 5], At))], [40L], 39, 3);
        yield return new EditMessage(Channel, User, 42, "new text");
        yield return new DeleteMessage(Channel, User, 42, true);
        yield return new SendTyping(Channel, User, "Ålice");
        yield return new EditAccepted(Message with { EditedAt = At, ReplyTo = 40 });
        yield return new DeleteDone(Channel, 42, User, true);
        yield return new DeleteDone(Channel, 42, null, false);
        yield return new MessageEdited(Message with { EditedAt = At, Mentions = [new Mention(Other, "Bob")] }, 44);
        yield return new MessageDeleted(Channel, 42, 45);
        yield return new UserTyping(Channel, User, "Ålice");
        yield return new PostMessage(Channel, User, "Ålice", "text", "n-3", 41);
        yield return new DirectorySeeded([Info]);
        yield return new DirectoryChannelCreated(Info);
        yield return new DirectoryChannelUpdated(Info);
        yield return new DirectoryChannelDeleted(Channel);
        yield return new DirectoryChannelsOrdered([Channel, new ChannelId("lounge")]);
        yield return new DirectoryChannelUpdated(Info with { Category = "Games" });
        yield return new DirectoryRoleSaved(Crew);
        yield return new DirectoryRolesOrdered(["r1", "r2"]);
        yield return new DirectoryRoleDeleted("r1");
        yield return new DirectoryMemberRolesSet(User, ["r1"]);
        yield return new DirectoryOverrideSet(Channel, new ChannelOverride(OverrideTarget.Member, User.Value, Permission.Speak, Permission.SendMessages));
        yield return new CreateRole(new Caller(User, false), "Crew", Permission.ViewChannel | Permission.Connect, "#12ab34");
        yield return new UpdateRole(Caller.AdminKey, "r1", null, Permission.None, 2, null);
        yield return new DeleteRole(Caller.AdminKey, "r1");
        yield return new SetMemberRole(Caller.AdminKey, User, "r1", true);
        yield return new SetChannelOverride(Caller.AdminKey, Channel, OverrideTarget.Role, Role.EveryoneId, Permission.None, Permission.ViewChannel);
        yield return new RoleResult(Crew);
        yield return new RoleResult(null);
        yield return new PermissionsSaved(Model);
        yield return new SetVoiceSuppressed(Channel, User, true);
        yield return new SetVoiceSuppressed(Channel, User, false, ServerDeafened: true);
        yield return new SetVoiceSuppressed(Channel, User, true, ServerMuted: true);
        yield return new EndVoiceMembership(Channel, User, "A moderator disconnected you.");
        yield return new EndVoiceMembership(Channel, User, "moved", new ChannelId("stage"));
        yield return new VoiceMoved(Channel, new ChannelId("stage"), "moved");
        yield return new ModerateVoice(new Caller(Other, false), Channel, User, false, true, true, "shouting");
        yield return new DirectoryMemberVoiceModerated(User, true, false, Other, null, At);
        yield return new JoinVoice(Channel, User, "Ålice", actor, "v=0\r\n", false, true, "127.0.0.9", null, Suppressed: true);
        // Accounts
        var at = DateTimeOffset.Parse("2026-12-01T10:00:00+00:00");
        var view = new AccountView(User, "Ålice", at, Owner: true);
        yield return view;
        yield return new RegisterAccount("Ålice", "AQAAAAIAAYag", null);
        yield return new RegisterAccount("Ålice", "AQAAAAIAAYag", new UserId("g-1"));
        yield return new BeginSignIn("Ålice", "127.0.0.9");
        yield return new SignInChallenge(view, "AQAAAAIAAYag");
        yield return new SignInChallenge(null, null);
        yield return new SignInThrottled(TimeSpan.FromSeconds(20));
        yield return new EndSignIn("Ålice", "127.0.0.9", true, "AQAAAAIAAYah");
        yield return new ChangePassword(User, "AQAAAAIAAYah");
        yield return new RevokeAllSessions(User);
        yield return new SessionsCut(User, at);
        yield return new RevokeSession(User, "sid-1", at);
        yield return RevocationDone.Instance;
        yield return new DeleteAccount(User);
        yield return new ClaimOwnership(User, "ABCD-EFGH-JKMN-PQRS", "127.0.0.9");
        yield return new IssueResetCode(User);
        yield return new IssueResetCodeByName("ada");
        yield return new ResetCode("code-1", at);
        yield return new RedeemResetCode("code-1", "AQAAAAIAAYah", "127.0.0.9");
        yield return new CheckGuestName("Ålice");
        yield return new NameAvailability(true);
        yield return new GetAccount(User);
        yield return new FindAccounts("åli", 50);
        yield return new RemoveMember(User, Other, "spam", true);
        yield return new RemoveMember(User, Other, null, false);
        yield return new UnbanMember(User, Other);
        yield return GetBans.Instance;
        yield return new BanList([new BannedAccount(User, "Ålice", Other, "spam", at, "Bob"), new BannedAccount(Other, "Carol", User, null, at)]);
        yield return new MemberKicked(User, Other, "cool off", at);
        yield return new MemberBanned(User, Other, null, at);
        yield return new MemberUnbanned(User, Other, at);
        yield return new TimeOutMember(User, Other, 10, "cool off");
        yield return new TimeOutSet(User, at, null);
        yield return new LiftTimeOut(User, Other);
        yield return new MemberTimedOut(User, Other, at.AddMinutes(10), "cool off", at);
        yield return new MemberTimeOutLifted(User, Other, at);
        yield return new IdentityUpdate(false, null, [], [], [], [new UserTimeOut(User, at, "cool off")]);
        yield return new AccountsSnapshot([], null, [], [], [], [], [], [new StoredTimeOut(User, Other, at, null, at)]);
        yield return new SignInChallenge(view, "AQAAAAIAAYag", new StoredBan(User, Other, "spam", at));
        yield return new AccountsFound([view]);
        yield return new AccountLookup(view);
        yield return new WatchIdentity(actor);
        yield return new IdentityUpdate(true, User, [new UserSessionsCut(User, at)], [new RevokedSession(User, "sid-1", at)], [User]);
        yield return new AccountRegistered(User, "Ålice", "AQAAAAIAAYag", at, false);
        yield return new AccountPasswordChanged(User, "AQAAAAIAAYah", at);
        yield return new AccountSessionsCut(User, at);
        yield return new AccountSessionRevoked(User, "sid-1", at);
        yield return new AccountDeleted(User, at);
        yield return new OwnershipClaimed(User, at);
        yield return new ResetCodeIssued(User, "ABCDEF", at);
        yield return new PasswordResetDone(User, "AQAAAAIAAYah", "ABCDEF", at);
        yield return new AccountsSnapshot([new StoredAccount(User, "Ålice", "AQAAAAIAAYag", at, false)], User,
            [new UserSessionsCut(User, at)], [new RevokedSession(User, "sid-1", at)], [new StoredResetCode(User, "ABCDEF", at)]);
        yield return new AccountsSnapshot([], null, [], [], [], [new StoredBan(User, Other, "spam", at)]);
        var auditActor = new AuditActor(User.Value, "Ålice");
        var auditTarget = new AuditSubject("member", Other.Value, null);
        yield return new RecordAudit("k1", at, auditActor, "member.kick", auditTarget, "spam ✓", null);
        yield return new AuditRecorded("k1", 7);
        yield return new QueryAudit(new AuditFilter("member", User.Value, null, "ali"), 8, 50);
        yield return new QueryAudit(AuditFilter.None, null, 1);
        yield return new AuditPage([new AuditEntry(7, at, auditActor, "voice.moderate", auditTarget, null, "muted, deafened")], true);
        yield return new AuditEntryStored("k1", at, auditActor, "member.ban", auditTarget with { Name = "Bob" }, "harassment", null);
        yield return new AuditLogSnapshot([new AuditSnapshotEntry("k1", new AuditEntry(7, at, auditActor, "role.update", new AuditSubject("role", "r1", "Crew"), null, "renamed to Crew"))]);
        yield return new AccountsSnapshot([], null, [], [], [], [], [new StoredInvite("code", User, "Ålice", at, null, 2, 1)]);
    }

    [Fact]
    public void Every_protocol_message_type_has_a_sample_here()
    {
        var messageTypes = typeof(IProtocolMessage).Assembly.GetTypes()
            .Where(t => typeof(IProtocolMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToHashSet();
        Assert.Equal(messageTypes.OrderBy(t => t.Name), ProtocolManifests.Types.OrderBy(t => t.Name));
        Assert.Equal(messageTypes.OrderBy(t => t.Name), Samples().Select(s => s.GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Fact]
    public void Every_protocol_message_round_trips_through_the_protocol_serializer()
    {
        var serialization = Sys.Serialization;
        foreach (var sample in Samples())
        {
            var serializer = serialization.FindSerializerFor(sample);
            Assert.IsType<ProtocolSerializer>(serializer);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, sample);
            var bytes = serializer.ToBinary(sample);
            var back = serialization.Deserialize(bytes, serializer.Identifier, manifest);

            Assert.IsType(sample.GetType(), back);
            // Records holding lists compare lists by reference, so compare the canonical bytes as well.
            Assert.Equal(bytes, serializer.ToBinary(back));
            if (sample is not (HistoryPage or PresenceList or Subscribed or ChannelList or ChannelStateSnapshot or DirectorySeeded or MixerList or VoiceJoined or VoiceStatus
                    or IdentityUpdate or AccountsSnapshot or BanList or DirectoryRolesOrdered or ReorderChannels or DirectoryChannelsOrdered or InviteList or DirectoryMemberRolesSet
                    or PermissionsSaved or AccountsFound or AuditPage or AuditLogSnapshot or MessageStored or MessageEditStored or MessageEdited))
                Assert.Equal(sample, back);
        }
    }

    [Fact]
    public void Events_and_snapshots_written_before_posts_carried_a_nonce_still_read()
    {
        var serializer = (ProtocolSerializer)Sys.Serialization.FindSerializerFor(GetChannels.Instance);
        var stored = (MessageStored)serializer.FromBinary(
            """{"Author":"u-alice","AuthorName":"Alice","Text":"old","SentAt":"2026-01-01T00:00:00+00:00"}"""u8.ToArray(), "j.msg");
        Assert.Equal(("old", null), (stored.Text, stored.Nonce));
        var snapshot = (ChannelStateSnapshot)serializer.FromBinary("""{"Recent":[]}"""u8.ToArray(), "s.channel");
        Assert.Null(snapshot.Nonces);
    }

    [Fact]
    public void Directory_events_written_before_categories_still_read()
    {
        var serializer = (ProtocolSerializer)Sys.Serialization.FindSerializerFor(GetChannels.Instance);
        var updated = (DirectoryChannelUpdated)serializer.FromBinary(
            """{"Channel":{"Id":"general","Name":"general","Kind":"Text","Position":0,"Topic":"hi"}}"""u8.ToArray(), "j.dir-updated");
        Assert.Equal(("general", null), (updated.Channel.Name, updated.Channel.Category));
    }

    [Fact]
    public void Actor_references_resolve_to_the_same_actor()
    {
        var sample = new SubscribeChannel(Channel, User, "Ålice", TestActor, 50);
        var serializer = (ProtocolSerializer)Sys.Serialization.FindSerializerFor(sample);
        var back = (SubscribeChannel)serializer.FromBinary(serializer.ToBinary(sample), serializer.Manifest(sample));
        back.Subscriber.Tell("ping");
        ExpectMsg("ping");
    }

    [Fact]
    public void Unknown_manifests_and_malformed_payloads_are_refused_with_a_serialization_error()
    {
        var serializer = (ProtocolSerializer)Sys.Serialization.FindSerializerFor(GetChannels.Instance);
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "no-such"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{not json"u8.ToArray(), "ch.post"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("""{"Channel":"BAD ID"}"""u8.ToArray(), "ch.presence"));
    }
}
