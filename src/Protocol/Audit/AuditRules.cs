namespace OpenChat.Protocol.Audit;

/// <summary>
/// The bounds of an audit entry: an action and a target kind are short lowercase words (refused otherwise, they come
/// from code); names, ids, reasons and details are cut to their limits rather than refused, so an action is never left
/// unrecorded for a long name.
/// </summary>
public static class AuditRules
{
    public const int MaxActionLength = 40;
    public const int MaxKindLength = 16;
    public const int MaxIdLength = 100;
    public const int MaxNameLength = 100;
    public const int MaxReasonLength = 512;
    public const int MaxDetailLength = 200;
    public const int MaxKeyLength = 64;

    /// <summary>The record within bounds, or null (with why) when its action, target kind or key is not acceptable.</summary>
    public static RecordAudit? Bounded(RecordAudit record, out string problem)
    {
        problem = "";
        if (!IsWord(record.Action, MaxActionLength, allowDots: true))
            problem = $"An action is 1 to {MaxActionLength} lowercase letters, digits, '.' or '-'.";
        else if (!IsWord(record.Target?.Kind, MaxKindLength, allowDots: false))
            problem = $"A target kind is 1 to {MaxKindLength} lowercase letters.";
        else if (string.IsNullOrEmpty(record.Key) || record.Key.Length > MaxKeyLength)
            problem = $"A record key has 1 to {MaxKeyLength} characters.";
        else if (record.Actor is null || string.IsNullOrEmpty(record.Actor.Id) || string.IsNullOrEmpty(record.Target!.Id))
            problem = "An entry names its actor and its target.";
        if (problem.Length > 0) return null;
        return record with
        {
            Actor = new AuditActor(Cut(record.Actor!.Id, MaxIdLength)!, Cut(record.Actor.Name, MaxNameLength) ?? record.Actor.Id),
            Target = new AuditSubject(record.Target!.Kind, Cut(record.Target.Id, MaxIdLength)!, Cut(record.Target.Name, MaxNameLength)),
            Reason = Cut(record.Reason, MaxReasonLength),
            Detail = Cut(record.Detail, MaxDetailLength),
        };
    }

    /// <summary>Trimmed, null when blank, at most <paramref name="max"/> characters (not splitting a surrogate pair; "…" marks a cut).</summary>
    public static string? Cut(string? text, int max)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (text.Length <= max) return text;
        var end = max - 1;
        if (char.IsHighSurrogate(text[end - 1])) end--;
        return string.Concat(text.AsSpan(0, end), "…");
    }

    private static bool IsWord(string? s, int max, bool allowDots)
    {
        if (string.IsNullOrEmpty(s) || s.Length > max) return false;
        foreach (var c in s)
        {
            if (c is >= 'a' and <= 'z') continue;
            if (allowDots && (c is >= '0' and <= '9' or '.' or '-')) continue;
            return false;
        }
        return true;
    }
}
