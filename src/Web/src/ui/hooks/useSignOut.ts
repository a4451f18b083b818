import { useCallback } from 'react';
import type { VoiceSession } from '../../voice/voiceSession';

/** Sign-out that leaves voice first (for at most 2 s), so the room sees the member go at once; then `forget`. */
export function useSignOut(voice: VoiceSession, forget: () => void): () => void {
  return useCallback(() => {
    void Promise.race([voice.leave(), new Promise((resolve) => setTimeout(resolve, 2000))]).finally(forget);
  }, [voice, forget]);
}
