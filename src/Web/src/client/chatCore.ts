import { createStore, type Store } from '../state/createStore';
import { initialState } from '../state/store';
import { Microphone } from '../voice/microphone';
import { remember } from '../voice/rememberedVolumes';
import { RtcVoicePeer } from '../voice/rtcPeer';
import { installTestHook } from '../voice/testHook';
import { VoiceSession } from '../voice/voiceSession';
import { ChatClient } from './chatClient';
import { createServerApi, type ServerApi } from './serverApi';
import { checkToken, createHubConnection, isUnauthorized } from './hubConnection';
import { loadMemberVolumes, loadReadMarkers, saveMemberVolumes, type Preferences, type StoredSession } from './storage';

export interface ChatCoreOptions {
  session: Pick<StoredSession, 'userId' | 'displayName'>;
  /** Called on every (re)connect. */
  getToken: () => Promise<string>;
  /** The hub answered 401: the next getToken should get a new token. */
  onTokenRefused: () => void;
  /** The preferences now (the channel to show first, the input device). */
  prefs: () => Preferences;
  /** Whether the page is visible and focused at the start. */
  focused: boolean;
  /** The room's mix to play now (null: none). */
  onRemoteStream: (stream: MediaStream | null) => void;
}

/** The signed-in client: one hub connection, one store, one voice session, one microphone. */
export interface ChatCore {
  store: Store;
  client: ChatClient;
  voice: VoiceSession;
  microphone: Microphone;
  /** The roles, permissions and channel endpoints, with this session's token. */
  api: ServerApi;
  /** Connects, retrying until it works or `dispose` is called. */
  connect(): void;
  /** Closes voice (without telling the server), releases the microphone and closes the connection. */
  dispose(): void;
}

/** Creates the signed-in client's parts and wires them together; nothing connects before `connect`. */
export function createChatCore({ session, getToken, onTokenRefused, prefs, focused, onRemoteStream }: ChatCoreOptions): ChatCore {
  const store = createStore(initialState(focused));
  store.dispatch({ type: 'me', user: { id: session.userId, displayName: session.displayName } });
  const hub = createHubConnection(getToken, onTokenRefused);
  const markers = loadReadMarkers(session.userId);
  const client = new ChatClient(hub, {
    dispatch: store.dispatch,
    getState: store.getState,
    readMarkers: () => markers,
    preferredChannel: () => prefs().lastChannelId,
    onStartFailed: (error) => {
      if (isUnauthorized(error)) onTokenRefused();
      else void checkToken(getToken, onTokenRefused);
    },
    onMemberVolume: (userId, volume) =>
      saveMemberVolumes(session.userId, remember(loadMemberVolumes(session.userId), userId, volume)),
  });
  const microphone = new Microphone();
  const voice = new VoiceSession({
    signalling: client,
    prepare: () => microphone.start(prefs().inputDeviceId),
    createPeer: (iceServers) => new RtcVoicePeer(microphone.sendTrack!, microphone.sendStream!, iceServers),
    onStatus: (status) => store.dispatch({ type: 'voiceStatus', status }),
    onMembers: (channelId, members) => store.dispatch({ type: 'voiceMembers', channelId, members }),
    onActivePeer: (peer) => onRemoteStream(peer?.remoteStream ?? null),
  });
  client.attachVoice(voice);
  installTestHook(voice, microphone, hub);
  return {
    store,
    client,
    voice,
    microphone,
    api: createServerApi(getToken, onTokenRefused),
    connect: () => void client.start(),
    dispose: () => {
      voice.dispose();
      microphone.stop();
      void client.stop();
    },
  };
}
