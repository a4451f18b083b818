import type { Preferences } from '../client/storage';
import { Icon } from './Icon';
import { nextTheme, themeLabel } from './theme';

/** Cycles the colour theme: follow the system, light, dark. */
export function ThemeToggle({ prefs, setPrefs }: { prefs: Preferences; setPrefs: (change: Partial<Preferences>) => void }) {
  const label = `Theme: ${themeLabel[prefs.theme]}`;
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={label}
      title={`${label} (switch to ${themeLabel[nextTheme(prefs.theme)].toLowerCase()})`}
      data-theme-choice={prefs.theme}
      onClick={() => setPrefs({ theme: nextTheme(prefs.theme) })}
    >
      <Icon name={prefs.theme === 'light' ? 'sun' : prefs.theme === 'dark' ? 'moon' : 'contrast'} />
    </button>
  );
}
