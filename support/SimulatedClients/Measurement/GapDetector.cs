namespace OpenChat.SimulatedClients.Measurement;

/// <summary>What one 20 ms slot of a listener's timeline held.</summary>
[Flags]
public enum SlotFlags : byte
{
    None = 0,
    /// <summary>Others had been talking long enough that their audio should be arriving.</summary>
    Expected = 1,
    /// <summary>At least one audible frame arrived.</summary>
    Heard = 2,
}

/// <summary>A stretch without audible audio while others were talking.</summary>
/// <param name="Start">From the start of the measurement window.</param>
/// <param name="Duration">From the first to the last slot in which audio was expected, inclusive.</param>
/// <param name="Open">Still going on when the timeline ended.</param>
public readonly record struct Gap(TimeSpan Start, TimeSpan Duration, bool Open);

/// <summary>
/// Finds gaps in a slot timeline: a run of slots in which nothing audible arrived, and in which audio was expected
/// in at least one slot, measured from the first to the last expected slot of the run. Runs shorter than the
/// minimum are arrival jitter, not gaps.
/// </summary>
public static class GapDetector
{
    public static List<Gap> Find(ReadOnlySpan<SlotFlags> slots, TimeSpan slotDuration, TimeSpan minimum)
    {
        var gaps = new List<Gap>();
        int firstExpected = -1, lastExpected = -1;
        for (int i = 0; i <= slots.Length; i++)
        {
            bool end = i == slots.Length;
            if (!end && (slots[i] & SlotFlags.Heard) == 0)
            {
                if ((slots[i] & SlotFlags.Expected) != 0)
                {
                    if (firstExpected < 0) firstExpected = i;
                    lastExpected = i;
                }
                continue;
            }
            if (firstExpected >= 0)
            {
                var duration = slotDuration * (lastExpected - firstExpected + 1);
                if (duration >= minimum) gaps.Add(new Gap(slotDuration * firstExpected, duration, Open: end && lastExpected == slots.Length - 1));
            }
            firstExpected = lastExpected = -1;
        }
        return gaps;
    }
}
