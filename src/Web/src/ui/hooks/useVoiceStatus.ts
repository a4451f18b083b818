import { useSyncExternalStore } from 'react';
import type { Store } from '../../state/createStore';
import type { VoiceStatus } from '../../voice/types';

/** The user's own voice status; re-renders when it changes. */
export function useVoiceStatus(store: Store): VoiceStatus {
  return useSyncExternalStore(store.subscribe, () => store.getState().voice);
}
