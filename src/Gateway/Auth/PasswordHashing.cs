using Microsoft.AspNetCore.Identity;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Hashes and verifies passwords with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2 with
/// HMAC-SHA512, a random salt, its format versioned so that the work factor can grow: a hash of an older format is
/// reported for rehashing). The work is deliberately slow, so one gateway computes at most
/// <see cref="AuthOptions.ConcurrentPasswordHashes"/> at once and a request that cannot get a turn within a few
/// seconds is answered "busy" rather than queued without bound.
/// </summary>
public sealed class PasswordHashing
{
    private static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(5);
    private readonly PasswordHasher<object> _hasher = new();
    private readonly SemaphoreSlim _turns;
    // Verified when the account does not exist, so that an unknown name takes as long as a wrong password.
    private readonly string _decoy;

    public PasswordHashing(AuthOptions options)
    {
        _turns = new SemaphoreSlim(options.ConcurrentPasswordHashes);
        _decoy = _hasher.HashPassword(this, Guid.NewGuid().ToString());
    }

    /// <summary>Too many hashes are being computed on this gateway.</summary>
    public sealed class BusyException() : Exception("The server is busy checking passwords; try again in a moment.");

    public async Task<string> HashAsync(string password)
    {
        await Turn();
        try
        {
            return _hasher.HashPassword(this, password);
        }
        finally
        {
            _turns.Release();
        }
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/> (false for a null hash, after the same work), and the hash to store instead when the format is old.</summary>
    public async Task<(bool Matches, string? Rehashed)> VerifyAsync(string? hash, string password)
    {
        await Turn();
        try
        {
            var result = _hasher.VerifyHashedPassword(this, string.IsNullOrEmpty(hash) ? _decoy : hash, password);
            if (string.IsNullOrEmpty(hash)) return (false, null);
            return result switch
            {
                PasswordVerificationResult.Success => (true, null),
                PasswordVerificationResult.SuccessRehashNeeded => (true, _hasher.HashPassword(this, password)),
                _ => (false, null),
            };
        }
        catch (FormatException)
        {
            return (false, null);
        }
        finally
        {
            _turns.Release();
        }
    }

    private async Task Turn()
    {
        if (!await _turns.WaitAsync(TurnWait)) throw new BusyException();
    }
}
