using System.Collections.Concurrent;

namespace OpenChat.SimulatedClients.Members;

/// <summary>A voice channel's members as the server last described them: from join and resume answers, then its events.</summary>
internal sealed class VoiceRoster
{
    private readonly ConcurrentDictionary<string, VoiceRosterEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>The members, by display name.</summary>
    public IReadOnlyList<VoiceRosterEntry> Entries => _entries.Values.OrderBy(e => e.DisplayName, StringComparer.Ordinal).ToArray();

    public bool Contains(string userId) => _entries.ContainsKey(userId);

    /// <summary>A member joined or changed (<c>VoiceMemberJoined</c>, <c>VoiceMemberUpdated</c>).</summary>
    public void Set(VoiceMemberWire member) => _entries[member.UserId] = ToEntry(member);

    public void Remove(string userId) => _entries.TryRemove(userId, out _);

    public void SetSpeaking(string userId, bool speaking)
    {
        if (_entries.TryGetValue(userId, out var entry)) _entries[userId] = entry with { Speaking = speaking };
    }

    /// <summary>The whole list, as a <c>JoinVoice</c> or <c>ResumeVoice</c> answer gives it.</summary>
    public void Replace(VoiceMemberWire[]? members)
    {
        var entries = (members ?? []).Select(ToEntry).ToArray();
        foreach (var key in _entries.Keys)
        {
            if (!entries.Any(e => e.UserId == key)) _entries.TryRemove(key, out _);
        }
        foreach (var entry in entries) _entries[entry.UserId] = entry;
    }

    private static VoiceRosterEntry ToEntry(VoiceMemberWire m) => new(m.UserId, m.DisplayName, m.Muted, m.Deafened, m.Speaking);
}
