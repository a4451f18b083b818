namespace OpenChat.MediaNode.Engine;

/// <summary>What one room's tick did.</summary>
public readonly record struct RoomTickStats(
    int Encodes,
    int Decodes,
    int DecodesSkipped,
    int Concealed,
    int FecRecovered,
    int FramesSent,
    int Talkers,
    int SpeakingEvents)
{
    public static RoomTickStats operator +(RoomTickStats a, RoomTickStats b) => new(
        a.Encodes + b.Encodes,
        a.Decodes + b.Decodes,
        a.DecodesSkipped + b.DecodesSkipped,
        a.Concealed + b.Concealed,
        a.FecRecovered + b.FecRecovered,
        a.FramesSent + b.FramesSent,
        a.Talkers + b.Talkers,
        a.SpeakingEvents + b.SpeakingEvents);
}
