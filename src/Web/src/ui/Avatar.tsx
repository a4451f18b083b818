import { initials, userHue } from './format';

/** A coloured circle with the user's initials; a ring while they speak. Decorative: the name is always next to it. */
export function Avatar({ userId, name, size = 32, speaking = false }: { userId: string; name: string; size?: number; speaking?: boolean }) {
  return (
    <span
      className={speaking ? 'avatar speaking' : 'avatar'}
      style={{ width: size, height: size, fontSize: size * 0.42, ['--hue' as string]: userHue(userId) }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}
