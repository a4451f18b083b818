namespace OpenChat.SimulatedClients.Members;

// The client contract of docs/protocol.md as the simulated members read it. Kept internal (and apart from the server's
// own types) so that the names cannot clash with test code that has its own copies.

internal sealed record SessionWire(string Token, string UserId, string DisplayName, DateTimeOffset ExpiresAt);

internal sealed record VoiceMemberWire(string UserId, string DisplayName, bool Muted, bool Deafened, bool Speaking);

internal sealed record VoiceJoinedWire(string ChannelId, string? SdpAnswer, VoiceMemberWire[]? Members);
