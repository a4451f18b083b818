import { useEffect, useRef } from 'react';

/**
 * Plays the room's mix. The stream must be attached to a media element even for WebAudio to receive it
 * (Chromium reads silence otherwise), so this element always holds the current stream; deafening mutes it.
 */
export function RemoteAudio({ stream, deafened }: { stream: MediaStream | null; deafened: boolean }) {
  const audio = useRef<HTMLAudioElement>(null);

  useEffect(() => {
    const element = audio.current;
    if (!element) return;
    if (element.srcObject !== stream) element.srcObject = stream;
    if (stream) void element.play().catch(() => {});
  }, [stream]);

  useEffect(() => {
    if (audio.current) audio.current.muted = deafened;
  }, [deafened]);

  return <audio ref={audio} autoPlay hidden data-testid="voice-audio" />;
}
