using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenChat.Gateway.Hub;

namespace OpenChat.Gateway.Turn;

/// <summary>
/// Hands out the ICE servers of <see cref="TurnOptions"/> with short-lived TURN credentials, as the TURN REST API
/// (draft-uberti-behave-turn-rest) and coturn's <c>use-auth-secret</c> define them: the username is
/// <c>&lt;unix expiry&gt;:&lt;user id&gt;</c>, the password base64(HMAC-SHA1(secret, username)). The TURN server needs
/// no database: it recomputes the password from the username, and refuses a username whose time has passed.
/// </summary>
public sealed class TurnCredentials
{
    private readonly byte[] _secret;
    private readonly string[] _turn;
    private readonly string[] _stun;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    public TurnCredentials(IOptions<TurnOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _secret = Encoding.UTF8.GetBytes(o.TurnSecret ?? "");
        _turn = o.TurnServers.Where(TurnOptions.IsTurnUrl).ToArray();
        _stun = o.TurnServers.Where(u => !TurnOptions.IsTurnUrl(u)).ToArray();
        _lifetime = o.TurnCredentialLifetime;
        _time = time;
    }

    /// <summary>The ICE servers for <paramref name="user"/>: TURN URLs with a credential of their own, STUN URLs without.</summary>
    public IceServersDto For(string user)
    {
        var servers = new List<IceServerDto>(2);
        if (_stun.Length > 0) servers.Add(new IceServerDto(_stun, null, null));
        if (_turn.Length == 0) return new IceServersDto(servers.ToArray(), null, null);
        // Whole seconds: coturn compares the username's timestamp with its clock in seconds.
        var expires = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds() + (long)_lifetime.TotalSeconds);
        var username = Username(expires, user);
        servers.Add(new IceServerDto(_turn, username, Password(_secret, username)));
        return new IceServersDto(servers.ToArray(), expires, (int)_lifetime.TotalSeconds);
    }

    /// <summary>The TURN REST API username: expiry in Unix seconds, a colon, the user id.</summary>
    public static string Username(DateTimeOffset expires, string user) => $"{expires.ToUnixTimeSeconds()}:{user}";

    /// <summary>base64(HMAC-SHA1(secret, username)), coturn's <c>use-auth-secret</c> password.</summary>
    public static string Password(ReadOnlySpan<byte> secret, string username) =>
        Convert.ToBase64String(HMACSHA1.HashData(secret, Encoding.UTF8.GetBytes(username)));
}
