import { useEffect } from 'react';
import type { ChatClient } from '../../client/chatClient';
import { loadMemberVolumes } from '../../client/storage';
import type { Store } from '../../state/createStore';
import { RememberedVolumes } from '../../voice/rememberedVolumes';

/** Volumes chosen for members in earlier voice sessions are applied again when they are in the room. */
export function useRememberedVolumes(store: Store, client: ChatClient, userId: string): void {
  useEffect(() => {
    const remembered = new RememberedVolumes(
      () => loadMemberVolumes(userId),
      (memberId, volume) => client.setMemberVolume(memberId, volume),
    );
    const update = () => queueMicrotask(() => remembered.update(store.getState()));
    update();
    return store.subscribe(update);
  }, [store, client, userId]);
}
