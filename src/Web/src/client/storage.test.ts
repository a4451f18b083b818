// @vitest-environment happy-dom
import { beforeEach, describe, expect, test } from 'vitest';
import {
  defaultPreferences,
  forgetUser,
  loadLastName,
  loadMemberVolumes,
  loadPreferences,
  loadReadMarkers,
  loadSession,
  saveLastName,
  saveMemberVolumes,
  savePreferences,
  saveReadMarkers,
  saveSession,
} from './storage';

const session = { token: 't0k3n', userId: 'u1', displayName: 'Alice', expiresAt: '2099-01-01T00:00:00Z' };

describe('storage', () => {
  beforeEach(() => localStorage.clear());

  test('signing out forgets the session, the name, what the user read and their member volumes, and keeps device preferences', () => {
    saveSession(session);
    saveLastName('Alice');
    saveReadMarkers('u1', { general: 12 });
    saveReadMarkers('u2', { general: 3 });
    saveMemberVolumes('u1', { u3: 0.5 });
    savePreferences({ ...loadPreferences(), theme: 'dark', pushToTalk: true });

    forgetUser('u1');

    expect(loadSession()).toBeNull();
    expect(loadLastName()).toBe('');
    expect(loadReadMarkers('u1')).toEqual({});
    expect(loadReadMarkers('u2')).toEqual({ general: 3 });
    expect(loadMemberVolumes('u1')).toEqual({});
    expect(loadPreferences()).toMatchObject({ theme: 'dark', pushToTalk: true });
  });

  test('corrupt or foreign values read as absent', () => {
    localStorage.setItem('openchat.session', '{not json');
    localStorage.setItem('openchat.prefs', '"a string"');
    expect(loadSession()).toBeNull();
    expect(loadPreferences()).toEqual(defaultPreferences);
    localStorage.setItem('openchat.session', JSON.stringify({ token: 42, displayName: 'x' }));
    expect(loadSession()).toBeNull();
    localStorage.setItem('openchat.volumes.u1', JSON.stringify({ a: 0.5, b: 'loud', c: 7, d: -1, e: 2 }));
    expect(loadMemberVolumes('u1')).toEqual({ a: 0.5, e: 2 });
  });
});
