namespace OpenChat.Gateway.Auth;

/// <summary>Identity settings; bound from <c>OpenChat:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "OpenChat:Auth";

    /// <summary>
    /// Base64 key (at least 32 bytes) that signs session tokens. Every gateway of a cluster needs the same one.
    /// When unset, a key is generated once and kept in the data directory.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Whether people may join with just a display name.</summary>
    public bool AllowGuests { get; set; } = true;

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Sessions one client address may create per minute.</summary>
    public int SessionsPerMinute { get; set; } = 20;
}
