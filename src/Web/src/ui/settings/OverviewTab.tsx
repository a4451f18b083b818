import type { ServerApi } from '../../client/serverApi';

/** The admin panel's Overview page. */
export function OverviewTab({ api }: { api: ServerApi }) {
  void api;
  return <p className="muted">Overview</p>;
}
