import { useEffect, useState } from 'react';
import { describeQuality, QualityMeter } from '../voice/connectionQuality';
import { RtcVoicePeer } from '../voice/rtcPeer';
import type { VoiceSession } from '../voice/voiceSession';
import { useChat, useChatState } from './context';
import { Icon } from './Icon';
import { LevelMeter } from './LevelMeter';
import { suppressedInVoice } from '../state/permissions';
import { keyLabel } from '../voice/pushToTalk';
import type { VoiceMemberDto } from '../protocol/types';

const phaseText = {
  idle: '',
  joining: 'Connecting voice…',
  connected: 'Voice connected',
  reconnecting: 'Reconnecting voice…',
} as const;

const noMembers: VoiceMemberDto[] = [];

/** How often the connection's statistics are read while connected. */
const QualityIntervalMs = 2000;

/** The media connection's round trip and loss, read every two seconds while connected ('' until known). */
function useConnectionQuality(voice: VoiceSession, connected: boolean): string {
  const [text, setText] = useState('');
  useEffect(() => {
    if (!connected) {
      setText('');
      return;
    }
    const meters = new WeakMap<RTCPeerConnection, QualityMeter>();
    let live = true;
    const read = () => {
      const peer = voice.activePeer;
      if (!(peer instanceof RtcVoicePeer)) return;
      let meter = meters.get(peer.pc);
      if (!meter) meters.set(peer.pc, (meter = new QualityMeter()));
      const m = meter;
      peer.pc
        .getStats()
        .then((report) => live && setText(describeQuality(m.update(report.values() as Iterable<Record<string, unknown>>))))
        .catch(() => {});
    };
    read();
    const timer = setInterval(read, QualityIntervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [voice, connected]);
  return text;
}

/** The user's voice session: where, its state, leave, push-to-talk hint and a volume per member. */
export function VoicePanel() {
  const { voice, client, prefs, talking } = useChat();
  const status = useChatState((s) => s.voice);
  const channel = useChatState((s) => s.channels.find((c) => c.id === s.voice.channelId) ?? null);
  const members = useChatState((s) => (s.voice.channelId ? s.views[s.voice.channelId]?.voice : undefined) ?? noMembers);
  const volumes = useChatState((s) => s.volumes);
  const me = useChatState((s) => s.me?.id);
  const quality = useConnectionQuality(voice, status.phase === 'connected');
  const suppressed = useChatState(suppressedInVoice);

  if (status.phase === 'idle') {
    return status.error ? (
      <section className="voice-panel" aria-label="Voice" data-voice-phase="idle">
        <p className="field-error" role="alert">
          {status.error}
        </p>
      </section>
    ) : null;
  }

  const others = members.filter((m) => m.userId !== me);
  return (
    <section className="voice-panel" aria-label="Voice" data-voice-phase={status.phase}>
      <div className="voice-head">
        <div className="voice-where" role="status">
          <span className={`voice-state voice-${status.phase}`}>{phaseText[status.phase]}</span>
          <span className="voice-channel">{channel?.name ?? status.channelId}</span>
        </div>
        <button type="button" className="icon-button danger" aria-label="Leave voice" title="Leave voice" onClick={() => void voice.leave()}>
          <Icon name="leave" />
        </button>
      </div>
      <LevelMeter />
      {suppressed && (
        <p className="voice-suppressed" role="status">
          You cannot speak in this channel; the others do not hear you.
        </p>
      )}
      {quality && (
        <p className="voice-quality" role="status" aria-label="Connection quality">
          {quality}
        </p>
      )}
      {prefs.pushToTalk && (
        <p className={talking ? 'ptt-hint talking' : 'ptt-hint'} data-talking={talking ? 'true' : 'false'}>
          {talking ? 'Talking' : `Hold ${keyLabel(prefs.pushToTalkKey)} to talk`}
        </p>
      )}
      {others.length > 0 && (
        <details className="volumes" open>
          <summary>Member volumes</summary>
          <ul>
            {others.map((m) => {
              const percent = Math.round((volumes[m.userId] ?? 1) * 100);
              return (
                <li key={m.userId}>
                  <label className="volume-row">
                    <span className="volume-name">{m.displayName}</span>
                    <input
                      type="range"
                      min={0}
                      max={200}
                      step={5}
                      value={percent}
                      aria-label={`Volume for ${m.displayName}`}
                      aria-valuetext={`${percent}%`}
                      data-user-id={m.userId}
                      onChange={(e) => client.setMemberVolume(m.userId, Number(e.target.value) / 100)}
                    />
                    <output className="volume-value">{percent}%</output>
                  </label>
                </li>
              );
            })}
          </ul>
        </details>
      )}
    </section>
  );
}
