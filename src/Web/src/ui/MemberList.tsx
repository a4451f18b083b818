import { useChatState } from './context';
import { Avatar } from './Avatar';
import type { MemberDto } from '../protocol/types';

const none: MemberDto[] = [];

/** Who has the open text channel open now. */
export function MemberList() {
  const online = useChatState((s) => (s.activeChannelId ? s.views[s.activeChannelId]?.online : undefined) ?? none);
  const me = useChatState((s) => s.me?.id);
  const sorted = [...online].sort((a, b) => a.displayName.localeCompare(b.displayName));
  return (
    <>
      <h2 className="section-title" id="online-title">
        Online — {online.length}
      </h2>
      <ul className="member-list" aria-label="Online members">
        {sorted.map((m) => (
          <li key={m.userId} className="member" data-user-id={m.userId}>
            <Avatar userId={m.userId} name={m.displayName} size={28} />
            <span className="member-name">{m.displayName}</span>
            {m.userId === me && <span className="muted small">(you)</span>}
          </li>
        ))}
      </ul>
    </>
  );
}
