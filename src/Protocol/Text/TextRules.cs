using System.Globalization;
using System.Text;
using OpenChat.Protocol;

namespace OpenChat.Protocol.Text;

/// <summary>Validation of user-supplied text shared by the gateway and the channel entities.</summary>
public static class TextRules
{
    public const int MinDisplayName = 2;
    public const int MaxDisplayName = 32;

    /// <summary>Trims a message and checks it; returns null with a reason when it is not acceptable.</summary>
    public static string? NormalizeMessage(string? text, out string reason)
    {
        reason = "";
        if (text is null)
        {
            reason = "Text is required.";
            return null;
        }
        if (text.Length > ChatMessage.MaxTextLength * 2)
        {
            reason = $"Text is longer than {ChatMessage.MaxTextLength} characters.";
            return null;
        }
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            reason = "Text is empty.";
            return null;
        }
        if (trimmed.Length > ChatMessage.MaxTextLength)
        {
            reason = $"Text is longer than {ChatMessage.MaxTextLength} characters.";
            return null;
        }
        if (HasForbiddenControl(trimmed))
        {
            reason = "Text contains control characters.";
            return null;
        }
        return trimmed;
    }

    /// <summary>
    /// Checks a display name and returns it in its normal form (NFKC, trimmed; 2 to 32 characters). Refused: control
    /// and format characters, which covers the bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E/F,
    /// U+061C) and the zero-width ones (U+200B..U+200D, U+2060, U+FEFF); other invisible characters (fillers, the
    /// Mongolian vowel separator); private-use, unassigned and broken (unpaired surrogate) characters.
    /// Names need not be unique; <see cref="DisplayNameKey"/> tells whether two of them read alike.
    /// </summary>
    public static string? NormalizeDisplayName(string? name, out string reason)
    {
        reason = "";
        var trimmed = name?.Trim() ?? "";
        // Bound the work before normalising: NFKC may lengthen or shorten a name, but not by this much.
        if (trimmed.Length > MaxDisplayName * 4)
        {
            reason = $"A display name has {MinDisplayName} to {MaxDisplayName} characters.";
            return null;
        }
        if (FindUnsafeCharacter(trimmed) is { } bad)
        {
            reason = $"A display name cannot contain {bad}.";
            return null;
        }
        var normal = UnicodeNormalizer.ToNfkc(trimmed).Trim();
        if (normal.Length is < MinDisplayName or > MaxDisplayName)
        {
            reason = $"A display name has {MinDisplayName} to {MaxDisplayName} characters.";
            return null;
        }
        // Normalising can produce what the check refused (rare compatibility forms); check the result too.
        if (FindUnsafeCharacter(normal) is { } produced)
        {
            reason = $"A display name cannot contain {produced}.";
            return null;
        }
        return normal;
    }

    /// <summary>
    /// The form under which display names are compared: NFKC, case-folded, default-ignorable characters removed and
    /// runs of spaces collapsed. "Ａｌｉｃｅ", "alice" and "ALICE" share a key.
    /// </summary>
    public static string DisplayNameKey(string name)
    {
        var folded = UnicodeNormalizer.ToNfkcCasefold(name.Trim());
        return string.Join(' ', folded.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Whether two display names read alike (equal <see cref="DisplayNameKey"/>s).</summary>
    public static bool SameDisplayName(string a, string b) => string.Equals(DisplayNameKey(a), DisplayNameKey(b), StringComparison.Ordinal);

    /// <summary>A description of the first character a name may not contain, or null when there is none.</summary>
    public static string? FindUnsafeCharacter(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
                return $"a broken character at position {i + 1}";
            var what = Describe(rune);
            if (what is not null) return $"{what} (U+{rune.Value:X4})";
            i += consumed - 1;
        }
        return null;
    }

    private static string? Describe(Rune rune)
    {
        switch (rune.Value)
        {
            case 0x061C or 0x200E or 0x200F or (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069):
                return "a text direction control";
            case (>= 0x200B and <= 0x200D) or 0x2060 or 0xFEFF:
                return "a zero-width character";
            // Letters by category that render as nothing: Hangul fillers, the Mongolian vowel separator, braille blank.
            case 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x180E or 0x2800:
                return "an invisible character";
            // What a decoder puts where the input was broken.
            case 0xFFFD:
                return "a broken character";
        }
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => "a control character",
            UnicodeCategory.Format => "an invisible formatting character",
            UnicodeCategory.PrivateUse => "a private-use character",
            UnicodeCategory.OtherNotAssigned => "an unassigned character",
            UnicodeCategory.Surrogate => "a broken character",
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a line break",
            _ => null,
        };
    }

    /// <summary>Checks a channel name (1 to 32 characters, no control characters).</summary>
    public static string? NormalizeChannelName(string? name, out string reason) =>
        Label(name, 1, ChannelInfo.MaxNameLength, "A channel name", out reason);

    /// <summary>
    /// Checks a channel category as <see cref="NormalizeChannelName"/> checks names (up to 32 characters); an empty or
    /// blank one is the empty string (no category).
    /// </summary>
    public static string? NormalizeCategory(string? category, out string reason) =>
        Label(category, 0, ChannelInfo.MaxCategoryLength, "A category", out reason);

    /// <summary>Checks a server's name (1 to 64 characters, no control characters).</summary>
    public static string? NormalizeServerName(string? name, out string reason) =>
        Label(name, 1, ServerSettings.MaxNameLength, "A server name", out reason);

    /// <summary>Checks a server's description: up to 500 characters, line breaks allowed, no other control characters.</summary>
    public static string? NormalizeServerDescription(string? description, out string reason)
    {
        reason = "";
        var trimmed = description?.Trim() ?? "";
        if (trimmed.Length > ServerSettings.MaxDescriptionLength)
        {
            reason = $"A description has at most {ServerSettings.MaxDescriptionLength} characters.";
            return null;
        }
        if (FindUnsafeCharacter(trimmed.Replace("\r\n", " ").Replace('\n', ' ')) is { } bad)
        {
            reason = $"A description cannot contain {bad}.";
            return null;
        }
        return trimmed.Replace("\r\n", "\n");
    }

    /// <summary>A short label, trimmed: <paramref name="min"/> to <paramref name="max"/> characters, none of them unsafe.</summary>
    private static string? Label(string? text, int min, int max, string what, out string reason)
    {
        reason = "";
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length < min || trimmed.Length > max)
        {
            reason = min == 0 ? $"{what} has at most {max} characters." : $"{what} has {min} to {max} characters.";
            return null;
        }
        if (FindUnsafeCharacter(trimmed) is { } bad)
        {
            reason = $"{what} cannot contain {bad}.";
            return null;
        }
        return trimmed;
    }

    private static bool HasForbiddenControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t')) return true;
        }
        return false;
    }
}
