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

    /// <summary>Trims a display name and checks it (2 to 32 characters, no control characters).</summary>
    public static string? NormalizeDisplayName(string? name, out string reason)
    {
        reason = "";
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is < MinDisplayName or > MaxDisplayName)
        {
            reason = $"A display name has {MinDisplayName} to {MaxDisplayName} characters.";
            return null;
        }
        if (trimmed.Any(char.IsControl))
        {
            reason = "A display name cannot contain control characters.";
            return null;
        }
        return trimmed;
    }

    /// <summary>Checks a channel name (1 to 32 characters, no control characters).</summary>
    public static string? NormalizeChannelName(string? name, out string reason)
    {
        reason = "";
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is < 1 or > ChannelInfo.MaxNameLength)
        {
            reason = $"A channel name has 1 to {ChannelInfo.MaxNameLength} characters.";
            return null;
        }
        if (trimmed.Any(char.IsControl))
        {
            reason = "A channel name cannot contain control characters.";
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
