import type { MentionDto } from '../protocol/types';
import { parseLinks } from '../text/links';
import { mentionName, splitMentions, UnknownMention } from '../text/mentions';

/**
 * A message's text with http(s) links made clickable and `<@userId>` tokens shown as highlighted `@Name` (the name the
 * message's mention list gives, else `@unknown`); everything else is plain text (React escapes it).
 */
export function MessageText({ text, mentions, meId = null }: { text: string; mentions?: MentionDto[] | null; meId?: string | null }) {
  return (
    <>
      {splitMentions(text).map((part, i) => {
        if (part.kind === 'mention') {
          const name = mentionName(part.userId, mentions);
          const mine = part.userId === meId;
          return (
            <span key={i} className={mine ? 'mention me' : 'mention'} data-user-id={part.userId}>
              {name !== null ? `@${name}` : UnknownMention}
            </span>
          );
        }
        return parseLinks(part.text).map((segment, j) =>
          segment.kind === 'link' ? (
            <a key={`${i}-${j}`} href={segment.href} target="_blank" rel="noopener noreferrer">
              {segment.text}
            </a>
          ) : (
            <span key={`${i}-${j}`}>{segment.text}</span>
          ),
        );
      })}
    </>
  );
}
