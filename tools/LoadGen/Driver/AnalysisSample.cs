using System.Globalization;

namespace OpenChat.LoadGen.Driver;

/// <summary>
/// Which members decode and analyse what they hear (<c>--analyse</c>); the others only count it
/// (<see cref="SimulatedClients.ListenerAnalysis.Count"/>): packets, loss, gaps by arrival, underruns. By default
/// everyone is analysed. Otherwise each room analyses <see cref="Listeners"/> of its listeners (or
/// <see cref="ListenerShare"/> of them, rounded up), at least one, the lowest seats first; a listener hears every
/// talker of its room, so every talker's tone is still checked in every room. A room without listeners analyses its
/// talkers, who check each other. Talkers are counted otherwise, unless <see cref="Talkers"/>: only an analysed
/// talker can tell whether it hears its own tone.
/// </summary>
internal sealed record AnalysisSample(int? Listeners, double? ListenerShare, bool Talkers)
{
    public static readonly AnalysisSample Everyone = new(null, null, true);

    public bool IsEveryone => Listeners is null && ListenerShare is null;

    /// <summary><c>N</c> listeners per room, or <c>P%</c> of them.</summary>
    public static AnalysisSample Parse(string text, bool talkers)
    {
        if (text.EndsWith('%'))
        {
            double share = double.Parse(text[..^1], CultureInfo.InvariantCulture);
            if (share is <= 0 or > 100 || double.IsNaN(share)) throw new ArgumentException("--analyse P% needs 0 < P <= 100");
            return new AnalysisSample(null, share / 100, talkers);
        }
        int n = int.Parse(text, CultureInfo.InvariantCulture);
        if (n < 1) throw new ArgumentException("--analyse needs at least 1 listener per room");
        return new AnalysisSample(n, null, talkers);
    }

    /// <summary>
    /// Whether member <paramref name="index"/> is analysed when member <c>i</c> sits in room <c>i mod rooms</c> at
    /// seat <c>i / rooms</c>, and seats below <paramref name="talkersPerRoom"/> talk.
    /// </summary>
    public bool Analyses(int index, int members, int rooms, int talkersPerRoom)
    {
        if (IsEveryone) return true;
        int room = index % rooms, seat = index / rooms;
        int size = (members - room + rooms - 1) / rooms;
        int talkers = Math.Min(talkersPerRoom, size), listeners = size - talkers;
        if (seat < talkers) return Talkers || listeners == 0;
        int wanted = Listeners ?? (int)Math.Ceiling(ListenerShare!.Value * listeners - 1e-9);
        return seat - talkers < Math.Max(1, wanted);
    }

    public override string ToString() =>
        IsEveryone ? "everyone"
        : (Listeners is { } n ? $"{n} listener{(n == 1 ? "" : "s")} per room" : string.Create(CultureInfo.InvariantCulture, $"{ListenerShare * 100:0.#}% of each room's listeners")) +
          (Talkers ? " and every talker" : " (talkers only where a room has no listeners)");
}
