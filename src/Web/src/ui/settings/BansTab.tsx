import { useCallback, useEffect, useRef, useState } from 'react';
import { describeSettingsError, type ServerApi } from '../../client/serverApi';
import type { BanDto } from '../../protocol/types';
import { FormError } from '../Field';
import { useAction } from './useSettings';

/** The admin panel's Bans page: every ban in force (who, by whom, when, why), newest first, each with Unban. */
export function BansTab({ api }: { api: ServerApi }) {
  const [bans, setBans] = useState<BanDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const reload = useCallback(async () => {
    try {
      setBans(await api.bans());
      setError(null);
    } catch (e) {
      setError(describeSettingsError(e));
    }
  }, [api]);
  useEffect(() => void reload(), [reload]);
  return (
    <section className="dialog-section" aria-labelledby="bans-title">
      <h3 id="bans-title" tabIndex={-1} ref={heading}>
        Bans
      </h3>
      {error && <p role="alert">{error}</p>}
      {done && (
        <p role="status" className="small">
          {done}
        </p>
      )}
      {!bans && !error && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      {bans?.length === 0 && <p className="muted">Nobody is banned.</p>}
      {bans && bans.length > 0 && (
        <ul className="invite-list" aria-label="Bans">
          {bans.map((ban) => (
            <BanRow
              key={ban.userId}
              api={api}
              ban={ban}
              onUnbanned={async () => {
                setDone(`${ban.name} was unbanned.`);
                await reload();
                heading.current?.focus();
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function BanRow({ api, ban, onUnbanned }: { api: ServerApi; ban: BanDto; onUnbanned: () => Promise<void> }) {
  const action = useAction();
  return (
    <li className="invite-row ban-row" data-user-id={ban.userId} aria-label={ban.name}>
      <div className="ban-who">
        <span className="role-name">{ban.name}</span>
        <span className="muted small">
          {' '}
          banned by {ban.byName ?? ban.by} · {new Date(ban.at).toLocaleString()}
        </span>
        <p className="small ban-reason">{ban.reason ? `Reason: ${ban.reason}` : 'No reason given.'}</p>
      </div>
      <div className="row-buttons">
        <button type="button" disabled={action.busy} aria-label={`Unban ${ban.name}`}
          onClick={() => void action.run(() => api.unban(ban.userId)).then((ok) => void (ok && onUnbanned()))}>
          Unban
        </button>
      </div>
      <FormError id={action.errorId}>{action.error}</FormError>
    </li>
  );
}
