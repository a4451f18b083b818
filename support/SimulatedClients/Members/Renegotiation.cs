using System.Diagnostics;
using System.Threading.Channels;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// A member's media renegotiation, make-before-break: on each request (<c>VoiceReconnect</c>, a media session that
/// closed by itself, <c>ResumeVoice</c> refused) it joins again with a new session, and the old one keeps playing
/// until the new one carries audio or the grace runs out. Each ends in a <see cref="MediaReconnect"/> record.
/// </summary>
/// <param name="requests">The reasons asked for; requests that queue up while one is handled are answered by one new session.</param>
/// <param name="life">Cancelled when the member is disposed.</param>
internal sealed class Renegotiation(SimulatedMemberOptions options, SignallingLink signalling, MediaLink media,
    MemberMeasurement measurement, ChannelReader<string> requests, CancellationToken life)
{
    private Task? _worker;

    /// <summary>The loop answering requests, once started; it ends when the member is disposed.</summary>
    public Task? Worker => _worker;

    public void Start() => _worker = Task.Run(WorkAsync);

    private async Task WorkAsync()
    {
        try
        {
            while (await requests.WaitToReadAsync(life).ConfigureAwait(false))
            {
                // Requests that queued up while one was handled are all answered by one new session.
                string reason = "";
                while (requests.TryRead(out var next)) reason = next;
                if (!signalling.InVoice) continue;
                await RenegotiateAsync(reason, life).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RenegotiateAsync(string reason, CancellationToken token)
    {
        var pending = new PendingReconnect(reason, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp());
        var backoff = TimeSpan.FromMilliseconds(200);
        MediaLeg? connected = null;
        while (connected is null)
        {
            pending.Attempts++;
            var leg = media.NewLeg();
            leg.Pending = pending;
            try
            {
                var answer = await signalling.JoinVoiceAsync(leg.Session.Offer, token).ConfigureAwait(false);
                if (answer is null) throw new InvalidOperationException("JoinVoice answered without an SDP answer.");
                await leg.Session.ConnectAsync(answer, token).ConfigureAwait(false);
                connected = leg;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                media.Discard(leg, "renegotiation attempt failed");
                pending.Error = SignallingLink.Describe(e);
                if (Stopwatch.GetElapsedTime(pending.StartTimestamp) > options.ReconnectTimeout)
                {
                    measurement.Record(pending);
                    return;
                }
                await Task.Delay(backoff, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
        pending.Error = null;
        pending.ConnectedTimestamp = Stopwatch.GetTimestamp();
        if (!media.Admit(connected))
        {
            pending.Error = "voice ended during renegotiation";
            measurement.Record(pending);
            return;
        }
        // Make-before-break: the old session keeps playing until the new one carries audio, or until the grace runs out
        // (nobody may be talking). This runs on its own so that a further VoiceReconnect is not held up by it.
        _ = FinishAsync(connected, pending);
    }

    private async Task FinishAsync(MediaLeg leg, PendingReconnect pending)
    {
        try
        {
            await leg.Delivered.Task.WaitAsync(options.OldSessionGrace, life).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            return;
        }
        media.Settle(leg, pending);
        measurement.Record(pending);
    }
}

/// <summary>A renegotiation under way: what it was for, and when each of its steps happened.</summary>
internal sealed class PendingReconnect(string reason, DateTimeOffset at, long startTimestamp)
{
    public string Reason { get; } = reason;
    public DateTimeOffset At { get; } = at;
    public long StartTimestamp { get; } = startTimestamp;
    public int Attempts { get; set; }
    public long ConnectedTimestamp { get; set; }
    public long FirstAudioTimestamp { get; set; }
    public TimeSpan? AudioGap { get; set; }
    public string? Error { get; set; }
}
