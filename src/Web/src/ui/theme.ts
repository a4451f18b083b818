import type { ThemeChoice } from '../client/storage';

/** Applies a theme choice to the document: `system` follows prefers-color-scheme through CSS alone. */
export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
}

export const themeLabel: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };
