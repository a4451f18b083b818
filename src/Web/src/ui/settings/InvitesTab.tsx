import type { ServerApi } from '../../client/serverApi';

/** The admin panel's Invites page. */
export function InvitesTab({ api }: { api: ServerApi }) {
  void api;
  return <p className="muted">Invites</p>;
}
