/** The voice panel's view of the user's own voice session (the session itself lives in `VoiceSession`). */
export interface VoiceStatus {
  channelId: string | null;
  phase: 'idle' | 'joining' | 'connected' | 'reconnecting';
  muted: boolean;
  deafened: boolean;
  error: string | null;
}

export const initialVoice: VoiceStatus = { channelId: null, phase: 'idle', muted: false, deafened: false, error: null };
