namespace OpenChat.LoadGen.Driver;

/// <summary>
/// Gives every talker its own tone on one grid from 1,800 to 3,450 Hz: talker t of room r takes grid step
/// t·rooms + r, so neighbours on the grid belong to different rooms (audio leaking between rooms can be told apart)
/// and room-mates are far apart (at least 150 Hz, for the Goertzel measure of 20 ms frames). The grid lies within
/// one octave with 150 Hz to spare, so no harmonic of a room-mate's tone falls on a talker's own. (With a wider grid,
/// a talker at 3,460 Hz whose room-mate sang 1,760 Hz measured its own frequency in 6% of its frames while the mixer
/// was falling behind.)
/// </summary>
internal static class FrequencyPlan
{
    public const int LowestHz = 1800;
    public const int HighestHz = 2 * LowestHz - 150;

    /// <summary>
    /// Tones of different rooms closer than this cannot be attributed to a room by the dominant-frequency estimate: a
    /// phase jump inside a 20 ms frame (concealment, or a mixer dropping or repeating a frame) moves it by up to about 60 Hz.
    /// </summary>
    public const int AttributableHz = 120;

    /// <summary>Tone of talker <c>t</c> of room <c>r</c> is <c>result[r][t]</c>, in whole hertz.</summary>
    public static int[][] Assign(int rooms, int talkersPerRoom)
    {
        if (rooms < 1) throw new ArgumentOutOfRangeException(nameof(rooms));
        if (talkersPerRoom < 0) throw new ArgumentOutOfRangeException(nameof(talkersPerRoom));
        int step = StepHz(rooms, talkersPerRoom);
        if (talkersPerRoom > 0 && step * rooms < 150)
            throw new ArgumentOutOfRangeException(nameof(talkersPerRoom), talkersPerRoom, "too many talkers per room to keep room-mates 150 Hz apart");
        var plan = new int[rooms][];
        for (int r = 0; r < rooms; r++)
        {
            plan[r] = new int[talkersPerRoom];
            for (int t = 0; t < talkersPerRoom; t++) plan[r][t] = LowestHz + (t * rooms + r) * step;
        }
        return plan;
    }

    /// <summary>Spacing of the grid: the distance between the closest tones of different rooms.</summary>
    public static int StepHz(int rooms, int talkersPerRoom) =>
        Math.Max(1, (HighestHz - LowestHz) / Math.Max(1, rooms * talkersPerRoom));
}
