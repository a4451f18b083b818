namespace OpenChat.TestSupport;

// The wire contract as a client sees it (docs/protocol.md). Deliberately not the server's own types:
// a test that used them could not notice a change to the JSON.

public sealed record ChannelDto(string Id, string Name, string Kind, int Position, string Topic, string[]? Permissions = null, string? Category = null);

/// <summary>
/// A message as the client receives it. Equal by value, mentions included: a missing <c>mentions</c> (a gateway of the
/// release before mentions) equals an empty list.
/// </summary>
public sealed record MessageDto(long Id, string ChannelId, string AuthorId, string AuthorName, string Text, DateTimeOffset SentAt,
    DateTimeOffset? EditedAt = null, long? ReplyTo = null, MentionDto[]? Mentions = null)
{
    public bool Equals(MessageDto? other) =>
        other is not null && Id == other.Id && ChannelId == other.ChannelId && AuthorId == other.AuthorId && AuthorName == other.AuthorName
        && Text == other.Text && SentAt == other.SentAt && EditedAt == other.EditedAt && ReplyTo == other.ReplyTo
        && (Mentions ?? []).SequenceEqual(other.Mentions ?? []);

    public override int GetHashCode() => HashCode.Combine(Id, ChannelId, AuthorId, Text, SentAt, EditedAt, ReplyTo);
}

public sealed record MentionDto(string UserId, string Name);

public sealed record MemberDto(string UserId, string DisplayName);

public sealed record ChannelViewDto(ChannelDto Channel, MemberDto[] Online, MessageDto[] Messages, bool HasMore, VoiceMemberDto[] Voice);

public sealed record VoiceMemberDto(string UserId, string DisplayName, bool Muted, bool Deafened, bool Speaking, bool Suppressed = false, bool ServerDeafened = false, bool ServerMuted = false);

public sealed record VoiceJoinedDto(string ChannelId, string? SdpAnswer, VoiceMemberDto[] Members);

public sealed record HistoryDto(string ChannelId, MessageDto[] Messages, bool HasMore);

public sealed record UserDto(string Id, string DisplayName);

public sealed record SessionDto(string Token, string UserId, string DisplayName, DateTimeOffset ExpiresAt, string Kind = "guest", string? Username = null, bool Owner = false);

public sealed record PermissionsDto(string[] Server, bool Owner, string[] Roles, DateTimeOffset? TimedOutUntil = null, string? TimeOutReason = null);
