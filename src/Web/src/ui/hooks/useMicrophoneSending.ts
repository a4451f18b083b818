import { useEffect } from 'react';
import type { Microphone } from '../../voice/microphone';
import type { VoiceStatus } from '../../voice/types';

/**
 * What the microphone sends: nothing when muted or deafened, or while the push-to-talk key is up. The device
 * is released when out of voice.
 */
export function useMicrophoneSending(microphone: Microphone, voice: VoiceStatus, pushToTalk: boolean, talking: boolean): void {
  const { muted, deafened, phase } = voice;
  useEffect(() => {
    const sending = !muted && !deafened && (!pushToTalk || talking);
    microphone.setSending(sending);
  }, [microphone, muted, deafened, pushToTalk, talking]);

  useEffect(() => {
    if (phase === 'idle') microphone.stop();
  }, [microphone, phase]);
}
