namespace OpenChat.Protocol;

/// <summary>Why a command was refused. The wire names are in <see cref="ErrorCodes"/>.</summary>
public enum ErrorCode
{
    InvalidArgument = 1,
    UnknownChannel = 2,
    WrongChannelKind = 3,
    InvalidText = 4,
    RateLimited = 5,
    Unavailable = 6,
    Forbidden = 8,
    NameTaken = 9,
    NotInVoice = 10,
    VoiceFull = 11,
    UnknownRole = 12,
    UnknownUser = 13,
    UnknownMessage = 14,
    InviteRequired = 30,
    InviteInvalid = 31,
    TooManyConnections = 20,
}

/// <summary>Stable snake_case names for error codes, as clients see them.</summary>
public static class ErrorCodes
{
    public static string WireName(this ErrorCode code) => code switch
    {
        ErrorCode.InvalidArgument => "invalid_argument",
        ErrorCode.UnknownChannel => "unknown_channel",
        ErrorCode.WrongChannelKind => "wrong_channel_kind",
        ErrorCode.InvalidText => "invalid_text",
        ErrorCode.RateLimited => "rate_limited",
        ErrorCode.Unavailable => "unavailable",
        ErrorCode.Forbidden => "forbidden",
        ErrorCode.NameTaken => "name_taken",
        ErrorCode.NotInVoice => "not_in_voice",
        ErrorCode.VoiceFull => "voice_full",
        ErrorCode.UnknownRole => "unknown_role",
        ErrorCode.UnknownUser => "unknown_user",
        ErrorCode.UnknownMessage => "unknown_message",
        ErrorCode.InviteRequired => "invite_required",
        ErrorCode.InviteInvalid => "invite_invalid",
        ErrorCode.TooManyConnections => "too_many_connections",
        _ => "error",
    };
}
