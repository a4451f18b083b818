namespace OpenChat.MediaNode.Engine;

/// <summary>What one room's tick did; <see cref="Forwards"/> counts talkers' packets sent on to listeners as they came.</summary>
public readonly record struct RoomTickStats(
    int Encodes,
    int Decodes,
    int DecodesSkipped,
    int Concealed,
    int FecRecovered,
    int FramesSent,
    int Talkers,
    int SpeakingEvents,
    int Forwards = 0)
{
    public static RoomTickStats operator +(RoomTickStats a, RoomTickStats b) => new(
        a.Encodes + b.Encodes,
        a.Decodes + b.Decodes,
        a.DecodesSkipped + b.DecodesSkipped,
        a.Concealed + b.Concealed,
        a.FecRecovered + b.FecRecovered,
        a.FramesSent + b.FramesSent,
        a.Talkers + b.Talkers,
        a.SpeakingEvents + b.SpeakingEvents,
        a.Forwards + b.Forwards);
}
