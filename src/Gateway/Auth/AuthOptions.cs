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

    /// <summary>
    /// The signing key ring: the first key signs new tokens, every key verifies. To rotate, put a new key first and
    /// keep the old one until <see cref="TokenLifetime"/> has passed; nobody is signed out. Each entry has an
    /// <c>Id</c> (written into tokens) and a base64 <c>Key</c> or a <c>KeyFile</c> holding it.
    /// </summary>
    public List<SigningKeyOptions> SigningKeys { get; set; } = [];

    /// <summary>Shortest admin key accepted; a shorter one stops the server at start.</summary>
    public const int MinAdminKeyLength = 32;

    /// <summary>The bearer key of the admin API (<c>/api/admin</c>), at least 32 characters; the API is off while this is unset.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Wrong admin keys one client address may present per minute before it is answered 429.</summary>
    public int AdminFailuresPerMinute { get; set; } = 5;

    /// <summary>Whether people may join with just a display name.</summary>
    public bool AllowGuests { get; set; } = true;

    /// <summary>Whether people may register accounts themselves.</summary>
    public bool AllowRegistration { get; set; } = true;

    /// <summary>How long one token is valid; clients renew it before then.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a session lasts at most, however often it is renewed: after this the user signs in again (a guest
    /// becomes a new guest).
    /// </summary>
    public TimeSpan MaxSessionAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Password hashes (sign-ins, registrations) one gateway computes at once; more wait, briefly.</summary>
    public int ConcurrentPasswordHashes { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Sessions one client address may create per minute.</summary>
    public int SessionsPerMinute { get; set; } = 20;

    public void Validate()
    {
        if (AdminKey is { Length: > 0 and < MinAdminKeyLength })
            throw new ArgumentException(
                $"OpenChat:Auth:AdminKey has {AdminKey.Length} characters; it needs at least {MinAdminKeyLength}. " +
                "Make a good one with `openssl rand -base64 32` and set it as OpenChat__Auth__AdminKey.");
        if (AdminFailuresPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(AdminFailuresPerMinute), "at least 1");
        if (TokenLifetime < TimeSpan.FromSeconds(5)) throw new ArgumentException("OpenChat:Auth:TokenLifetime must be at least 5 seconds.");
        if (MaxSessionAge < TokenLifetime) throw new ArgumentException("OpenChat:Auth:MaxSessionAge must be at least OpenChat:Auth:TokenLifetime.");
        if (ConcurrentPasswordHashes < 1) throw new ArgumentException("OpenChat:Auth:ConcurrentPasswordHashes must be at least 1.");
        if (SessionsPerMinute < 1) throw new ArgumentOutOfRangeException(nameof(SessionsPerMinute), "at least 1");
    }
}

/// <summary>One key of <see cref="AuthOptions.SigningKeys"/>.</summary>
public sealed class SigningKeyOptions
{
    public string? Id { get; set; }

    public string? Key { get; set; }

    public string? KeyFile { get; set; }
}
