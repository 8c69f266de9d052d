import assert from 'node:assert/strict';
import { checkPost, containsPhrase, countEmoji, dontTerms, hashtagsIn, validTag, type PostRules } from '../../backend/marketing/post-checks';
import { assemble } from '../../backend/marketing/draft-prompt';
import { channelLimit } from '../../backend/marketing/channel-limits';

/** The in-code checks a drafted post is held to, whatever the model promised. */
const rules = (over: Partial<PostRules> = {}): PostRules => ({
  maxLength: 280,
  emojiLevel: 'light',
  includeHashtags: true,
  forbiddenClaims: ['#1 note app', 'guaranteed productivity gains'],
  dont: ['Superlatives we cannot prove', 'Jargon like "synergy"', "Don't say 'best in class'"],
  ...over,
});
const draft = (text: string, badHashtags: string[] = []) => ({ text, hashtags: hashtagsIn(text), badHashtags });
const broken = (text: string, r = rules(), earlier: string[] = []) => checkPost(draft(text), r, earlier).map((v) => v.rule);

describe('marketing: post checks', () => {
  it('a post inside every rule is clean', () => {
    assert.deepEqual(checkPost(draft('Write product notes in half the time. Try it free 🙂\n\n#productnotes'), rules()), []);
  });

  it('forbidden claims match whatever the case, punctuation and accents, as whole words only', () => {
    for (const t of ['We are the #1 Note-App. #notes', 'GUARANTEED productivity gains!! #notes', 'Guaranteed… productivity—gains #notes', 'guaranteed  Productivity\ngains #notes']) {
      assert.deepEqual(broken(t), ['forbidden_claim'], t);
    }
    assert.ok(containsPhrase('Crème brûlée', 'creme BRULEE'));
    // A phrase inside a longer word is not the phrase.
    assert.deepEqual(broken('No guaranteed productivity gainsaying here #notes'), []);
    assert.deepEqual(broken('Over 1 note application per day #notes'), []);
  });

  it("the dont list: quoted terms are what is forbidden, an unquoted entry is matched as written, an apostrophe opens no quote", () => {
    assert.deepEqual(dontTerms('Jargon like "synergy"'), ['synergy']);
    assert.deepEqual(dontTerms("Don't say 'best in class'"), ['best in class']);
    assert.deepEqual(dontTerms('world-class'), ['world-class']);
    assert.deepEqual(dontTerms('Avoid “disrupt” and «leverage»'), ['disrupt', 'leverage']);
    assert.deepEqual(broken('Real Synergy, at last. #notes'), ['dont']);
    assert.deepEqual(broken('Synergistic notes #notes'), []);
    assert.deepEqual(broken('Best-in-class notes #notes'), ['dont']);
    assert.deepEqual(broken('A truly World Class app #notes', rules({ dont: ['world-class'] })), ['dont']);
  });

  it('length counts characters (code points), hashtags included', () => {
    assert.deepEqual(broken(`${'a'.repeat(270)} #notes`, rules()), []);
    assert.deepEqual(broken(`${'a'.repeat(275)} #notes`, rules()), ['max_length']);
    const v = checkPost(draft(`${'é'.repeat(60)} #x1`), rules({ maxLength: 60 }));
    assert.equal(v[0].rule, 'max_length');
    assert.match(v[0].detail, /64 characters, more than the limit of 60/);
  });

  it('emoji: a joined family, a skin tone or a flag is one emoji; © and ™ as text are none', () => {
    assert.equal(countEmoji('👨‍👩‍👧‍👦'), 1);
    assert.equal(countEmoji('👍🏽 🇫🇷 ✨'), 3);
    assert.equal(countEmoji('Lumen™ © 2026 ®'), 0);
    assert.equal(countEmoji('©️'), 1);
    assert.deepEqual(broken('Notes 🙂 #notes', rules({ emojiLevel: 'none' })), ['emoji']);
    assert.deepEqual(broken('Notes 🙂🙂 #notes', rules({ emojiLevel: 'light' })), []);
    assert.deepEqual(broken('Notes 🙂🙂🙂 #notes', rules({ emojiLevel: 'light' })), ['emoji']);
  });

  it('hashtags: missing when asked for, refused when not, and a proposed tag that is not one is named', () => {
    assert.deepEqual(broken('Notes that write themselves.'), ['hashtags_missing']);
    assert.deepEqual(broken('Notes #fast', rules({ includeHashtags: false })), ['hashtags_not_allowed']);
    // "#1" is not a hashtag (platforms link only tags with a letter), so it breaks no hashtag rule.
    assert.deepEqual(hashtagsIn('Version #1, #v2 and C#'), ['#v2']);
    assert.equal(validTag('##Product_Notes'), '#Product_Notes');
    assert.equal(validTag('product notes'), null);
    assert.equal(validTag('2026'), null);
    const d = assemble({ text: 'Notes for founders.', hashtags: ['notes', '#Notes', 'product notes', 'founders'] });
    assert.ok(d);
    assert.equal(d.text, 'Notes for founders.\n\n#notes #founders');
    assert.deepEqual(d.hashtags, ['#notes', '#founders']);
    assert.deepEqual(checkPost(d, rules()).map((v) => v.rule), ['hashtag_format']);
    assert.equal(assemble({ hashtags: [] }), null);
    assert.equal(assemble('a string'), null);
  });

  it('a post equal to one already kept (ignoring case and punctuation) is a duplicate; an empty post is only empty', () => {
    assert.deepEqual(broken('Notes, fast! #notes', rules(), [' notes fast notes ']), ['duplicate']);
    assert.deepEqual(broken('   '), ['empty']);
  });

  it("a channel's limit is the platform's, lowered (never raised) by max_length", () => {
    assert.equal(channelLimit('x', undefined), 280);
    assert.equal(channelLimit('x', 1000), 280);
    assert.equal(channelLimit('linkedin', 120), 120);
  });
});
