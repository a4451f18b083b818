import { useEffect } from 'react';
import type { Store } from '../../state/createStore';
import type { VoiceSession } from '../../voice/voiceSession';
import { listenAll } from './listen';

export const pageIsWatched = () => document.visibilityState === 'visible' && document.hasFocus();

/** Unread counting needs to know whether anyone is looking. */
export function usePageFocus(store: Store): void {
  useEffect(() => {
    const update = () => store.dispatch({ type: 'focus', focused: pageIsWatched() });
    return listenAll([
      [window, 'focus', update],
      [window, 'blur', update],
      [document, 'visibilitychange', update],
    ]);
  }, [store]);
}

/**
 * Closing or leaving the page leaves voice: the peer connection closes (the media node sees DTLS close_notify
 * and ends the membership at once) and LeaveVoice goes out if the connection still can.
 */
export function useLeaveVoiceOnPageHide(voice: VoiceSession): void {
  useEffect(() => {
    const leave = () => void voice.leave();
    window.addEventListener('pagehide', leave);
    return () => window.removeEventListener('pagehide', leave);
  }, [voice]);
}
