import type { MessageDto } from '../protocol/types';

/** Consecutive messages of one author within this long of each other share one header. */
export const GroupWindowMs = 5 * 60 * 1000;

export type TimelineItem =
  | { kind: 'day'; key: string; date: Date }
  | { kind: 'divider'; key: string }
  | { kind: 'message'; key: string; message: MessageDto; head: boolean };

const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;

/**
 * What the message pane draws, top to bottom: a line for each new day, the "new messages" divider before
 * message `dividerBefore`, and messages marked `head` where a group starts (another author, the same author under
 * another name, a pause longer than the window, a reply, or a day or divider line in between).
 */
export function buildTimeline(messages: MessageDto[], dividerBefore: number | null, windowMs = GroupWindowMs): TimelineItem[] {
  const items: TimelineItem[] = [];
  let previous: MessageDto | null = null;
  let previousAt = 0;
  let previousDay = '';
  for (const message of messages) {
    const at = new Date(message.sentAt);
    const time = at.getTime();
    // A message keeps the name it was posted under: after a rename (or a guest claiming an account) the next
    // message must not sit under the old name's header.
    let head =
      previous === null ||
      previous.authorId !== message.authorId ||
      previous.authorName !== message.authorName ||
      !(time - previousAt <= windowMs && time >= previousAt) ||
      // A reply shows what it answers above its author's name.
      (message.replyTo ?? null) !== null;
    const day = Number.isNaN(time) ? previousDay : dayKey(at);
    if (day !== previousDay) {
      items.push({ kind: 'day', key: `day-${day}`, date: at });
      head = true;
    }
    if (dividerBefore !== null && message.id === dividerBefore) {
      items.push({ kind: 'divider', key: 'divider' });
      head = true;
    }
    items.push({ kind: 'message', key: `m-${message.id}`, message, head });
    previous = message;
    previousAt = time;
    previousDay = day;
  }
  return items;
}
