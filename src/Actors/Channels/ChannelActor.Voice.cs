using OpenChat.Hosting;
using Akka.Actor;
using Akka.Event;
using OpenChat.Channels.Voice;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;

namespace OpenChat.Channels;

/// <summary>
/// The voice side of a channel. Its rules are the <see cref="VoiceRoom"/>'s; the actor hands it every voice command
/// and event and carries out the effects it returns: it sends, asks placement and mixers, watches, and runs timers.
/// </summary>
public sealed partial class ChannelActor
{
    private readonly VoiceRoom _voice;

    private void VoiceCommands()
    {
        Command<JoinVoice>(join =>
        {
            using var span = ChannelTracing.Source.StartChild("channel.join_voice", join.TraceParent);
            Carry(_voice.Join(join with { TraceParent = span.Context(join.TraceParent) }, Sender, _info!));
        });
        Command<ResumeVoice>(resume => Carry(_voice.Resume(resume, Sender)));
        Command<LeaveVoice>(leave => Carry(_voice.Leave(leave, Sender)));
        Command<SetVoiceState>(state => Carry(_voice.SetState(state, Sender)));
        Command<SetVoiceSuppressed>(state => Carry(_voice.SetSuppressed(state, Sender)));
        Command<EndVoiceMembership>(end => Carry(_voice.EndMembership(end, Sender)));
        Command<SetMemberVolume>(volume => Carry(_voice.SetVolume(volume, Sender)));
        Command<GetVoiceStatus>(_ => Sender.Tell(_voice.Status()));
        Command<PlacementAnswered>(answer => Carry(_voice.PlacementAnswered(answer)));
        Command<ConnectAnswered>(answer => Carry(_voice.ConnectAnswered(answer)));
        Command<MemberSpeaking>(speaking => Carry(_voice.MemberSpeaking(speaking, Sender)));
        Command<MemberMediaConnected>(connected => Carry(_voice.MemberMediaConnected(connected, Sender)));
        Command<MemberDisconnected>(disconnected => Carry(_voice.MemberDisconnected(disconnected, Sender)));
        Command<MixerDraining>(draining => Carry(_voice.MixerDraining(draining)));
        Command<MediaNodeLost>(lost => Carry(_voice.MediaNodeLost(lost)));
        Command<VoiceTimer>(timer => Carry(_voice.TimerFired(timer)));
        Command<RenewLeases>(_ => RenewMixerLeases());
        // The mixer confirms a stop it was told to do; nothing waits for that.
        Command<MixerStopped>(_ => { });
    }

    /// <summary>Timer of a room that holds a mixer: renew the leases of its mixers.</summary>
    private sealed record RenewLeases
    {
        public static readonly RenewLeases Instance = new();
    }

    /// <summary>
    /// Keeps the room's mixers (the current one, and one still handing over) running. A mixer this room no longer
    /// holds (one it replaced while its node was unreachable) hears nothing more and stops itself.
    /// </summary>
    private void RenewMixerLeases()
    {
        var renew = new RenewMixerLease(_id, _options.MixerLeaseValidity);
        _voice.Lease.Current?.Ref.Tell(renew);
        _voice.Lease.Retiring?.Ref.Tell(renew);
    }

    /// <summary>The room's member count as last reported to <see cref="ChannelMetrics"/>.</summary>
    private int _voiceMembers;

    private void Carry(IReadOnlyList<VoiceEffect> effects)
    {
        var members = _voice.AnnouncedCount;
        ChannelMetrics.VoiceMembersChanged(_voiceMembers, members);
        _voiceMembers = members;
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case VoiceEffect.Tell tell:
                    tell.To.Tell(tell.Message);
                    break;
                case VoiceEffect.Broadcast broadcast:
                    Broadcast(broadcast.Message);
                    break;
                case VoiceEffect.RequestPlacement request:
                    _placement.Ask<object>(new PlaceMixer(_id, request.AvoidNode, Self, request.TraceParent), _options.MediaTimeout + _options.MediaTimeout)
                        .PipeTo(Self,
                            success: reply => new PlacementAnswered(request.Request, reply),
                            failure: _ => new PlacementAnswered(request.Request, VoiceRoom.PlacementTimedOut));
                    break;
                case VoiceEffect.RequestConnect request:
                    request.Mixer.Ask<object>(request.Message, _options.MediaTimeout)
                        .PipeTo(Self,
                            success: reply => new ConnectAnswered(request.Pending, request.Mixer, reply),
                            failure: _ => new ConnectAnswered(request.Pending, request.Mixer, VoiceRoom.ConnectTimedOut));
                    break;
                case VoiceEffect.Watch watch:
                    Context.Watch(watch.Actor);
                    break;
                case VoiceEffect.Unwatch unwatch:
                    UnwatchIfUnused(unwatch.Actor);
                    break;
                case VoiceEffect.StartTimer start:
                    Timers.StartSingleTimer(start.Timer, start.Timer, start.Delay);
                    break;
                case VoiceEffect.CancelTimer cancel:
                    Timers.Cancel(cancel.Timer);
                    break;
                case VoiceEffect.FollowMediaNodes follow:
                    if (follow.On)
                    {
                        Context.System.EventStream.Subscribe(Self, typeof(MediaNodeLost));
                        Timers.StartPeriodicTimer(RenewLeases.Instance, RenewLeases.Instance, _options.MixerLeaseRenewal);
                    }
                    else
                    {
                        Context.System.EventStream.Unsubscribe(Self, typeof(MediaNodeLost));
                        Timers.Cancel(RenewLeases.Instance);
                    }
                    break;
                case VoiceEffect.Log log:
                    if (log.Level >= LogLevel.WarningLevel) _log.Warning("Channel {0}: {1}", _id, log.Message);
                    else _log.Info("Channel {0}: {1}", _id, log.Message);
                    break;
            }
        }
        UpdateIdleTimeout();
    }
}
