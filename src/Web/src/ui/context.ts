import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatClient } from '../client/chatClient';
import type { ServerApi } from '../client/serverApi';
import type { Preferences } from '../client/storage';
import type { State } from '../state/store';
import type { Store } from '../state/createStore';
import type { Microphone } from '../voice/microphone';
import type { VoiceSession } from '../voice/voiceSession';

export interface Chat {
  store: Store;
  client: ChatClient;
  voice: VoiceSession;
  microphone: Microphone;
  api: ServerApi;
  prefs: Preferences;
  setPrefs: (change: Partial<Preferences>) => void;
  /** Whether the push-to-talk key is held now. */
  talking: boolean;
  /** Returns to the join screen (keeping the token, so the user keeps their id). */
  changeName: () => void;
  /** Leaves voice, forgets the user on this device and returns to the join screen. */
  signOut: () => void;
}

export const ChatContext = createContext<Chat | null>(null);

export function useChat(): Chat {
  const chat = useContext(ChatContext);
  if (!chat) throw new Error('useChat outside ChatContext');
  return chat;
}

/** A slice of the store's state; re-renders when it changes (compare with `Object.is`). */
export function useChatState<T>(select: (state: State) => T): T {
  const { store } = useChat();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
