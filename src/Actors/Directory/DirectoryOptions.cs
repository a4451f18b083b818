using OpenChat.Protocol.Ids;
using OpenChat.Protocol.Text;
using OpenChat.Protocol;

namespace OpenChat.Channels.Directory;

/// <summary>The server's channel list settings; bound from <c>OpenChat:Directory</c>.</summary>
public sealed class DirectoryOptions
{
    /// <summary>Channels created on the very first start. Later starts keep what is stored.</summary>
    public List<InitialChannel>? InitialChannels { get; set; }

    /// <summary>How many channels the server may have.</summary>
    public int MaxChannels { get; set; } = 500;

    public IReadOnlyList<InitialChannel> EffectiveInitialChannels =>
        InitialChannels is { Count: > 0 } configured
            ? configured
            : [new InitialChannel { Id = "general", Name = "general", Kind = ChannelKind.Text, Topic = "Say hello" },
               new InitialChannel { Id = "lounge", Name = "Lounge", Kind = ChannelKind.Voice, Topic = "" }];

    public void Validate()
    {
        if (MaxChannels < 1) throw new ArgumentOutOfRangeException(nameof(MaxChannels), "at least 1");
        var ids = new HashSet<string>();
        foreach (var c in EffectiveInitialChannels)
        {
            if (!ChannelId.IsValid(c.Id))
                throw new ArgumentException($"Initial channel id '{c.Id}' is not valid: lowercase letters, digits and dashes.");
            if (!ids.Add(c.Id)) throw new ArgumentException($"Initial channel id '{c.Id}' is used twice.");
            if (TextRules.NormalizeChannelName(c.Name, out var reason) is null)
                throw new ArgumentException($"Initial channel '{c.Id}': {reason}");
        }
    }
}

/// <summary>One channel of the initial configuration.</summary>
public sealed class InitialChannel
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public ChannelKind Kind { get; set; } = ChannelKind.Text;
    public string Topic { get; set; } = "";
}
