// The complement of a few hash tags, spelled as Redis glob patterns (test/redis-acl.test.ts
// holds them against a real Redis).
import { describe, expect, it } from 'vitest';
import { tagsExcept } from './acl.ts';

describe('tagsExcept', () => {
  it('spells the complement of the tags as a trie of negated classes', () => {
    expect(tagsExcept('p:{', ['bull'])).toEqual(['p:{[^b]*', 'p:{b[^u]*', 'p:{bu[^l]*', 'p:{bul[^l]*', 'p:{bull[^}]*']);
  });

  it('shares the classes of tags with a common start', () => {
    expect(tagsExcept('p:{', ['ab', 'ac'])).toEqual(['p:{[^a]*', 'p:{a[^bc]*', 'p:{ab[^}]*', 'p:{ac[^}]*']);
  });

  it('no tags: every tag', () => {
    expect(tagsExcept('p:{', [])).toEqual(['p:{*']);
  });
});
