import type { ServerApi } from '../../client/serverApi';

/** The admin panel's Bans page. */
export function BansTab({ api }: { api: ServerApi }) {
  void api;
  return <p className="muted">Bans</p>;
}
