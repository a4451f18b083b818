using System.Text.RegularExpressions;

namespace OpenChat.Protocol.Ids;

/// <summary>Identifies a channel: lowercase letters, digits and dashes, 1 to 64 characters.</summary>
public readonly partial record struct ChannelId
{
    public const int MaxLength = 64;

    public string Value { get; }

    public ChannelId(string value)
    {
        if (!IsValid(value))
            throw new ArgumentException($"'{value}' is not a valid channel id.", nameof(value));
        Value = value;
    }

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(value);

    public static bool TryParse(string? value, out ChannelId id)
    {
        if (IsValid(value))
        {
            id = new ChannelId(value!);
            return true;
        }
        id = default;
        return false;
    }

    /// <summary>A fresh random id for a channel created at run time.</summary>
    public static ChannelId NewRandom() => new("c-" + Guid.NewGuid().ToString("N")[..16]);

    public override string ToString() => Value ?? "";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
