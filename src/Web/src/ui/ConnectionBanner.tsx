import { useChatState } from './context';

const text = {
  connecting: 'Connecting to the server…',
  reconnecting: 'Connection lost. Reconnecting…',
  disconnected: 'Cannot reach the server. Trying again…',
  connected: '',
} as const;

/** Says when the connection is not up; voice keeps playing meanwhile, and everything reopens when it is back. */
export function ConnectionBanner() {
  const status = useChatState((s) => s.connection);
  return (
    <div className="banner" role="status" aria-live="polite" data-connection={status} hidden={status === 'connected'}>
      {status !== 'connected' && <span className="spinner" aria-hidden="true" />}
      {text[status]}
    </div>
  );
}
