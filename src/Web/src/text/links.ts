/** A piece of a message's text: plain text, or a link that is safe to render as an anchor. */
export type TextSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// A candidate starts at http:// or https:// and runs to whitespace or a character that cannot be in a bare URL.
const candidate = /https?:\/\/[^\s<>"'`\u0000-\u001f\u007f]+/gi;
const trailingPunctuation = /[.,;:!?*]$/;

/**
 * Splits text into plain runs and links. Only http and https links are made; a link's trailing punctuation
 * (a full stop, or a closing bracket without its opening one) stays in the text.
 */
export function parseLinks(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let plainFrom = 0;
  candidate.lastIndex = 0;
  for (let match = candidate.exec(text); match; match = candidate.exec(text)) {
    // "xhttp://" or "ahttps://" is not a link start.
    const before = match.index > 0 ? text[match.index - 1]! : '';
    if (/[\p{L}\p{N}_]/u.test(before)) continue;
    const raw = trimTrailing(match[0]);
    const href = safeHref(raw);
    if (href === null) continue;
    if (match.index > plainFrom) segments.push({ kind: 'text', text: text.slice(plainFrom, match.index) });
    segments.push({ kind: 'link', text: raw, href });
    plainFrom = match.index + raw.length;
    candidate.lastIndex = plainFrom;
  }
  if (plainFrom < text.length) segments.push({ kind: 'text', text: text.slice(plainFrom) });
  return segments;
}

function trimTrailing(url: string): string {
  let end = url.length;
  for (;;) {
    const last = url[end - 1];
    const body = url.slice(0, end);
    if (trailingPunctuation.test(body)) end--;
    else if (last === ')' && count(body, '(') < count(body, ')')) end--;
    else if (last === ']' && count(body, '[') < count(body, ']')) end--;
    else break;
  }
  return url.slice(0, end);
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** The normalised URL when it is a well-formed http(s) URL with a host, else null. */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}
