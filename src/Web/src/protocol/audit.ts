/** One audit log entry as `GET /api/server/audit` answers it (docs/protocol.md). */
export interface AuditEntryDto {
  id: number;
  /** ISO time the action took effect. */
  at: string;
  actor: { id: string; name: string };
  action: string;
  target: { kind: string; id: string; name: string | null };
  reason: string | null;
  detail: string | null;
}

/** A page of the audit log, newest first; `hasMore` when older matching entries may exist. */
export interface AuditPageDto {
  entries: AuditEntryDto[];
  hasMore: boolean;
}

/** The audit log's filters: an action or its kind (`member`), a member (id or part of a name, as actor or target), a cursor. */
export interface AuditQuery {
  action?: string;
  member?: string;
  before?: number;
  limit?: number;
}
