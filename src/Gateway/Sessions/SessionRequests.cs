using OpenChat.Protocol.Ids;

namespace OpenChat.Gateway.Sessions;

/// <summary>Hub to session: open a channel (subscribe and fetch the newest messages). Answered with a <see cref="Hub.ChannelViewDto"/>.</summary>
internal sealed record OpenChannelRequest(ChannelId Channel);

/// <summary>Hub to session: close a channel. Answered with <see cref="Protocol.Events.Unsubscribed"/>.</summary>
internal sealed record CloseChannelRequest(ChannelId Channel);

/// <summary>Hub to session: post a message, subject to the post limit. Answered by the channel.</summary>
internal sealed record PostRequest(ChannelId Channel, string Text, string Nonce, long? ReplyTo = null);

/// <summary>Session to itself: the channel entity moved; subscribe again.</summary>
internal sealed record Resubscribe(ChannelId Channel, int Attempt);

/// <summary>Hub to session: a request about the connection's voice membership. They are handled one at a time, in order.</summary>
internal interface IVoiceRequest;

/// <summary>
/// Hub to session: join (or renegotiate in) a voice channel. Answered by the channel with a <see cref="Protocol.Voice.VoiceJoined"/>.
/// The hub completes <paramref name="AnswerTaken"/> once it has the answer (or gave up waiting): the channel's voice
/// events that follow the answer are pushed only then, so the client gets them after the member list in it.
/// </summary>
internal sealed record JoinVoiceRequest(ChannelId Channel, string SdpOffer, bool Muted, bool Deafened, Task? AnswerTaken = null, string? ClientAddress = null,
    string? TraceParent = null) : IVoiceRequest;

/// <summary>Hub to session: bind this connection to the user's voice membership. Answered by the channel; <paramref name="AnswerTaken"/> as for a join.</summary>
internal sealed record ResumeVoiceRequest(ChannelId Channel, Task? AnswerTaken = null) : IVoiceRequest;

/// <summary>Hub to session: leave voice. Answered with <see cref="Protocol.Voice.VoiceLeft"/>.</summary>
internal sealed record LeaveVoiceRequest : IVoiceRequest;

/// <summary>Hub to session: set mute and deafen. Answered by the channel.</summary>
internal sealed record SetVoiceStateRequest(bool Muted, bool Deafened) : IVoiceRequest;

/// <summary>Hub to session: set another member's volume in this user's mix. Answered by the channel.</summary>
internal sealed record SetMemberVolumeRequest(UserId Target, float Volume) : IVoiceRequest;
