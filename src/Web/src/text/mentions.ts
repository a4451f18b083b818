import type { MentionDto, MessageDto } from '../protocol/types';

/** A piece of a message's text: plain text, or a `<@userId>` token. */
export type MentionSegment = { kind: 'text'; text: string } | { kind: 'mention'; userId: string };

/** How the text of a mention whose user the message does not name reads. */
export const UnknownMention = '@unknown';

// A user id is 1 to 64 printable ASCII characters; `<` and `>` cannot be told from the token's own brackets.
const tokenPattern = () => /<@([!-;=?-~]{1,64})>/g;

/** The `<@userId>` token that mentions a user, as the server stores it. */
export const mentionToken = (userId: string) => `<@${userId}>`;

/** Splits text into plain runs and mention tokens. */
export function splitMentions(text: string): MentionSegment[] {
  const segments: MentionSegment[] = [];
  let plainFrom = 0;
  const pattern = tokenPattern();
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > plainFrom) segments.push({ kind: 'text', text: text.slice(plainFrom, match.index) });
    segments.push({ kind: 'mention', userId: match[1]! });
    plainFrom = match.index + match[0].length;
  }
  if (plainFrom < text.length) segments.push({ kind: 'text', text: text.slice(plainFrom) });
  return segments;
}

/** The name the message gives a mentioned user, or null when it names none. */
export function mentionName(userId: string, mentions: MentionDto[] | null | undefined): string | null {
  return mentions?.find((m) => m.userId === userId)?.name ?? null;
}

/**
 * A message's text as a person reads it: each token becomes `@Name` (`@unknown` for a user the message does not
 * name). With `keepUnknown`, such a token stays as it is (so that editing the text keeps it).
 */
export function readableText(message: Pick<MessageDto, 'text' | 'mentions'>, keepUnknown = false): string {
  return splitMentions(message.text)
    .map((s) => {
      if (s.kind === 'text') return s.text;
      const name = mentionName(s.userId, message.mentions);
      return name !== null ? `@${name}` : keepUnknown ? mentionToken(s.userId) : UnknownMention;
    })
    .join('');
}

/** Whether the message mentions `userId` (in its mention list, or by a token in its text). */
export function mentionsUser(message: Pick<MessageDto, 'text' | 'mentions'>, userId: string | null): boolean {
  if (userId === null) return false;
  if (message.mentions?.some((m) => m.userId === userId)) return true;
  return message.text.includes(mentionToken(userId));
}

const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);

/**
 * The text to send: each `@Name` of a known member becomes that member's `<@userId>` token. Names match whole
 * (not followed by a letter or digit), ignoring case, the longest first; an `@` inside a word does not start one. A
 * name that two members share is converted only for the member in `preferred` (the ones the user picked), else
 * left as typed.
 */
export function encodeMentions(text: string, members: MentionDto[], preferred: MentionDto[] = []): string {
  if (!text.includes('@') || (members.length === 0 && preferred.length === 0)) return text;
  const byName = new Map<string, string | null>();
  for (const m of members) {
    const key = m.name.toLowerCase();
    if (!key) continue;
    const held = byName.get(key);
    byName.set(key, held === undefined || held === m.userId ? m.userId : null);
  }
  for (const m of preferred) if (m.name) byName.set(m.name.toLowerCase(), m.userId);
  const names = [...byName.entries()].filter((e): e is [string, string] => e[1] !== null).sort((a, b) => b[0].length - a[0].length);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('@', i);
    if (at < 0) break;
    out += text.slice(i, at);
    i = at + 1;
    if (isWordChar(text[at - 1]) || text[at - 1] === '<') {
      out += '@';
      continue;
    }
    const found = names.find(([name]) => text.slice(at + 1, at + 1 + name.length).toLowerCase() === name && !isWordChar(text[at + 1 + name.length]));
    if (!found) {
      out += '@';
      continue;
    }
    out += mentionToken(found[1]);
    i = at + 1 + found[0].length;
  }
  return out + text.slice(i);
}

/** How many characters a name typed after `@` may have before the suggestions close. */
const QueryMax = 32;

/**
 * The `@` word being typed at `caret`: where its `@` is and what follows it, or null when the caret is not in one.
 * The `@` starts the text or follows a space or an opening bracket.
 */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(?:^|[\s([{])@([^\s@<>]*)$/u.exec(before);
  if (!match || match[1]!.length > QueryMax) return null;
  return { start: caret - match[1]!.length - 1, query: match[1]! };
}

/** Members whose names start with `query` (ignoring case), then those whose names contain it; at most `limit`. */
export function suggestMembers(members: MentionDto[], query: string, limit = 8): MentionDto[] {
  const q = query.toLowerCase();
  const starts: MentionDto[] = [];
  const contains: MentionDto[] = [];
  for (const m of members) {
    const name = m.name.toLowerCase();
    if (name.startsWith(q)) starts.push(m);
    else if (name.includes(q)) contains.push(m);
  }
  const byName = (a: MentionDto, b: MentionDto) => a.name.localeCompare(b.name);
  return [...starts.sort(byName), ...contains.sort(byName)].slice(0, limit);
}

/** The text with the `@` word that starts at `start` and ends at `caret` replaced by `@Name `, and the caret after it. */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const rest = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, start) + inserted + rest, caret: start + inserted.length };
}

/**
 * Who can be mentioned in a channel, as far as the client knows: its online members, the authors of the messages it
 * holds and the users those messages mention; each under the newest name seen (an online member's name first),
 * without `exceptUserId`.
 */
export function knownMembers(
  online: { userId: string; displayName: string }[],
  messages: MessageDto[],
  exceptUserId: string | null,
): MentionDto[] {
  const names = new Map<string, string>();
  for (const m of online) names.set(m.userId, m.displayName);
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (!names.has(message.authorId)) names.set(message.authorId, message.authorName);
    for (const mention of message.mentions ?? []) if (!names.has(mention.userId)) names.set(mention.userId, mention.name);
  }
  if (exceptUserId !== null) names.delete(exceptUserId);
  return [...names].map(([userId, name]) => ({ userId, name }));
}
