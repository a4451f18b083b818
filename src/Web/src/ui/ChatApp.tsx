import { HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { ChatClient, nextReconnectDelay } from '../client/chatClient';
import {
  loadMemberVolumes,
  loadReadMarkers,
  saveMemberVolumes,
  saveReadMarkers,
  type Preferences,
  type StoredSession,
} from '../client/storage';
import { RememberedVolumes, remember } from '../voice/rememberedVolumes';
import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import { Microphone } from '../voice/microphone';
import { PushToTalk } from '../voice/pushToTalk';
import { RtcVoicePeer } from '../voice/rtcPeer';
import { installTestHook } from '../voice/testHook';
import { VoiceSession } from '../voice/voiceSession';
import { ChatContext, type Chat } from './context';
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

const pageIsWatched = () => document.visibilityState === 'visible' && document.hasFocus();

const isUnauthorized = (error: unknown) =>
  (error as { statusCode?: number } | null)?.statusCode === 401 || /\b401\b/.test(String((error as Error | null)?.message ?? ''));

type Listener = [target: EventTarget, type: string, handler: (event: never) => void];

/** Adds event listeners; returns what removes them again. */
function listenAll(listeners: Listener[]): () => void {
  for (const [target, type, handler] of listeners) target.addEventListener(type, handler as EventListener);
  return () => {
    for (const [target, type, handler] of listeners) target.removeEventListener(type, handler as EventListener);
  };
}

/** The signed-in client: one hub connection, one store, one voice session, one microphone. */
export function ChatApp({ session, getToken, onTokenRefused, prefs, setPrefs, changeName, signOut: forget }: Props) {
  const [remoteStream, setRemoteStream] = useState<MediaStream | null>(null);
  const [talking, setTalking] = useState(false);
  const prefsRef = useRef(prefs);
  prefsRef.current = prefs;

  const core = useMemo(() => {
    const store = createStore(initialState(pageIsWatched()));
    store.dispatch({ type: 'me', user: { id: session.userId, displayName: session.displayName } });
    const hub = new HubConnectionBuilder()
      .withUrl('/hub', { accessTokenFactory: getToken })
      .withAutomaticReconnect({
        nextRetryDelayInMilliseconds: (ctx) => {
          if (isUnauthorized(ctx.retryReason)) onTokenRefused();
          return nextReconnectDelay(ctx.previousRetryCount);
        },
      })
      .configureLogging(LogLevel.Warning)
      .build();
    const markers = loadReadMarkers(session.userId);
    const client = new ChatClient(hub, {
      dispatch: store.dispatch,
      getState: store.getState,
      readMarkers: () => markers,
      preferredChannel: () => prefsRef.current.lastChannelId,
      onStartFailed: (error) => {
        if (isUnauthorized(error)) onTokenRefused();
      },
      onMemberVolume: (userId, volume) =>
        saveMemberVolumes(session.userId, remember(loadMemberVolumes(session.userId), userId, volume)),
    });
    const microphone = new Microphone();
    const voice = new VoiceSession({
      signalling: client,
      prepare: () => microphone.start(prefsRef.current.inputDeviceId),
      createPeer: () => new RtcVoicePeer(microphone.sendTrack!, microphone.sendStream!),
      onStatus: (status) => store.dispatch({ type: 'voiceStatus', status }),
      onMembers: (channelId, members) => store.dispatch({ type: 'voiceMembers', channelId, members }),
      onActivePeer: (peer) => {
        setRemoteStream(peer?.remoteStream ?? null);
      },
    });
    client.attachVoice(voice);
    installTestHook(voice, microphone);
    return { store, client, microphone, voice };
    // One connection per session; getToken is stable.
  }, [session.userId, session.displayName, getToken, onTokenRefused]);

  const { store, client, microphone, voice } = core;

  useEffect(() => {
    void client.start();
    return () => {
      voice.dispose();
      microphone.stop();
      void client.stop();
    };
  }, [client, voice, microphone]);

  // Closing or leaving the page leaves voice: the peer connection closes (the media node sees DTLS close_notify
  // and ends the membership at once) and LeaveVoice goes out if the connection still can.
  useEffect(() => {
    const leave = () => void voice.leave();
    window.addEventListener('pagehide', leave);
    return () => window.removeEventListener('pagehide', leave);
  }, [voice]);

  // Volumes chosen for members in earlier voice sessions are applied again when they are in the room.
  useEffect(() => {
    const remembered = new RememberedVolumes(
      () => loadMemberVolumes(session.userId),
      (userId, volume) => client.setMemberVolume(userId, volume),
    );
    const update = () => queueMicrotask(() => remembered.update(store.getState()));
    update();
    return store.subscribe(update);
  }, [store, client, session.userId]);

  // Unread counting needs to know whether anyone is looking.
  useEffect(() => {
    const update = () => store.dispatch({ type: 'focus', focused: pageIsWatched() });
    return listenAll([
      [window, 'focus', update],
      [window, 'blur', update],
      [document, 'visibilitychange', update],
    ]);
  }, [store]);

  // Remember what was read and where the user was.
  useEffect(() => {
    let last = store.getState();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const save = () => {
      timer = null;
      const state = store.getState();
      const markers = loadReadMarkers(session.userId);
      for (const [id, view] of Object.entries(state.views)) if (view.readUpTo > 0) markers[id] = view.readUpTo;
      saveReadMarkers(session.userId, markers);
    };
    const unsubscribe = store.subscribe(() => {
      const state = store.getState();
      if (state.views !== last.views && timer === null) timer = setTimeout(save, 1000);
      if (state.activeChannelId && state.activeChannelId !== last.activeChannelId) setPrefs({ lastChannelId: state.activeChannelId });
      last = state;
    });
    return () => {
      unsubscribe();
      if (timer !== null) {
        clearTimeout(timer);
        save();
      }
    };
  }, [store, session.userId, setPrefs]);

  // Push-to-talk: the key is watched while the user is in voice with push-to-talk on.
  const voiceStatus = useVoiceStatus(store);
  const inVoice = voiceStatus.phase !== 'idle';
  useEffect(() => {
    if (!prefs.pushToTalk || !inVoice) {
      setTalking(false);
      return;
    }
    const ptt = new PushToTalk(prefs.pushToTalkKey, setTalking);
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
  }, [prefs.pushToTalk, prefs.pushToTalkKey, inVoice]);

  // What the microphone sends: nothing when muted or deafened, or while the push-to-talk key is up.
  useEffect(() => {
    const sending = !voiceStatus.muted && !voiceStatus.deafened && (!prefs.pushToTalk || talking);
    microphone.setSending(sending);
  }, [microphone, voiceStatus.muted, voiceStatus.deafened, prefs.pushToTalk, talking]);

  // Release the device when out of voice.
  useEffect(() => {
    if (voiceStatus.phase === 'idle') microphone.stop();
  }, [microphone, voiceStatus.phase]);

  // Leave voice first (for at most 2 s), so the room sees the member go at once; then this client unmounts.
  const signOut = useCallback(() => {
    void Promise.race([voice.leave(), new Promise((resolve) => setTimeout(resolve, 2000))]).finally(forget);
  }, [voice, forget]);

  const chat: Chat = useMemo(
    () => ({ store, client, voice, microphone, prefs, setPrefs, talking, changeName, signOut }),
    [store, client, voice, microphone, prefs, setPrefs, talking, changeName, signOut],
  );

  return (
    <ChatContext.Provider value={chat}>
      <Layout />
      <RemoteAudio stream={remoteStream} deafened={voiceStatus.deafened} />
    </ChatContext.Provider>
  );
}

function useVoiceStatus(store: Store) {
  return useSyncExternalStore(store.subscribe, () => store.getState().voice);
}
