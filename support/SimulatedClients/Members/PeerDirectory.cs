using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// The simulated members paced by one clock, by voice channel: a member learns from it who else in its channel is
/// talking at a given frame, since every member's signal is a function of the shared frame number.
/// </summary>
internal sealed class PeerDirectory
{
    private static readonly ConditionalWeakTable<FrameClock, PeerDirectory> Directories = new();
    private readonly ConcurrentDictionary<string, SimulatedMember[]> _byChannel = new(StringComparer.Ordinal);

    public static PeerDirectory For(FrameClock clock) => Directories.GetValue(clock, _ => new PeerDirectory());

    public SimulatedMember[] InChannel(string channelId) => _byChannel.TryGetValue(channelId, out var members) ? members : [];

    public void Add(SimulatedMember member) =>
        _byChannel.AddOrUpdate(member.ChannelId, _ => [member], (_, members) => members.Contains(member) ? members : [.. members, member]);

    public void Remove(SimulatedMember member) =>
        _byChannel.AddOrUpdate(member.ChannelId, _ => [], (_, members) => members.Where(m => m != member).ToArray());
}
