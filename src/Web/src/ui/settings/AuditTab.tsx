import type { ServerApi } from '../../client/serverApi';

/** The admin panel's Audit page. */
export function AuditTab({ api }: { api: ServerApi }) {
  void api;
  return <p className="muted">Audit</p>;
}
