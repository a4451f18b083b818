import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { serverAllows } from '../../state/permissions';
import type { State } from '../../state/store';
import { useChat, useChatState } from '../context';
import { Dialog } from '../Dialog';
import { AuditTab } from './AuditTab';
import { BansTab } from './BansTab';
import { ChannelsTab } from './ChannelsTab';
import { ClusterTab } from './ClusterTab';
import { InvitesTab } from './InvitesTab';
import { MembersTab } from './MembersTab';
import { OverviewTab } from './OverviewTab';
import { RolesTab } from './RolesTab';
import { useRoles } from './useSettings';

type Tab = 'overview' | 'channels' | 'roles' | 'members' | 'bans' | 'invites' | 'audit' | 'cluster';
const tabNames: Record<Tab, string> = {
  overview: 'Overview',
  channels: 'Channels',
  roles: 'Roles',
  members: 'Members',
  bans: 'Bans',
  invites: 'Invites',
  audit: 'Audit log',
  cluster: 'Cluster',
};

const selectPermissions = (s: State) => s.permissions;

/** The panel's pages the user may open, in the order shown. */
function panelTabs(mine: State['permissions']): Tab[] {
  const can = (p: Parameters<typeof serverAllows>[1]) => serverAllows(mine, p);
  const shown: Record<Tab, boolean> = {
    overview: can('manageServer'),
    channels: can('manageChannels'),
    roles: can('manageRoles'),
    members: can('manageRoles') || can('kickMembers') || can('banMembers'),
    bans: can('banMembers'),
    invites: can('manageServer'),
    audit: can('viewAuditLog'),
    cluster: can('manageServer'),
  };
  return (Object.keys(tabNames) as Tab[]).filter((t) => shown[t]);
}

/**
 * The server's settings (the admin panel), for those who manage something: a page per thing the user may manage
 * (`panelTabs`), tabs that the arrow keys move between, each a panel of small forms.
 */
export function ServerSettingsDialog({ onClose }: { onClose: () => void }) {
  const { api } = useChat();
  const mine = useChatState(selectPermissions);
  const tabs = panelTabs(mine);
  const [chosen, setChosen] = useState<Tab>(tabs[0] ?? 'roles');
  const tab = tabs.includes(chosen) ? chosen : tabs[0];
  const { roles, error, reload } = useRoles(api);
  const base = useId();
  const tabRefs = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});

  const onTabKey = (e: KeyboardEvent) => {
    const i = tab ? tabs.indexOf(tab) : -1;
    const next = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : undefined;
    if (!next) return;
    e.preventDefault();
    setChosen(next);
    tabRefs.current[next]?.focus();
  };

  return (
    <Dialog title="Server settings" onClose={onClose} className="wide-dialog">
      {tabs.length === 0 ? (
        <p className="muted">You no longer manage roles or channels on this server.</p>
      ) : (
        <>
          <div className="tabs" role="tablist" aria-label="Settings" onKeyDown={onTabKey}>
            {tabs.map((t) => (
              <button
                key={t}
                type="button"
                role="tab"
                id={`${base}-${t}`}
                aria-selected={t === tab}
                aria-controls={`${base}-${t}-panel`}
                tabIndex={t === tab ? 0 : -1}
                ref={(el) => {
                  tabRefs.current[t] = el;
                }}
                onClick={() => setChosen(t)}
              >
                {tabNames[t]}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`${base}-${tab}-panel`} aria-labelledby={`${base}-${tab}`} className="tab-panel">
            {error && (
              <p className="field-error" role="alert">
                {error}
              </p>
            )}
            {tab === 'overview' && <OverviewTab api={api} />}
            {tab === 'channels' && <ChannelsTab api={api} />}
            {tab === 'bans' && <BansTab api={api} />}
            {tab === 'invites' && <InvitesTab api={api} />}
            {tab === 'audit' && <AuditTab api={api} />}
            {tab === 'cluster' && <ClusterTab api={api} />}
            {tab === 'roles' && roles && <RolesTab api={api} roles={roles} mine={mine} reload={reload} />}
            {tab === 'members' && roles && <MembersTab api={api} roles={roles} mine={mine} />}
            {(tab === 'roles' || tab === 'members') && !roles && !error && <p className="muted" role="status">Loading…</p>}
          </div>
        </>
      )}
    </Dialog>
  );
}
