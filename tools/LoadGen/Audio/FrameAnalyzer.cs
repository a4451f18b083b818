namespace OpenChat.LoadGen.Audio;

/// <summary>What one received frame sounded like.</summary>
/// <param name="RmsDbfs">RMS level in dBFS.</param>
/// <param name="Audible">Whether <paramref name="RmsDbfs"/> reached the audibility threshold.</param>
/// <param name="DominantHz">The strongest frequency, or NaN when the frame is not audible.</param>
public readonly record struct FrameAnalysis(double RmsDbfs, bool Audible, double DominantHz);

/// <summary>
/// Analyses decoded frames: RMS level, the level of each candidate frequency (Goertzel) and, for audible frames,
/// the dominant frequency. Not thread-safe: one per receiving stream.
/// </summary>
public sealed class FrameAnalyzer
{
    private readonly DominantFrequency _dominant = new();

    /// <param name="candidates">Frequencies whose level is measured in every frame.</param>
    /// <param name="audibleDbfs">A frame at or above this RMS level counts as audible.</param>
    public FrameAnalyzer(IReadOnlyList<double> candidates, double audibleDbfs = -50)
    {
        Candidates = candidates.ToArray();
        AudibleDbfs = audibleDbfs;
    }

    public double[] Candidates { get; }

    public double AudibleDbfs { get; }

    /// <summary>Analyses <paramref name="pcm"/>; writes the level of <c>Candidates[i]</c> to <paramref name="levelsDb"/>[i].</summary>
    public FrameAnalysis Analyse(ReadOnlySpan<short> pcm, Span<double> levelsDb)
    {
        double rms = Goertzel.RmsDbfs(pcm);
        bool audible = rms >= AudibleDbfs;
        for (int i = 0; i < Candidates.Length; i++)
        {
            levelsDb[i] = audible ? Goertzel.LevelDb(pcm, Candidates[i]) : Goertzel.FloorDb;
        }
        return new FrameAnalysis(rms, audible, audible ? _dominant.Estimate(pcm) : double.NaN);
    }
}
