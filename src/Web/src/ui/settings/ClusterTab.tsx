import type { ServerApi } from '../../client/serverApi';

/** The admin panel's Cluster page. */
export function ClusterTab({ api }: { api: ServerApi }) {
  void api;
  return <p className="muted">Cluster</p>;
}
