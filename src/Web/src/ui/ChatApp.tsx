import { useMemo } from 'react';
import type { Preferences, StoredSession } from '../client/storage';
import { ChatContext, type Chat } from './context';
import { useChatCore } from './hooks/useChatCore';
import { useMicrophoneSending } from './hooks/useMicrophoneSending';
import { useLeaveVoiceOnPageHide, usePageFocus } from './hooks/usePage';
import { usePushToTalk } from './hooks/usePushToTalk';
import { useRememberedVolumes } from './hooks/useRememberedVolumes';
import { useRememberReading } from './hooks/useRememberReading';
import { useSignOut } from './hooks/useSignOut';
import { useVoiceStatus } from './hooks/useVoiceStatus';
import { Layout } from './Layout';
import { RemoteAudio } from './RemoteAudio';

interface Props {
  session: StoredSession;
  getToken: () => Promise<string>;
  /** The hub answered 401: the next getToken should get a new token. */
  onTokenRefused: () => void;
  prefs: Preferences;
  setPrefs: (change: Partial<Preferences>) => void;
  changeName: () => void;
  signOut: () => void;
}

/** The signed-in client (see `createChatCore`), with what ties it to the page, the device's storage and the preferences. */
export function ChatApp({ session, getToken, onTokenRefused, prefs, setPrefs, changeName, signOut: forget }: Props) {
  const { core, remoteStream } = useChatCore(session, getToken, onTokenRefused, prefs);
  const { store, client, voice, microphone, api } = core;

  useLeaveVoiceOnPageHide(voice);
  useRememberedVolumes(store, client, session.userId);
  usePageFocus(store);
  useRememberReading(store, session.userId, setPrefs);

  const voiceStatus = useVoiceStatus(store);
  const talking = usePushToTalk(prefs.pushToTalk, prefs.pushToTalkKey, voiceStatus.phase !== 'idle');
  useMicrophoneSending(microphone, voiceStatus, prefs.pushToTalk, talking);
  const signOut = useSignOut(voice, forget);

  const chat: Chat = useMemo(
    () => ({ store, client, voice, microphone, api, prefs, setPrefs, talking, changeName, signOut }),
    [store, client, voice, microphone, api, prefs, setPrefs, talking, changeName, signOut],
  );

  return (
    <ChatContext.Provider value={chat}>
      <Layout />
      <RemoteAudio stream={remoteStream} deafened={voiceStatus.deafened} />
    </ChatContext.Provider>
  );
}
