import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GRAFEAS_PROTO_FILES, PROTO_INCLUDE_DIRS, attestdProtoFiles, loadProtoRoot } from '../../src/proto/proto-root';

describe('loadProtoRoot', () => {
  it('is a cached singleton holding grafeas.v1 with proto (snake_case) field names', () => {
    const root = loadProtoRoot();
    expect(loadProtoRoot()).to.equal(root);
    const note = root.lookupType('grafeas.v1.Note');
    expect(note.fields).to.have.property('short_description');
    expect(root.lookupService('grafeas.v1.Grafeas').methods).to.have.property('BatchCreateNotes');
  });

  it('holds every well-known type an Any may carry', () => {
    for (const name of ['Int64Value', 'BytesValue', 'Duration', 'Struct', 'Empty', 'FieldMask', 'Timestamp']) {
      expect(() => loadProtoRoot().lookupType(`google.protobuf.${name}`), name).not.to.throw();
    }
  });

  it('finds proto/ and google-proto-files, and lists attestd protos relative to proto/', () => {
    expect(PROTO_INCLUDE_DIRS).to.have.length(2);
    expect(fs.existsSync(path.join(PROTO_INCLUDE_DIRS[1]!, GRAFEAS_PROTO_FILES[0]!))).to.equal(true);
    for (const file of attestdProtoFiles()) {
      expect(file).to.match(/^[\w/]+\.proto$/);
      expect(fs.existsSync(path.join(PROTO_INCLUDE_DIRS[0]!, file))).to.equal(true);
    }
  });
});
