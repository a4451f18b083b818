namespace OpenChat.Protocol.Ids;

/// <summary>Identifies a user (a guest or an account) across sessions and nodes.</summary>
public readonly record struct UserId
{
    public const int MaxLength = 64;

    public string Value { get; }

    public UserId(string value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
            throw new ArgumentException("A user id has 1 to 64 characters.", nameof(value));
        Value = value;
    }

    /// <summary>Parses a user id as clients send it: 1 to 64 printable ASCII characters.</summary>
    public static bool TryParse(string? value, out UserId id)
    {
        id = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength) return false;
        foreach (var c in value)
        {
            if (c is < '!' or > '~') return false;
        }
        id = new UserId(value);
        return true;
    }

    /// <summary>A fresh id for a new guest.</summary>
    public static UserId NewGuest() => new("g-" + Guid.NewGuid().ToString("N")[..20]);

    public override string ToString() => Value ?? "";
}
