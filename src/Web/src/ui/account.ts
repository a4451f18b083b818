import { createContext, useContext } from 'react';
import type { StoredSession } from '../client/storage';

/** The signed-in user's session and what they can do with their account; each action rejects with the server's refusal. */
export interface Account {
  session: StoredSession;
  /** The server has no owner yet: an account can claim it with the setup code. */
  setupRequired: boolean;
  registrationOpen: boolean;
  /** A guest registers an account that keeps the guest's id and history. */
  claim: (username: string, password: string) => Promise<void>;
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
  signOutEverywhere: () => Promise<void>;
  deleteAccount: (password: string) => Promise<void>;
  setup: (code: string) => Promise<void>;
  /**
   * What the last change to the account did ("Password changed; …"), while the chat it restarted runs: the settings
   * open again with it, as the restart closed them. Null otherwise.
   */
  notice: string | null;
  clearNotice: () => void;
  /** The owner's one-time password reset link for a member, as an absolute URL, and when it expires. */
  issueResetLink: (username: string) => Promise<{ url: string; expiresAt: string }>;
}

export const AccountContext = createContext<Account | null>(null);

/** The account, or null where there is none to show (a component rendered on its own). */
export const useAccount = () => useContext(AccountContext);
