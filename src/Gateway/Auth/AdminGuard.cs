using System.Security.Cryptography;
using System.Text;
using OpenChat.Gateway.Edge;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// Checks admin keys: both sides are reduced to SHA-256 digests and compared in constant time, so neither the key's
/// length nor a matching prefix shows in the timing; a client address that keeps presenting wrong keys is refused
/// for a while (<see cref="AuthOptions.AdminFailuresPerMinute"/>).
/// </summary>
public sealed class AdminGuard
{
    private readonly byte[]? _digest;
    private readonly KeyedBudget _failures;

    public AdminGuard(AuthOptions options, TimeProvider time)
    {
        _digest = string.IsNullOrEmpty(options.AdminKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.AdminKey));
        _failures = new KeyedBudget(options.AdminFailuresPerMinute, TimeSpan.FromMinutes(1), time);
    }

    public bool Enabled => _digest is not null;

    /// <summary>Whether an address has failed too often lately; then how long until it may try again.</summary>
    public bool IsThrottled(string address, out TimeSpan retryAfter) => !_failures.HasRemaining(address, out retryAfter);

    /// <summary>Whether <paramref name="given"/> is the admin key; a wrong key counts against <paramref name="address"/>.</summary>
    public bool Check(string given, string address)
    {
        if (_digest is null) return false;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(given), digest);
        if (CryptographicOperations.FixedTimeEquals(digest, _digest)) return true;
        _failures.TryTake(address, out _);
        return false;
    }
}
