import { describe, expect, test } from 'vitest';
import type { MessageDto } from '../protocol/types';
import {
  encodeMentions,
  insertMention,
  knownMembers,
  mentionQuery,
  mentionsUser,
  readableText,
  splitMentions,
  suggestMembers,
} from './mentions';

const alice = { userId: 'u-alice', name: 'Alice' };
const bob = { userId: 'u-bob', name: 'Bob' };
const bobby = { userId: 'u-bobby', name: 'Bob Ross' };

function msg(id: number, authorId: string, authorName: string, text = 'hi', mentions: MessageDto['mentions'] = []): MessageDto {
  return { id, channelId: 'general', authorId, authorName, text, sentAt: '2025-01-01T12:00:00Z', mentions };
}

describe('splitMentions', () => {
  test('splits tokens from the text around them', () => {
    expect(splitMentions('hi <@u-alice>, and <@g-0123>!')).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', userId: 'u-alice' },
      { kind: 'text', text: ', and ' },
      { kind: 'mention', userId: 'g-0123' },
      { kind: 'text', text: '!' },
    ]);
  });

  test('leaves malformed tokens as text', () => {
    expect(splitMentions('<@> <@a b> <@x')).toEqual([{ kind: 'text', text: '<@> <@a b> <@x' }]);
    expect(splitMentions(`<@${'x'.repeat(65)}>`)).toEqual([{ kind: 'text', text: `<@${'x'.repeat(65)}>` }]);
  });
});

describe('readableText and mentionsUser', () => {
  test('tokens read as @Name from the mention list, unknown ids as @unknown (or kept for editing)', () => {
    const m = msg(1, 'u-bob', 'Bob', 'hey <@u-alice> and <@u-ghost>', [alice]);
    expect(readableText(m)).toBe('hey @Alice and @unknown');
    expect(readableText(m, true)).toBe('hey @Alice and <@u-ghost>');
  });

  test('a message mentions a user by its list or by a token', () => {
    expect(mentionsUser(msg(1, 'u-bob', 'Bob', 'hey', [alice]), 'u-alice')).toBe(true);
    expect(mentionsUser({ text: 'hey <@u-alice>', mentions: undefined }, 'u-alice')).toBe(true);
    expect(mentionsUser(msg(1, 'u-bob', 'Bob', 'hey <@u-bob>', [bob]), 'u-alice')).toBe(false);
    expect(mentionsUser(msg(1, 'u-bob', 'Bob', 'hey <@u-alice>'), null)).toBe(false);
  });
});

describe('encodeMentions', () => {
  test('turns @Name of a known member into a token, ignoring case, whole names only', () => {
    expect(encodeMentions('hi @Alice and @alice.', [alice, bob])).toBe('hi <@u-alice> and <@u-alice>.');
    expect(encodeMentions('@Alicea @Bo', [alice, bob])).toBe('@Alicea @Bo');
  });

  test('an @ inside a word (an address) is not a mention', () => {
    expect(encodeMentions('mail bob@Alice.org', [alice])).toBe('mail bob@Alice.org');
  });

  test('the longest matching name wins', () => {
    expect(encodeMentions('@Bob Ross paints, @Bob watches', [bob, bobby])).toBe('<@u-bobby> paints, <@u-bob> watches');
  });

  test('a name two members share is converted only for the one picked', () => {
    const otherAlice = { userId: 'u-alice2', name: 'alice' };
    expect(encodeMentions('@Alice', [alice, otherAlice])).toBe('@Alice');
    expect(encodeMentions('@Alice', [alice, otherAlice], [otherAlice])).toBe('<@u-alice2>');
  });

  test('text without @ or without members is unchanged', () => {
    expect(encodeMentions('plain', [alice])).toBe('plain');
    expect(encodeMentions('@Alice', [])).toBe('@Alice');
  });
});

describe('suggestions', () => {
  test('the @ word at the caret is found after a space or at the start, not inside a word', () => {
    expect(mentionQuery('@Al', 3)).toEqual({ start: 0, query: 'Al' });
    expect(mentionQuery('hi @', 4)).toEqual({ start: 3, query: '' });
    expect(mentionQuery('hi @Al there', 6)).toEqual({ start: 3, query: 'Al' });
    expect(mentionQuery('mail bob@x', 10)).toBeNull();
    expect(mentionQuery('hi @Al there', 12)).toBeNull();
  });

  test('names starting with the query come first, then names containing it; case is ignored', () => {
    const members = [{ userId: '1', name: 'Carla' }, { userId: '2', name: 'arlo' }, { userId: '3', name: 'Bob' }, { userId: '4', name: 'Arnold' }];
    expect(suggestMembers(members, 'ar').map((m) => m.name)).toEqual(['arlo', 'Arnold', 'Carla']);
    expect(suggestMembers(members, '', 2)).toHaveLength(2);
    expect(suggestMembers(members, 'zz')).toEqual([]);
  });

  test('choosing replaces the @ word with @Name and a space, the caret after it', () => {
    expect(insertMention('hi @Al', 3, 6, 'Alice')).toEqual({ text: 'hi @Alice ', caret: 10 });
    expect(insertMention('hi @Al there', 3, 6, 'Alice')).toEqual({ text: 'hi @Alice there', caret: 10 });
  });

  test('known members: online ones, authors and mentioned users under their newest names, without me', () => {
    const messages = [msg(1, 'u-carl', 'Carl (old)'), msg(2, 'u-carl', 'Carl'), msg(3, 'u-me', 'Me', 'hi <@u-dana>', [{ userId: 'u-dana', name: 'Dana' }])];
    const known = knownMembers([{ userId: 'u-alice', displayName: 'Alice' }], messages, 'u-me');
    expect(known).toEqual([alice, { userId: 'u-dana', name: 'Dana' }, { userId: 'u-carl', name: 'Carl' }]);
  });
});
