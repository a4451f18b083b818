using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace OpenChat.SimulatedClients.Members;

/// <summary>
/// A member's signalling: its guest session, the SignalR hub connection, the voice channel's roster, and the voice
/// state the server was told (in voice, muted, deafened). When the connection closes it moves to the next gateway,
/// reopens the channel and calls <c>ResumeVoice</c>; hub calls wait meanwhile and retry what the protocol calls safe
/// to retry.
/// </summary>
internal sealed class SignallingLink
{
    private readonly SimulatedMemberOptions _options;
    private readonly object _gate;
    private readonly GuestSession _session;
    private readonly MemberMeasurement _measurement;
    private readonly ChannelWriter<string> _renewals;
    private readonly Action<string> _voiceEnded;
    private readonly CancellationToken _life;
    private readonly VoiceRoster _roster = new();

    private volatile HubConnection? _hub;
    private TaskCompletionSource _signallingUp = NewSignal();
    private int _gatewayIndex;
    private int _failingOver;
    private Task? _failover;
    private volatile bool _inVoice;
    private volatile bool _muted;
    private volatile bool _deafened;
    private volatile bool _stopped;

    /// <param name="renewals">Where the server's <c>VoiceReconnect</c> (or a refused <c>ResumeVoice</c>) asks for a new media session.</param>
    /// <param name="voiceEnded">Called with the reason when the server ends the membership (<c>VoiceEnded</c>).</param>
    /// <param name="life">Cancelled when the member is disposed.</param>
    public SignallingLink(SimulatedMemberOptions options, object gate, HttpClient http, MemberMeasurement measurement,
        ChannelWriter<string> renewals, Action<string> voiceEnded, CancellationToken life)
    {
        _options = options;
        _gate = gate;
        _session = new GuestSession(http, options.DisplayName);
        _measurement = measurement;
        _renewals = renewals;
        _voiceEnded = voiceEnded;
        _life = life;
        _muted = options.Muted;
        _deafened = options.Deafened;
    }

    public string? UserId => _session.UserId;

    public string CurrentGateway => _options.Gateways[Volatile.Read(ref _gatewayIndex)];

    /// <summary>Whether the member is in its voice channel: joined, and neither left nor ended by the server.</summary>
    public bool InVoice
    {
        get => _inVoice;
        set => _inVoice = value;
    }

    public bool Muted => _muted;

    public bool Deafened => _deafened;

    public IReadOnlyList<VoiceRosterEntry> Roster => _roster.Entries;

    /// <summary>The failover under way or last run; null if there was none.</summary>
    public Task? Failover => _failover;

    private string ChannelId => _options.ChannelId;

    /// <summary>Whether the server lists <paramref name="userId"/> in the voice channel.</summary>
    public bool IsListed(string userId) => _roster.Contains(userId);

    public void SetVoiceState(bool muted, bool deafened)
    {
        _muted = muted;
        _deafened = deafened;
    }

    /// <summary>From now on a closed connection is not replaced: the member is being disposed.</summary>
    public void Stop() => _stopped = true;

    /// <summary>Creates the session, connects the hub to the first gateway and opens the channel.</summary>
    public async Task ConnectAsync(CancellationToken token)
    {
        var hub = await ConnectHubAsync(_options.Gateways[0], token).ConfigureAwait(false);
        _hub = hub;
        _signallingUp.TrySetResult();
        await hub.InvokeAsync<JsonElement>("OpenChannel", ChannelId, token).ConfigureAwait(false);
    }

    /// <summary><c>JoinVoice</c> with <paramref name="offer"/> and the current voice state; returns the SDP answer.</summary>
    public async Task<string?> JoinVoiceAsync(string offer, CancellationToken token)
    {
        var joined = await InvokeAsync<VoiceJoinedWire>("JoinVoice", token, ChannelId, offer, _muted, _deafened).ConfigureAwait(false);
        _roster.Replace(joined.Members);
        return joined.SdpAnswer;
    }

    /// <summary>
    /// Says <c>LeaveVoice</c> first when <paramref name="leaveVoice"/> and in voice (best effort, 2 s), runs
    /// <paramref name="afterLeaving"/>, then disposes the connection.
    /// </summary>
    public async Task CloseAsync(bool leaveVoice, Action afterLeaving)
    {
        var hub = _hub;
        if (_inVoice && leaveVoice && hub?.State == HubConnectionState.Connected)
        {
            try
            {
                await hub.InvokeAsync("LeaveVoice").WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: the server also ends the membership when the media session stops answering.
            }
        }
        afterLeaving();
        if (hub is not null)
        {
            try
            {
                await hub.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
    }

    /// <summary>Invokes a hub method once signalling is up, retrying <c>unavailable:</c> errors ("safe to retry", docs/protocol.md).</summary>
    public async Task<T> InvokeAsync<T>(string method, CancellationToken token, params object?[] args)
    {
        for (int attempt = 1; ; attempt++)
        {
            var hub = await ConnectedHubAsync(token).ConfigureAwait(false);
            try
            {
                return await hub.InvokeCoreAsync<T>(method, args, token).ConfigureAwait(false);
            }
            catch (HubException e) when (attempt < 3 && e.Message.Contains("unavailable:", StringComparison.Ordinal))
            {
                // "safe to retry" (docs/protocol.md)
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), token).ConfigureAwait(false);
            }
        }
    }

    public async Task InvokeAsync(string method, CancellationToken token, params object?[] args) =>
        await InvokeAsync<object?>(method, token, args).ConfigureAwait(false);

