import { useEffect, useState } from 'react';
import { PushToTalk } from '../../voice/pushToTalk';
import { listenAll } from './listen';

/** Whether the push-to-talk key is held: the key is watched while the user is in voice with push-to-talk on. */
export function usePushToTalk(enabled: boolean, key: string, inVoice: boolean): boolean {
  const [talking, setTalking] = useState(false);
  useEffect(() => {
    if (!enabled || !inVoice) {
      setTalking(false);
      return;
    }
    const ptt = new PushToTalk(key, setTalking);
    const unlisten = listenAll([
      [window, 'keydown', (e: KeyboardEvent) => ptt.keydown(e)],
      [window, 'keyup', (e: KeyboardEvent) => ptt.keyup(e)],
      [window, 'blur', () => ptt.release()],
      [document, 'visibilitychange', () => document.visibilityState !== 'visible' && ptt.release()],
    ]);
    return () => {
      unlisten();
      setTalking(false);
    };
  }, [enabled, key, inVoice]);
  return talking;
}
