import { describe, expect, test } from 'vitest';
import { parseLinks, safeHref } from './links';

const links = (text: string) => parseLinks(text).filter((s) => s.kind === 'link').map((s) => (s.kind === 'link' ? s.href : ''));

describe('parseLinks', () => {
  test('splits text around http and https links', () => {
    expect(parseLinks('see https://example.com/a?b=1 and http://x.org now')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'http://x.org', href: 'http://x.org/' },
      { kind: 'text', text: ' now' },
    ]);
  });

  test('plain text stays one segment, and the segments rebuild the text', () => {
    const text = 'no links here, just javascript:alert(1) and www.example.com';
    expect(parseLinks(text)).toEqual([{ kind: 'text', text }]);
    const mixed = 'a https://e.com/x). b (https://e.com/y) c';
    expect(parseLinks(mixed).map((s) => s.text).join('')).toBe(mixed);
  });

  test('never makes links of other schemes', () => {
    expect(links('javascript:alert(1) data:text/html,hi file:///etc/passwd ftp://x.org vbscript:x')).toEqual([]);
  });

  test('leaves trailing punctuation and unbalanced brackets out of the link', () => {
    expect(links('go to https://example.com.')).toEqual(['https://example.com/']);
    expect(links('(see https://example.com/page)')).toEqual(['https://example.com/page']);
    expect(links('wiki https://en.wikipedia.org/wiki/Foo_(bar) ok')).toEqual(['https://en.wikipedia.org/wiki/Foo_(bar)']);
    expect(links('really? https://e.com/q?x=1!')).toEqual(['https://e.com/q?x=1']);
  });

  test('stops at quotes and angle brackets', () => {
    expect(links('<https://e.com/a>')).toEqual(['https://e.com/a']);
    expect(links('"https://e.com/a"onclick=x')).toEqual(['https://e.com/a']);
  });

  test('ignores a scheme glued to a word', () => {
    expect(links('xhttps://e.com')).toEqual([]);
  });

  test('finds a link at the very start and end', () => {
    expect(links('https://a.com b https://b.com')).toEqual(['https://a.com/', 'https://b.com/']);
  });

  test('skips candidates that are not valid URLs', () => {
    expect(links('http://')).toEqual([]);
    expect(links('https://[bad')).toEqual([]);
  });
});

describe('safeHref', () => {
  test('accepts http and https only', () => {
    expect(safeHref('https://e.com/x')).toBe('https://e.com/x');
    expect(safeHref('HTTP://E.COM')).toBe('http://e.com/');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
  });
});
