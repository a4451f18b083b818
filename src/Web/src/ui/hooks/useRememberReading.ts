import { useEffect } from 'react';
import { loadReadMarkers, saveReadMarkers, type Preferences } from '../../client/storage';
import type { Store } from '../../state/createStore';

/** Remembers what was read (at most once a second, and on unmount) and where the user was. */
export function useRememberReading(store: Store, userId: string, setPrefs: (change: Partial<Preferences>) => void): void {
  useEffect(() => {
    let last = store.getState();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const save = () => {
      timer = null;
      const state = store.getState();
      const markers = loadReadMarkers(userId);
      for (const [id, view] of Object.entries(state.views)) if (view.readUpTo > 0) markers[id] = view.readUpTo;
      saveReadMarkers(userId, markers);
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
  }, [store, userId, setPrefs]);
}
