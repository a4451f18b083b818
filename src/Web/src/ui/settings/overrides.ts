import { useCallback, useEffect, useState } from 'react';
import { describeSettingsError, type ServerApi } from '../../client/serverApi';
import type { OverrideDto } from '../../protocol/types';
import type { OverrideChange } from '../../state/permissions';

/** A channel's overrides, loaded when shown and again on `reload`. */
export function useOverrides(api: ServerApi, channelId: string, enabled: boolean) {
  const [overrides, setOverrides] = useState<OverrideDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    if (!enabled) return;
    try {
      setOverrides(await api.overrides(channelId));
      setError(null);
    } catch (e) {
      setError(describeSettingsError(e));
    }
  }, [api, channelId, enabled]);
  useEffect(() => void reload(), [reload]);
  return { overrides, error, reload };
}

/** Sends override changes one after another: a PUT with the lists, a DELETE when both are empty. */
export async function applyOverrideChanges(api: ServerApi, channelId: string, changes: OverrideChange[]): Promise<void> {
  for (const c of changes) {
    if (c.allow.length === 0 && c.deny.length === 0) await api.deleteOverride(channelId, c.target, c.id);
    else await api.setOverride(channelId, c.target, c.id, c.allow, c.deny);
  }
}

