import { expect } from 'chai';
import { storableJsonText, storableText } from '../../src/domain/storable-text';

describe('storable text', () => {
  it('escapes NUL and lone surrogates, and keeps every other character, pairs and controls included', () => {
    expect(storableText('a\u0000b')).to.equal('a\\u0000b');
    expect(storableText('x\ud800')).to.equal('x\\ud800');
    expect(storableText('\udfffx')).to.equal('\\udfffx');
    expect(storableText('\udc00\ud800')).to.equal('\\udc00\\ud800');
    expect(storableText('ok \u{1f600} \t\u0001 é')).to.equal('ok \u{1f600} \t\u0001 é');
  });

  it('applies to every string of a JSON value, keys included', () => {
    expect(JSON.parse(storableJsonText({ 'k\u0000': ['v\ud800', 1, true, null, { n: 'z' }] }))).to.deep.equal({
      'k\\u0000': ['v\\ud800', 1, true, null, { n: 'z' }],
    });
    expect(JSON.parse(storableJsonText({ a: [{ b: 'c\udfff' }] }))).to.deep.equal({ a: [{ b: 'c\\udfff' }] });
    expect(JSON.parse(storableJsonText(['ok \u{1f600}', 'a\\u0000 as written']))).to.deep.equal(['ok \u{1f600}', 'a\\u0000 as written']);
  });
});
