// The records of a raw file as plain objects: now formats/records/raw.ts (the
// encoders of formats/records/ take them); re-exported for the tests.
export type * from '../formats/records/raw.ts';
