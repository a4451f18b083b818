using System.Globalization;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// What callers wait for on a <see cref="SimulatedMember"/>: hearing frequencies, or a condition on its
/// <see cref="MemberStats"/>. Its lists are guarded by the member's lock (<c>gate</c>).
/// </summary>
/// <param name="stats">The member's snapshot, against which conditions are checked.</param>
internal sealed class MemberWaits(SimulatedMemberOptions options, object gate, Func<MemberStats> stats)
{
    private readonly List<HearingWaiter> _hearingWaiters = [];
    private readonly List<ConditionWaiter> _conditionWaiters = [];
    private int _checkingConditions;

    /// <summary>Whether a condition is waited for. The caller holds the gate.</summary>
    public bool AnyCondition => _conditionWaiters.Count > 0;

    /// <summary>Counts one audible frame for the hearing waits; <paramref name="heard"/> is indexed like the candidates. The caller holds the gate.</summary>
    public void Observe(bool[] heard)
    {
        for (int w = _hearingWaiters.Count - 1; w >= 0; w--)
        {
            if (_hearingWaiters[w].Observe(heard)) _hearingWaiters.RemoveAt(w);
        }
    }

    /// <summary>See <see cref="SimulatedMember.WaitUntilHearingAsync"/>: <paramref name="indices"/> are the candidates' indices of <paramref name="wanted"/>.</summary>
    public async Task WaitUntilHearingAsync(double[] wanted, int[] indices, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new HearingWaiter(indices, options.MinHeardFrames);
        lock (gate) _hearingWaiters.Add(waiter);
        try
        {
            await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            string heard;
            lock (gate)
            {
                _hearingWaiters.Remove(waiter);
                heard = string.Join(", ", wanted.Select((f, i) => string.Create(CultureInfo.InvariantCulture,
                    $"{f:0} Hz in {waiter.Counts[i]} frames")));
            }
            throw new TimeoutException($"{options.DisplayName} did not hear every one of {string.Join(", ", wanted.Select(f => f.ToString("0", CultureInfo.InvariantCulture)))} Hz " +
                                       $"within {timeout.TotalSeconds:0.#} s ({heard}; {Summary()}).");
        }
        finally
        {
            lock (gate) _hearingWaiters.Remove(waiter);
        }
    }

    /// <summary>See <see cref="SimulatedMember.WaitUntilAsync"/>.</summary>
    public async Task WaitUntilAsync(Func<MemberStats, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (condition(stats())) return;
        var waiter = new ConditionWaiter(condition);
        lock (gate) _conditionWaiters.Add(waiter);
        try
        {
            await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{options.DisplayName}: condition not met within {timeout.TotalSeconds:0.#} s ({Summary()}).");
        }
        finally
        {
            lock (gate) _conditionWaiters.Remove(waiter);
        }
    }

    /// <summary>Checks the conditions against a fresh snapshot on the thread pool; a check already under way covers this one.</summary>
    public void QueueConditionCheck()
    {
        if (Interlocked.Exchange(ref _checkingConditions, 1) != 0) return;
        ThreadPool.QueueUserWorkItem(_ =>
        {
            try
            {
                ConditionWaiter[] waiters;
                lock (gate) waiters = _conditionWaiters.ToArray();
                if (waiters.Length == 0) return;
                var snapshot = stats();
                foreach (var waiter in waiters)
                {
                    try
                    {
                        if (waiter.Condition(snapshot)) waiter.Completion.TrySetResult();
                    }
                    catch (Exception e)
                    {
                        waiter.Completion.TrySetException(e);
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _checkingConditions, 0);
            }
        });
    }

    /// <summary>Fails every wait: the member is disposed.</summary>
    public void Abandon()
    {
        lock (gate)
        {
            foreach (var w in _hearingWaiters) w.Completion.TrySetException(new ObjectDisposedException(nameof(SimulatedMember)));
            foreach (var w in _conditionWaiters) w.Completion.TrySetException(new ObjectDisposedException(nameof(SimulatedMember)));
        }
    }

    private string Summary()
    {
        var s = stats();
        return string.Create(CultureInfo.InvariantCulture,
            $"in voice {s.InVoice}, {s.PacketsReceived} packets, {s.AudibleFrames} audible frames, heard " +
            $"[{string.Join(", ", s.HeardFrequencies.Select(f => $"{f.FrequencyHz:0} Hz"))}], dominant " +
            $"[{string.Join(", ", s.DominantFrequencies.Take(3).Select(d => $"{d.FrequencyHz:0} Hz x{d.Frames}"))}], " +
            $"{s.Reconnects.Count} media reconnects [{string.Join("; ", s.Reconnects.Select(r => $"{r.At:HH:mm:ss.fff} {r.Reason}: {r.Attempts} attempts, " +
                $"connected {(r.Connected is { } c ? $"{c.TotalMilliseconds:0} ms" : "never")}{(r.Error is null ? "" : ", " + r.Error)}"))}], " +
            $"{s.SignallingReconnects.Count} signalling reconnects [{string.Join("; ", s.SignallingReconnects.Select(r => $"{r.At:HH:mm:ss.fff} " +
                $"{r.FromGateway} -> {r.ToGateway ?? "none"}{(r.VoiceStateIntact ? "" : ", voice state lost")}{(r.Error is null ? "" : ", " + r.Error)}"))}]");
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class HearingWaiter(int[] candidates, int frames)
    {
        public int[] Counts { get; } = new int[candidates.Length];
        public TaskCompletionSource Completion { get; } = NewSignal();

        /// <summary>Counts one audible frame; true (and completed) once every frequency was heard often enough.</summary>
        public bool Observe(bool[] heard)
        {
            bool done = true;
            for (int i = 0; i < candidates.Length; i++)
            {
                int c = candidates[i];
                if (c < heard.Length && heard[c]) Counts[i]++;
                if (Counts[i] < frames) done = false;
            }
            if (done) Completion.TrySetResult();
            return done;
        }
    }

    private sealed class ConditionWaiter(Func<MemberStats, bool> condition)
    {
        public Func<MemberStats, bool> Condition { get; } = condition;
        public TaskCompletionSource Completion { get; } = NewSignal();
    }
}
