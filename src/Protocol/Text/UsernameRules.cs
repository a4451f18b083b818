using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace OpenChat.Protocol.Text;

/// <summary>
/// Usernames of accounts: 2 to 32 characters after NFKC; letters and digits of one script, with <c>_ . -</c>.
/// Two names are the same name when their <see cref="Key"/>s are equal: case and width do not count, and characters
/// that render alike (Latin <c>a</c> and Cyrillic <c>а</c>, <c>0</c> and <c>o</c>, <c>l</c>, <c>1</c> and <c>I</c>)
/// fold to one. The key also keeps guests from taking a registered name as their display name.
/// </summary>
public static class UsernameRules
{
    public const int MinLength = 2;
    public const int MaxLength = 32;
    public const int MinPassword = 8;
    public const int MaxPassword = 128;

    public const string Rule = "A username has 2 to 32 letters or digits of one script, and may use _ . - between them.";

    /// <summary>The name in its stored form (NFKC, trimmed), or null with the reason it is refused.</summary>
    public static string? Normalize(string? name, out string reason)
    {
        reason = Rule;
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxLength * 4) return null;
        if (TextRules.FindUnsafeCharacter(trimmed) is not null) return null;
        var normal = UnicodeNormalizer.ToNfkc(trimmed);
        if (normal.Length is < MinLength or > MaxLength) return null;

        string? script = null;
        var previousWasPunctuation = true; // no punctuation first, none doubled
        for (var i = 0; i < normal.Length; i++)
        {
            if (Rune.DecodeFromUtf16(normal.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done) return null;
            i += consumed - 1;
            if (rune.Value is '_' or '.' or '-')
            {
                if (previousWasPunctuation) return null;
                previousWasPunctuation = true;
                continue;
            }
            previousWasPunctuation = false;
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.DecimalDigitNumber)
            {
                // Digits of another script look like letters or other digits: ASCII digits only.
                if (rune.Value is < '0' or > '9') return null;
                continue;
            }
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                if (i == 0) return null;
                continue;
            }
            if (category is not (UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter))
                return null;
            var s = ScriptOf(rune.Value);
            if (script is null) script = s;
            else if (!Compatible(script, s)) return null;
        }
        if (previousWasPunctuation) return null;
        reason = "";
        return normal;
    }

    /// <summary>
    /// The comparison key of a normalized name: NFKC case-folded, then look-alike characters replaced by one
    /// representative (Cyrillic and Greek letters that render as Latin ones, <c>0</c> as <c>o</c>, <c>1</c> and
    /// <c>l</c> as <c>i</c>, <c>rn</c> as <c>m</c>, <c>vv</c> as <c>w</c>), then marks on those removed.
    /// </summary>
    public static string Key(string name)
    {
        var folded = UnicodeNormalizer.ToNfkcCasefold(name.Trim());
        var builder = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark) continue;
            builder.Append(LookAlike.TryGetValue(c, out var latin) ? latin : c);
        }
        return builder.Replace("rn", "m").Replace("vv", "w").ToString();
    }

    /// <summary>Whether two names are the same name.</summary>
    public static bool Same(string a, string b) => string.Equals(Key(a), Key(b), StringComparison.Ordinal);

    /// <summary>Checks a new password: 8 to 128 characters, not the username.</summary>
    public static bool IsAcceptablePassword(string? password, string username, out string reason)
    {
        reason = "";
        if (password is null || password.Length < MinPassword)
        {
            reason = $"A password has at least {MinPassword} characters.";
            return false;
        }
        if (password.Length > MaxPassword)
        {
            reason = $"A password has at most {MaxPassword} characters.";
            return false;
        }
        if (Same(password, username) || password.Contains(username, StringComparison.OrdinalIgnoreCase))
        {
            reason = "A password cannot contain the username.";
            return false;
        }
        return true;
    }

    /// <summary>Case-folded characters that render like a Latin letter, and that letter.</summary>
    private static readonly FrozenDictionary<char, char> LookAlike = new Dictionary<char, char>
    {
        ['0'] = 'o', ['1'] = 'i', ['l'] = 'i', ['ı'] = 'i',
        // Cyrillic (case-folded)
        ['а'] = 'a', ['в'] = 'b', ['е'] = 'e', ['ё'] = 'e', ['к'] = 'k', ['м'] = 'm', ['н'] = 'h', ['о'] = 'o', ['р'] = 'p',
        ['с'] = 'c', ['т'] = 't', ['у'] = 'y', ['х'] = 'x', ['ѕ'] = 's', ['і'] = 'i', ['ї'] = 'i', ['ј'] = 'j', ['ԁ'] = 'd',
        ['һ'] = 'h', ['ӏ'] = 'i', ['ԛ'] = 'q', ['ԝ'] = 'w', ['ү'] = 'y', ['ɡ'] = 'g', ['ь'] = 'b',
        // Greek (case-folded)
        ['α'] = 'a', ['β'] = 'b', ['ε'] = 'e', ['ζ'] = 'z', ['η'] = 'n', ['ι'] = 'i', ['κ'] = 'k', ['μ'] = 'u', ['ν'] = 'v',
        ['ο'] = 'o', ['ρ'] = 'p', ['τ'] = 't', ['υ'] = 'u', ['χ'] = 'x', ['ω'] = 'w', ['ϲ'] = 'c', ['ϳ'] = 'j',
    }.ToFrozenDictionary();

    private static string ScriptOf(int c) => c switch
    {
        <= 0x024F or (>= 0x1E00 and <= 0x1EFF) or (>= 0x2C60 and <= 0x2C7F) or (>= 0xA720 and <= 0xA7FF) => "Latin",
        >= 0x0370 and <= 0x03FF or (>= 0x1F00 and <= 0x1FFF) => "Greek",
        >= 0x0400 and <= 0x052F or (>= 0x2DE0 and <= 0x2DFF) or (>= 0xA640 and <= 0xA69F) => "Cyrillic",
        >= 0x0530 and <= 0x058F => "Armenian",
        >= 0x0590 and <= 0x05FF => "Hebrew",
        >= 0x0600 and <= 0x06FF or (>= 0x0750 and <= 0x077F) => "Arabic",
        >= 0x0900 and <= 0x097F => "Devanagari",
        >= 0x0E00 and <= 0x0E7F => "Thai",
        >= 0x10A0 and <= 0x10FF => "Georgian",
        >= 0x3040 and <= 0x30FF or (>= 0x31F0 and <= 0x31FF) => "Kana",
        >= 0x1100 and <= 0x11FF or (>= 0xAC00 and <= 0xD7AF) or (>= 0x3130 and <= 0x318F) => "Hangul",
        >= 0x4E00 and <= 0x9FFF or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2FFFF) => "Han",
        _ => "Other:" + (c >> 8),
    };

    /// <summary>One script per name; Han mixes with Kana (Japanese) and with Hangul (Korean), as people write.</summary>
    private static bool Compatible(string first, string next) =>
        first == next
        || (first, next) is ("Han", "Kana") or ("Kana", "Han") or ("Han", "Hangul") or ("Hangul", "Han");
}
