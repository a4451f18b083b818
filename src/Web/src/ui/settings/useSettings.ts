import { useCallback, useEffect, useId, useState } from 'react';
import { describeSettingsError, type ServerApi } from '../../client/serverApi';
import type { RoleDto } from '../../protocol/types';
import { sortRoles } from '../../state/permissions';

/** The server's roles, highest first, loaded when shown and again on `reload` (after each change). */
export function useRoles(api: ServerApi) {
  const [roles, setRoles] = useState<RoleDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setRoles(sortRoles(await api.roles()));
      setError(null);
    } catch (e) {
      setError(describeSettingsError(e));
    }
  }, [api]);
  useEffect(() => void reload(), [reload]);
  return { roles, error, reload };
}

/** A settings call: busy while it runs, its refusal as a sentence (`error`, with `errorId` for aria-describedby). */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const run = useCallback(async (work: () => Promise<void>, check: string | null = null): Promise<boolean> => {
    setError(check);
    if (check) return false;
    setBusy(true);
    try {
      await work();
      return true;
    } catch (e) {
      setError(describeSettingsError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, errorId, run };
}
