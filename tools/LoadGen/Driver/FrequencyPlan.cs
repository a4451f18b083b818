namespace OpenChat.LoadGen.Driver;

/// <summary>
/// Gives every talker a tone: distinct across rooms (so audio leaking between rooms can be told apart) and, within a
/// room, far enough apart for the Goertzel measure (at least 150 Hz) and inside one octave, so that no tone is a
/// harmonic of a room-mate's.
/// </summary>
internal static class FrequencyPlan
{
    public const int BandStartHz = 1000;
    public const int BandWidthHz = 1000;

    /// <summary>Tone of talker <c>t</c> of room <c>r</c> is <c>result[r][t]</c>, in whole hertz.</summary>
    public static int[][] Assign(int rooms, int talkersPerRoom)
    {
        if (rooms < 1) throw new ArgumentOutOfRangeException(nameof(rooms));
        if (talkersPerRoom < 0) throw new ArgumentOutOfRangeException(nameof(talkersPerRoom));
        var plan = new int[rooms][];
        if (talkersPerRoom == 0)
        {
            for (int r = 0; r < rooms; r++) plan[r] = [];
            return plan;
        }
        // Within one octave while room-mates stay 150 Hz apart; beyond that, spread upwards from 300 Hz.
        bool octave = BandWidthHz / talkersPerRoom >= 150;
        int spacing = octave ? BandWidthHz / talkersPerRoom : 150;
        int start = octave ? BandStartHz : 300;
        int roomStep = Math.Max(1, spacing / rooms);
        for (int r = 0; r < rooms; r++)
        {
            plan[r] = new int[talkersPerRoom];
            for (int t = 0; t < talkersPerRoom; t++) plan[r][t] = start + t * spacing + r * roomStep;
        }
        return plan;
    }

    /// <summary>Tones of different rooms closer than this cannot be told apart by the dominant-frequency estimate.</summary>
    public const int DistinguishableHz = 20;

    public static int RoomStepHz(int rooms, int talkersPerRoom)
    {
        var plan = Assign(rooms, Math.Max(1, talkersPerRoom));
        return rooms > 1 ? plan[1][0] - plan[0][0] : int.MaxValue;
    }
}
