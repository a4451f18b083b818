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

    /// <summary>Shortest admin key accepted; a shorter one stops the server at start.</summary>
    public const int MinAdminKeyLength = 32;

    /// <summary>The bearer key of the admin API (<c>/api/admin</c>), at least 32 characters; the API is off while this is unset.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Wrong admin keys one client address may present per minute before it is answered 429.</summary>
    public int AdminFailuresPerMinute { get; set; } = 5;

    /// <summary>Whether people may join with just a display name.</summary>
    public bool AllowGuests { get; set; } = true;

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Sessions one client address may create per minute.</summary>
    public int SessionsPerMinute { get; set; } = 20;

    public void Validate()
    {
        if (AdminKey is { Length: > 0 and < MinAdminKeyLength })
            throw new ArgumentException(
                $"OpenChat:Auth:AdminKey has {AdminKey.Length} characters; it needs at least {MinAdminKeyLength}. " +
                "Make a good one with `openssl rand -base64 32` and set it as OpenChat__Auth__AdminKey.");
        if (AdminFailuresPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(AdminFailuresPerMinute), "at least 1");
        if (TokenLifetime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(TokenLifetime), "must be positive");
        if (SessionsPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(SessionsPerMinute), "at least 1");
    }
}
