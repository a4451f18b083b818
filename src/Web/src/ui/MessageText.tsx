import { parseLinks } from '../text/links';

/** A message's text with http(s) links made clickable; everything else is plain text (React escapes it). */
export function MessageText({ text }: { text: string }) {
  return (
    <>
      {parseLinks(text).map((segment, i) =>
        segment.kind === 'link' ? (
          <a key={i} href={segment.href} target="_blank" rel="noopener noreferrer">
            {segment.text}
          </a>
        ) : (
          <span key={i}>{segment.text}</span>
        ),
      )}
    </>
  );
}
