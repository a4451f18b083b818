using OpenChat.SimulatedClients.Audio;

namespace OpenChat.SimulatedClients.Measurement;

/// <summary>
/// What audible frames carried: for each candidate frequency the frames it was heard in, their mean and its peak
/// level; the dominant frequencies (in 5 Hz buckets) and the frames whose dominant frequency was no candidate.
/// Not thread-safe: its owner serialises the calls.
/// </summary>
internal sealed class ToneTally
{
    private const int DominantBucketHz = 5;
    private const double ExplainedWithinHz = 20;

    private readonly int _ownCandidate = -1;
    private double[] _candidates;
    private int[] _frequencyFrames;
    private double[] _frequencyDbSum;
    private double[] _frequencyPeakDb;
    private readonly Dictionary<int, int> _dominant = [];

    /// <param name="candidateFrequencies">Frequencies to measure in every frame (duplicates within 0.5 Hz are dropped).</param>
    /// <param name="ownFrequency">The listener's own tone, added to the candidates when missing; null when it sends none.</param>
    public ToneTally(IEnumerable<double> candidateFrequencies, double? ownFrequency)
    {
        var candidates = new List<double>();
        foreach (var f in candidateFrequencies)
        {
            if (!candidates.Any(c => Math.Abs(c - f) < 0.5)) candidates.Add(f);
        }
        if (ownFrequency is { } own)
        {
            _ownCandidate = candidates.FindIndex(c => Math.Abs(c - own) < 0.5);
            if (_ownCandidate < 0)
            {
                candidates.Add(own);
                _ownCandidate = candidates.Count - 1;
            }
        }
        _candidates = candidates.ToArray();
        _frequencyFrames = new int[_candidates.Length];
        _frequencyDbSum = new double[_candidates.Length];
        _frequencyPeakDb = NewPeaks(_candidates.Length);
    }

    /// <summary>The candidates; a new array (with the old one as its prefix) after <see cref="AddCandidates"/>, so it may be read without the owner's lock.</summary>
    public double[] Candidates => Volatile.Read(ref _candidates);

    /// <summary>Audible frames whose dominant frequency was none of the candidates (more than 20 Hz from each).</summary>
    public long Unexplained { get; private set; }

    public void Clear()
    {
        _dominant.Clear();
        Array.Clear(_frequencyFrames);
        Array.Clear(_frequencyDbSum);
        _frequencyPeakDb = NewPeaks(_candidates.Length);
        Unexplained = 0;
    }

    /// <summary>Counts one audible frame: its candidates' levels and which of them were heard, and its dominant frequency.</summary>
    public void Add(FrameAnalysis analysis, double[] levels, bool[] heard)
    {
        int count = Math.Min(levels.Length, _frequencyFrames.Length);
        for (int i = 0; i < count; i++)
        {
            double level = levels[i];
            if (level > _frequencyPeakDb[i]) _frequencyPeakDb[i] = level;
            if (!heard[i]) continue;
            _frequencyFrames[i]++;
            _frequencyDbSum[i] += level;
        }
        if (!double.IsNaN(analysis.DominantHz))
        {
            int bucket = (int)Math.Round(analysis.DominantHz / DominantBucketHz) * DominantBucketHz;
            _dominant[bucket] = _dominant.GetValueOrDefault(bucket) + 1;
            bool explained = false;
            foreach (var c in _candidates)
            {
                if (Math.Abs(c - analysis.DominantHz) <= ExplainedWithinHz) explained = true;
            }
            if (!explained) Unexplained++;
        }
    }

    /// <summary>Adds frequencies to the candidates; returns the index of each among them.</summary>
    public int[] AddCandidates(IEnumerable<double> frequencies)
    {
        var candidates = _candidates.ToList();
        var indices = new List<int>();
        foreach (var f in frequencies)
        {
            int index = candidates.FindIndex(c => Math.Abs(c - f) < 0.5);
            if (index < 0)
            {
                candidates.Add(f);
                index = candidates.Count - 1;
            }
            indices.Add(index);
        }
        if (candidates.Count != _candidates.Length)
        {
            int old = _candidates.Length;
            Array.Resize(ref _frequencyFrames, candidates.Count);
            Array.Resize(ref _frequencyDbSum, candidates.Count);
            Array.Resize(ref _frequencyPeakDb, candidates.Count);
            for (int i = old; i < candidates.Count; i++) _frequencyPeakDb[i] = Goertzel.FloorDb;
            // Receive loops pick up the new array by reference; the old one is a prefix of it, so indices stay valid.
            Volatile.Write(ref _candidates, candidates.ToArray());
        }
        return indices.ToArray();
    }

    /// <summary>Every candidate with its frames and levels; heard when it was heard in <paramref name="minHeardFrames"/> frames.</summary>
    public FrequencyStats[] Frequencies(int minHeardFrames)
    {
        var frequencies = new FrequencyStats[_candidates.Length];
        for (int i = 0; i < frequencies.Length; i++)
        {
            int frames = _frequencyFrames[i];
            frequencies[i] = new FrequencyStats(_candidates[i], frames, frames > 0 ? _frequencyDbSum[i] / frames : double.NaN,
                _frequencyPeakDb[i], frames >= minHeardFrames);
        }
        return frequencies;
    }

    /// <summary>Whether the listener's own tone is heard in <paramref name="frequencies"/> (from <see cref="Frequencies"/>).</summary>
    public bool OwnHeard(FrequencyStats[] frequencies) => _ownCandidate >= 0 && frequencies[_ownCandidate].Heard;

    /// <summary>The most frequent dominant frequencies, most frequent first.</summary>
    public DominantFrequencyCount[] Dominant(int count) =>
        _dominant.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(count)
            .Select(kv => new DominantFrequencyCount(kv.Key, kv.Value)).ToArray();

    private static double[] NewPeaks(int length)
    {
        var peaks = new double[length];
        Array.Fill(peaks, Goertzel.FloorDb);
        return peaks;
    }
}
