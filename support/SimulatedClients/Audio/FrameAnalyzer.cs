namespace OpenChat.SimulatedClients.Audio;

/// <summary>What one received frame sounded like.</summary>
/// <param name="RmsDbfs">RMS level in dBFS.</param>
/// <param name="Audible">Whether <paramref name="RmsDbfs"/> reached the audibility threshold.</param>
/// <param name="DominantHz">The strongest frequency, or NaN when the frame is not audible.</param>
public readonly record struct FrameAnalysis(double RmsDbfs, bool Audible, double DominantHz);

/// <summary>
/// Analyses decoded frames: RMS level, the level of each candidate frequency (Goertzel) and whether it was heard,
/// and, for audible frames, the dominant frequency. Not thread-safe: one per receiving stream.
/// </summary>
/// <remarks>
/// A candidate is heard in a frame when its level reaches <see cref="HeardLevelDb"/> and it is a tone there: at least
/// <see cref="TonalityDb"/> above the level 100 Hz (two Goertzel bins of a 20 ms frame) to one side. A click or a
/// decoder glitch spreads energy across the spectrum and so is not mistaken for every candidate at once.
/// </remarks>
public sealed class FrameAnalyzer
{
    /// <summary>How far to the side the tone test looks: the first null of a 20 ms Hann window.</summary>
    public const double SideHz = 100;

    private readonly DominantFrequency _dominant = new();

    /// <param name="candidates">Frequencies whose level is measured in every frame.</param>
    /// <param name="audibleDbfs">A frame at or above this RMS level counts as audible.</param>
    /// <param name="heardLevelDb">A candidate at or above this level may count as heard.</param>
    /// <param name="tonalityDb">How far a heard candidate must stand above one of its sides.</param>
    public FrameAnalyzer(IReadOnlyList<double> candidates, double audibleDbfs = -50, double heardLevelDb = -40, double tonalityDb = 10)
    {
        Candidates = candidates.ToArray();
        AudibleDbfs = audibleDbfs;
        HeardLevelDb = heardLevelDb;
        TonalityDb = tonalityDb;
    }

    public double[] Candidates { get; }

    public double AudibleDbfs { get; }

    public double HeardLevelDb { get; }

    public double TonalityDb { get; }

    /// <summary>
    /// Analyses <paramref name="pcm"/>; writes the level of <c>Candidates[i]</c> to <paramref name="levelsDb"/>[i]
    /// (the floor when the frame is not audible) and whether it was heard to <paramref name="heard"/>[i].
    /// </summary>
    public FrameAnalysis Analyse(ReadOnlySpan<short> pcm, Span<double> levelsDb, Span<bool> heard)
    {
        double rms = Goertzel.RmsDbfs(pcm);
        bool audible = rms >= AudibleDbfs;
        for (int i = 0; i < Candidates.Length; i++)
        {
            double f = Candidates[i];
            double level = audible ? Goertzel.LevelDb(pcm, f) : Goertzel.FloorDb;
            levelsDb[i] = level;
            heard[i] = level >= HeardLevelDb
                       && level - Math.Min(Goertzel.LevelDb(pcm, f - SideHz), Goertzel.LevelDb(pcm, f + SideHz)) >= TonalityDb;
        }
        return new FrameAnalysis(rms, audible, audible ? _dominant.Estimate(pcm) : double.NaN);
    }
}
