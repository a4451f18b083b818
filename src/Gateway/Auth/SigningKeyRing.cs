using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace OpenChat.Gateway.Auth;

/// <summary>
/// The keys that sign session tokens, each with an id written into the tokens it signs. The first signs; all verify,
/// so a new key can be put first while tokens signed by the previous one keep working until they expire.
/// </summary>
public sealed partial class SigningKeyRing
{
    public const string DefaultKeyId = "k1";
    private readonly (string Id, byte[] Key)[] _keys;

    public SigningKeyRing(IEnumerable<(string Id, byte[] Key)> keys)
    {
        _keys = keys.ToArray();
        if (_keys.Length == 0) throw new ArgumentException("At least one signing key is needed.", nameof(keys));
        foreach (var (id, key) in _keys)
        {
            if (!IsValidId(id)) throw new ArgumentException($"Signing key id '{id}' must be 1 to 32 letters, digits, '-' or '_'.");
            if (key.Length < 32) throw new ArgumentException($"Signing key '{id}' must have at least 32 bytes.");
        }
        var duplicate = _keys.GroupBy(k => k.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Signing key id '{duplicate.Key}' is used twice.");
    }

    /// <summary>The key new tokens are signed with.</summary>
    public (string Id, byte[] Key) Current => _keys[0];

    public IEnumerable<byte[]> All => _keys.Select(k => k.Key);

    public IEnumerable<string> Ids => _keys.Select(k => k.Id);

    public bool TryGet(string id, out byte[] key)
    {
        foreach (var (keyId, value) in _keys)
        {
            if (keyId == id)
            {
                key = value;
                return true;
            }
        }
        key = [];
        return false;
    }

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex IdPattern();

    /// <summary>
    /// The configured ring (<c>OpenChat:Auth:SigningKeys</c>, then <c>SigningKey</c> as key <c>k1</c>), or a key generated
    /// on first start and kept (owner-only) in the data directory as <c>k1</c>.
    /// </summary>
    public static SigningKeyRing Load(AuthOptions options, string dataDirectory)
    {
        var keys = new List<(string, byte[])>();
        for (var i = 0; i < options.SigningKeys.Count; i++)
        {
            var entry = options.SigningKeys[i];
            var setting = $"OpenChat:Auth:SigningKeys:{i}";
            if (!IsValidId(entry.Id)) throw new InvalidOperationException($"{setting}:Id must be 1 to 32 letters, digits, '-' or '_'.");
            var text = entry.Key;
            if (string.IsNullOrWhiteSpace(text) && !string.IsNullOrWhiteSpace(entry.KeyFile))
                text = File.ReadAllText(entry.KeyFile).Trim();
            keys.Add((entry.Id!, Decode(text, $"{setting}:Key")));
        }
        if (!string.IsNullOrWhiteSpace(options.SigningKey) && keys.All(k => k.Item1 != DefaultKeyId))
            keys.Add((DefaultKeyId, Decode(options.SigningKey, "OpenChat:Auth:SigningKey")));
        if (keys.Count == 0) keys.Add((DefaultKeyId, LoadOrCreateFile(dataDirectory)));
        return new SigningKeyRing(keys);
    }

    private static byte[] Decode(string? base64, string setting)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64 ?? "");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{setting} must be base64.");
        }
        if (key.Length < 32) throw new InvalidOperationException($"{setting} must decode to at least 32 bytes (make one with `openssl rand -base64 32`).");
        return key;
    }

    private static byte[] LoadOrCreateFile(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "signing.key");
        if (File.Exists(path))
        {
            var stored = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (stored.Length >= 32) return stored;
        }
        var key = RandomNumberGenerator.GetBytes(32);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
        return key;
    }
}
