import { useEffect, useMemo, useRef, useState } from 'react';
import { createChatCore, type ChatCore } from '../../client/chatCore';
import type { Preferences, StoredSession } from '../../client/storage';
import { pageIsWatched } from './usePage';

/**
 * The signed-in client for a session, connected while the component is mounted; and the room's mix to play.
 * `getToken` and `onTokenRefused` should be stable: a new one starts a new connection.
 */
export function useChatCore(
  session: StoredSession,
  getToken: () => Promise<string>,
  onTokenRefused: () => void,
  prefs: Preferences,
): { core: ChatCore; remoteStream: MediaStream | null } {
  const [remoteStream, setRemoteStream] = useState<MediaStream | null>(null);
  const prefsRef = useRef(prefs);
  prefsRef.current = prefs;

  const core = useMemo(
    () =>
      createChatCore({
        session: { userId: session.userId, displayName: session.displayName },
        getToken,
        onTokenRefused,
        prefs: () => prefsRef.current,
        focused: pageIsWatched(),
        onRemoteStream: setRemoteStream,
      }),
    // One connection per session; getToken is stable.
    [session.userId, session.displayName, getToken, onTokenRefused],
  );

  useEffect(() => {
    core.connect();
    return () => core.dispose();
  }, [core]);

  return { core, remoteStream };
}
