namespace OpenChat.Channels.Accounts;

/// <summary>The accounts singleton's settings, bound from <c>OpenChat:Auth</c> (the gateway reads the same section).</summary>
public sealed class AccountsOptions
{
    /// <summary>
    /// The owner setup code for automated installs; when unset and the server has no owner, a random one is made at
    /// each start and written to the log.
    /// </summary>
    public string? SetupCode { get; set; }

    /// <summary>Failed sign-ins one account may have per <see cref="SignInFailureWindow"/> before further tries wait.</summary>
    public int SignInFailuresPerAccount { get; set; } = 5;

    /// <summary>Failed sign-ins (and setup or reset codes) one client address may have per <see cref="SignInFailureWindow"/>.</summary>
    public int SignInFailuresPerAddress { get; set; } = 20;

    /// <summary>The window over which failures are counted; the budget refills evenly over it.</summary>
    public TimeSpan SignInFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a password reset link stays valid.</summary>
    public TimeSpan ResetLinkLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most accounts the server keeps (registration answers "forbidden" beyond it).</summary>
    public int MaxAccounts { get; set; } = 100_000;

    public void Validate()
    {
        if (SetupCode is { Length: > 0 and < 12 })
            throw new ArgumentException("OpenChat:Auth:SetupCode needs at least 12 characters (make one with `openssl rand -hex 12`).");
        if (SignInFailuresPerAccount < 1) throw new ArgumentException("OpenChat:Auth:SignInFailuresPerAccount must be at least 1.");
        if (SignInFailuresPerAddress < 1) throw new ArgumentException("OpenChat:Auth:SignInFailuresPerAddress must be at least 1.");
        if (SignInFailureWindow < TimeSpan.FromSeconds(1)) throw new ArgumentException("OpenChat:Auth:SignInFailureWindow must be at least 1 second.");
        if (ResetLinkLifetime < TimeSpan.FromMinutes(1) || ResetLinkLifetime > TimeSpan.FromDays(30))
            throw new ArgumentException("OpenChat:Auth:ResetLinkLifetime must be between 1 minute and 30 days.");
        if (MaxAccounts < 1) throw new ArgumentException("OpenChat:Auth:MaxAccounts must be at least 1.");
    }
}
