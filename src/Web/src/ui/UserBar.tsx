import { useEffect, useId, useRef, useState } from 'react';
import { isGuest } from '../client/sessionKeeper';
import { listInputDevices } from '../voice/microphone';
import { keyLabel } from '../voice/pushToTalk';
import { suppressedInVoice } from '../state/permissions';
import { serverDeafenedInVoice } from '../state/moderation';
import { useAccount } from './account';
import { AccountDialog } from './AccountDialog';
import { Avatar } from './Avatar';
import { useChat, useChatState } from './context';
import { Icon, type IconName } from './Icon';

/**
 * The signed-in user: the account menu (account settings, setting up a server without an owner, a guest's change of
 * name, sign out) behind the name, mute, deafen (also before joining voice) and voice settings. A guest's own name
 * carries a "guest" tag.
 */
export function UserBar() {
  const { voice, changeName, signOut } = useChat();
  const me = useChatState((s) => s.me);
  const muted = useChatState((s) => s.voice.muted);
  const deafened = useChatState((s) => s.voice.deafened);
  const suppressed = useChatState(suppressedInVoice);
  const serverDeafened = useChatState(serverDeafenedInVoice);
  const account = useAccount();
  const guest = account ? isGuest(account.session) : false;
  const [open, setOpen] = useState<'settings' | 'account' | null>(null);
  // A change to the account restarts the chat; its settings open again to say what the change did.
  const [dialog, setDialog] = useState(() => account?.notice != null);
  const accountButton = useRef<HTMLButtonElement>(null);
  const settingsId = useId();
  const guestTagId = useId();
  const accountId = useId();
  const toggle = (panel: 'settings' | 'account') => setOpen((o) => (o === panel ? null : panel));
  const showDialog = () => {
    setOpen(null);
    setDialog(true);
  };

  // Escape closes an open panel.
  useEffect(() => {
    if (open === null) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);

  return (
    <div className="user-area">
      {open === 'settings' && <VoiceSettings id={settingsId} />}
      {dialog && account && (
        <AccountDialog
          account={account}
          signOut={signOut}
          onClose={() => {
            setDialog(false);
            account.clearNotice();
            accountButton.current?.focus();
          }}
        />
      )}
      {open === 'account' && (
        <section className="account-menu" id={accountId} aria-label="Account">
          {account && (
            <button type="button" className="menu-item" onClick={showDialog}>
              <Icon name="users" size={16} /> Account settings
            </button>
          )}
          {account && !guest && account.setupRequired && (
            <button type="button" className="menu-item" onClick={showDialog}>
              <Icon name="sliders" size={16} /> Set up this server
            </button>
          )}
          {(!account || guest) && (
            <button type="button" className="menu-item" onClick={changeName}>
              <Icon name="edit" size={16} /> Change display name
            </button>
          )}
          <button type="button" className="menu-item danger" onClick={signOut} title="Sign out and forget me on this device">
            <Icon name="signOut" size={16} /> Sign out
          </button>
        </section>
      )}
      <div className="user-bar">
        <button
          type="button"
          className="user-button"
          ref={accountButton}
          aria-label={`Account: ${me?.displayName ?? ''}`}
          aria-describedby={guest ? guestTagId : undefined}
          aria-expanded={open === 'account'}
          aria-controls={accountId}
          title={me?.displayName}
          onClick={() => toggle('account')}
        >
          {me && <Avatar userId={me.id} name={me.displayName} size={32} />}
          <span className="user-name">{me?.displayName}</span>
          {guest && (
            <span className="guest-tag" id={guestTagId}>
              guest
            </span>
          )}
        </button>
        <div className="user-buttons">
          <ToggleButton label="Mute" offLabel="Unmute" on={muted} icon="mic" onIcon="micOff" onToggle={() => voice.setMuted(!muted)}
            blocked={suppressed ? 'You cannot speak in this voice channel' : undefined} />
          <ToggleButton
            label="Deafen"
            offLabel="Undeafen"
            on={deafened}
            icon="headphones"
            onIcon="headphonesOff"
            onToggle={() => voice.setDeafened(!deafened)}
            blocked={serverDeafened ? 'A moderator deafened you' : undefined}
          />
          <button
            type="button"
            className="icon-button"
            aria-label="Voice settings"
            aria-expanded={open === 'settings'}
            aria-controls={settingsId}
            title="Voice settings"
            onClick={() => toggle('settings')}
          >
            <Icon name="sliders" />
          </button>
        </div>
      </div>
    </div>
  );
}

/**
 * A pressed/unpressed icon button; `offLabel` is its tooltip while pressed (what pressing again does). `blocked`
 * says why what it controls has no effect here (the button shows a blocked icon and is described by it).
 */
function ToggleButton(props: { label: string; offLabel: string; on: boolean; icon: IconName; onIcon: IconName; onToggle: () => void; blocked?: string }) {
  const { label, offLabel, on, icon, onIcon, onToggle, blocked } = props;
  const blockedId = useId();
  return (
    <button
      type="button"
      className={`icon-button${on ? ' toggled' : ''}${blocked ? ' suppressed' : ''}`}
      aria-label={label}
      aria-pressed={on}
      aria-describedby={blocked ? blockedId : undefined}
      title={blocked ?? (on ? offLabel : label)}
      onClick={onToggle}
    >
      <Icon name={blocked ? (icon === 'mic' ? 'micBlocked' : 'headphonesBlocked') : on ? onIcon : icon} />
      {blocked && (
        <span id={blockedId} className="sr-only">
          {blocked}
        </span>
      )}
    </button>
  );
}

function VoiceSettings({ id }: { id: string }) {
  const { microphone, prefs, setPrefs } = useChat();
  const inVoice = useChatState((s) => s.voice.phase !== 'idle');
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [capturingKey, setCapturingKey] = useState(false);
  const deviceSelectId = useId();

  useEffect(() => {
    let live = true;
    const refresh = () => void listInputDevices().then((d) => live && setDevices(d)).catch(() => {});
    refresh();
    navigator.mediaDevices?.addEventListener?.('devicechange', refresh);
    return () => {
      live = false;
      navigator.mediaDevices?.removeEventListener?.('devicechange', refresh);
    };
  }, [inVoice]);

  useEffect(() => {
    if (!capturingKey) return;
    const onKey = (e: KeyboardEvent) => {
      e.preventDefault();
      e.stopImmediatePropagation();
      if (e.code !== 'Escape') setPrefs({ pushToTalkKey: e.code });
      setCapturingKey(false);
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, [capturingKey, setPrefs]);

  return (
    <section className="voice-settings" id={id} aria-label="Voice settings">
      <label className="check-row">
        <input type="checkbox" checked={prefs.pushToTalk} onChange={(e) => setPrefs({ pushToTalk: e.target.checked })} />
        Push to talk
      </label>
      <div className="setting-row">
        <span id={`${id}-key`}>Talk key</span>
        <button
          type="button"
          className="key-button"
          aria-label="Push-to-talk key"
          aria-describedby={`${id}-key`}
          aria-pressed={capturingKey}
          onClick={() => setCapturingKey((c) => !c)}
        >
          {capturingKey ? 'Press a key…' : keyLabel(prefs.pushToTalkKey)}
        </button>
      </div>
      <label className="setting-label" htmlFor={deviceSelectId}>
        Input device
      </label>
      <select
        id={deviceSelectId}
        aria-label="Input device"
        value={prefs.inputDeviceId ?? ''}
        onChange={(e) => {
          const deviceId = e.target.value || null;
          setPrefs({ inputDeviceId: deviceId });
          void microphone.useDevice(deviceId).catch(() => {});
        }}
      >
        <option value="">Default</option>
        {devices
          .filter((d) => d.deviceId && d.deviceId !== 'default')
          .map((d, i) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label || `Microphone ${i + 1}`}
            </option>
          ))}
      </select>
    </section>
  );
}
