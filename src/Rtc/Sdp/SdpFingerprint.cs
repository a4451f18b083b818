using System.Security.Cryptography;

namespace OpenChat.Rtc.Sdp;

/// <summary>A DTLS certificate fingerprint as in <c>a=fingerprint:sha-256 AB:CD:...</c> (RFC 8122).</summary>
public sealed record SdpFingerprint(string Algorithm, byte[] Value)
{
    /// <summary>Parses the attribute value (<c>sha-256 AB:CD:...</c>).</summary>
    public static bool TryParse(string text, out SdpFingerprint? fingerprint)
    {
        fingerprint = null;
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
        {
            return false;
        }
        string algorithm = parts[0].ToLowerInvariant();
        int expected = HashLength(algorithm);
        if (expected == 0)
        {
            return false;
        }
        var octets = parts[1].Split(':');
        if (octets.Length != expected)
        {
            return false;
        }
        var value = new byte[expected];
        for (int i = 0; i < expected; i++)
        {
            if (octets[i].Length != 2 || !byte.TryParse(octets[i], System.Globalization.NumberStyles.HexNumber, null, out value[i]))
            {
                return false;
            }
        }
        fingerprint = new SdpFingerprint(algorithm, value);
        return true;
    }

    /// <summary>Digest length for a supported hash name, 0 otherwise.</summary>
    public static int HashLength(string algorithm) => algorithm switch
    {
        "sha-1" => 20,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => 0,
    };

    /// <summary>Computes the fingerprint of a DER certificate with <paramref name="algorithm"/>.</summary>
    public static SdpFingerprint Compute(string algorithm, ReadOnlySpan<byte> derCertificate) => new(algorithm, algorithm switch
    {
        "sha-1" => SHA1.HashData(derCertificate),
        "sha-256" => SHA256.HashData(derCertificate),
        "sha-384" => SHA384.HashData(derCertificate),
        "sha-512" => SHA512.HashData(derCertificate),
        _ => throw new ArgumentException($"Unsupported fingerprint hash {algorithm}.", nameof(algorithm)),
    });

    /// <summary>True if <paramref name="derCertificate"/> hashes to this fingerprint (constant time).</summary>
    public bool Matches(ReadOnlySpan<byte> derCertificate) =>
        CryptographicOperations.FixedTimeEquals(Compute(Algorithm, derCertificate).Value, Value);

    /// <inheritdoc />
    public override string ToString() => $"{Algorithm} {Convert.ToHexString(Value).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b)}";
}
