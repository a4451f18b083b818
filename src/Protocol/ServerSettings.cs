namespace OpenChat.Protocol;

/// <summary>Who may create an account: anyone, or only someone with an invite.</summary>
public enum JoinPolicy
{
    Open,
    Invite,
}

/// <summary>
/// The server's name and description and who may join it, as the directory stores them (the operator's configuration
/// until someone with manage server changes them).
/// </summary>
public sealed record ServerSettings(string Name, string Description, JoinPolicy JoinPolicy, bool GuestsAllowed)
{
    public const int MaxNameLength = 64;
    public const int MaxDescriptionLength = 500;
}