    public static string Describe(Exception e) => e switch
    {
        HubException hub => hub.Message,
        AggregateException { InnerException: { } inner } => Describe(inner),
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private async Task<HubConnection> ConnectHubAsync(string baseUrl, CancellationToken token)
    {
        if (_session.Token is null) await _session.CreateAsync(baseUrl, null, token).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            var hub = BuildHub(baseUrl);
            try
            {
                await hub.StartAsync(token).ConfigureAwait(false);
                return hub;
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                // The token is not accepted here (another signing key, or expired): ask this gateway for a session,
                // presenting the old token so that the user keeps its id where it can.
                await hub.DisposeAsync().ConfigureAwait(false);
                await _session.CreateAsync(baseUrl, _session.Token, token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await hub.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private HubConnection BuildHub(string baseUrl)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(baseUrl.TrimEnd('/') + "/hub", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult(_session.Token);
                // As the web client: the WebSocket straight away, so any gateway behind a load balancer can take it.
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                if (_options.SourceAddress is { } source) Network.SourceAddress.Apply(o, source);
            })
            .Build();
        hub.On<string, string>("VoiceReconnect", (channel, reason) =>
        {
            if (channel == ChannelId && _inVoice) _renewals.TryWrite("VoiceReconnect: " + reason);
        });
        hub.On<string, string>("VoiceEnded", (channel, reason) =>
        {
            if (channel == ChannelId) _voiceEnded(reason);
        });
        hub.On<string, VoiceMemberWire>("VoiceMemberJoined", (channel, member) =>
        {
            if (channel == ChannelId) _roster.Set(member);
        });
        hub.On<string, VoiceMemberWire>("VoiceMemberUpdated", (channel, member) =>
        {
            if (channel == ChannelId) _roster.Set(member);
        });
        hub.On<string, string>("VoiceMemberLeft", (channel, userId) =>
        {
            if (channel == ChannelId) _roster.Remove(userId);
        });
        hub.On<string, string, bool>("VoiceSpeaking", (channel, userId, speaking) =>
        {
            if (channel == ChannelId) _roster.SetSpeaking(userId, speaking);
        });
        hub.Closed += error => OnHubClosed(hub);
        return hub;
    }

    private Task OnHubClosed(HubConnection hub)
    {
        if (_stopped || hub != _hub) return Task.CompletedTask;
        lock (_gate)
        {
            if (_signallingUp.Task.IsCompleted) _signallingUp = NewSignal();
        }
        if (Interlocked.CompareExchange(ref _failingOver, 1, 0) == 0) _failover = Task.Run(() => FailOverAsync(hub));
        return Task.CompletedTask;
    }

    private async Task FailOverAsync(HubConnection lost)
    {
        var token = _life;
        var at = DateTimeOffset.UtcNow;
        long started = Stopwatch.GetTimestamp();
        string from = CurrentGateway;
        string? previousUser = UserId;
        var backoff = TimeSpan.FromMilliseconds(200);
        string? lastError = null;
        try
        {
            await lost.DisposeAsync().ConfigureAwait(false);
            for (int attempt = 1; !token.IsCancellationRequested; attempt++)
            {
                int index = (Volatile.Read(ref _gatewayIndex) + attempt) % _options.Gateways.Count;
                string url = _options.Gateways[index];
                HubConnection? hub = null;
                try
                {
                    hub = await ConnectHubAsync(url, token).ConfigureAwait(false);
                    await hub.InvokeAsync<JsonElement>("OpenChannel", ChannelId, token).ConfigureAwait(false);
                    bool intact = false;
                    string? error = null;
                    bool rejoin = false;
                    if (_inVoice)
                    {
                        try
                        {
                            var resumed = await hub.InvokeAsync<VoiceJoinedWire>("ResumeVoice", ChannelId, token).ConfigureAwait(false);
                            _roster.Replace(resumed.Members);
                            intact = resumed.Members?.Any(m => m.UserId == UserId && m.Muted == _muted && m.Deafened == _deafened) == true;
                            if (!intact) error = "ResumeVoice did not list this member with its muted and deafened state";
                        }
                        catch (HubException e)
                        {
                            error = Describe(e);
                            rejoin = error.Contains("not_in_voice", StringComparison.Ordinal);
                        }
                    }
                    Volatile.Write(ref _gatewayIndex, index);
                    _hub = hub;
                    lock (_gate)
                    {
                        _measurement.Record(new SignallingReconnect(at, from, url, Stopwatch.GetElapsedTime(started),
                            previousUser == UserId, intact, error));
                        _signallingUp.TrySetResult();
                    }
                    // The membership is gone (the media session also ended, or the server forgot it): join afresh.
                    if (rejoin) _renewals.TryWrite("ResumeVoice refused: " + error);
                    return;
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    lastError = $"{url}: {Describe(e)}";
                    if (hub is not null) await hub.DisposeAsync().ConfigureAwait(false);
                    if (Stopwatch.GetElapsedTime(started) > _options.SignallingRetryTimeout)
                    {
                        _measurement.Record(new SignallingReconnect(at, from, null, null, false, false, lastError));
                        return;
                    }
                    await Task.Delay(backoff, token).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Exchange(ref _failingOver, 0);
            // The new connection may have closed before the flag was down; then nobody else would notice.
            var current = _hub;
            if (!_stopped && current is not null && current != lost && current.State == HubConnectionState.Disconnected) _ = OnHubClosed(current);
        }
    }

    private async Task<HubConnection> ConnectedHubAsync(CancellationToken token)
    {
        while (true)
        {
            Task up;
            lock (_gate) up = _signallingUp.Task;
            await up.WaitAsync(token).ConfigureAwait(false);
            var hub = _hub;
            if (hub is not null && hub.State == HubConnectionState.Connected) return hub;
            // Closed a moment ago; the failover will raise a fresh signal.
            await Task.Delay(50, token).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
