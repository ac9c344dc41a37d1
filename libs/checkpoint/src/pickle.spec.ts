import { BufferSource } from './byte-source';
import { CheckpointError } from './checkpoint-error';
import { OpaqueObject, PickleCallable, PickleDict, PickleTuple, UnpickleOptions, unpickle } from './pickle';
import { PickleInput } from './pickle-input';

/** Assembles pickle bytes from opcode strings (latin1) and byte arrays. */
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const run = (b: Buffer, opts: Partial<UnpickleOptions> = {}) =>
  unpickle(new PickleInput(new BufferSource(b, 'x.pkl')), { globals: new Map(), ...opts });

describe('unpickle (safe subset)', () => {
  it('reads protocol-2 scalars, strings, tuples, lists and dicts', () => {
    // {'a': [1, -2, 300, 2**40, 1.5, None, True, False], 'b': t, 'c': t} with t = ('x', u'é'), via the memo.
    const b = bytes(
      '\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01J\xfe\xff\xff\xffM,\x01\x8a\x06\x00\x00\x00\x00\x00\x01',
      'G\x3f\xf8\x00\x00\x00\x00\x00\x00N\x88\x89eU\x01bq\x03U\x01x\x8c\x02',
      [0xc3, 0xa9],
      '\x86q\x04uX\x01\x00\x00\x00ch\x04s.',
    );
    const v = run(b) as PickleDict;
    expect(v).toBeInstanceOf(PickleDict);
    expect(v.get('a')).toEqual([1, -2, 300, 2 ** 40, 1.5, null, true, false]);
    expect(v.get('b')).toEqual(new PickleTuple(['x', 'é']));
    expect(v.get('c')).toBe(v.get('b')); // BINGET returns the memoised object itself
  });

  it('reads protocol-4 frames, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, LONG1 bigints', () => {
    const calls: unknown[][] = [];
    const pair: PickleCallable = { qualifiedName: 'm.pair', call: (a) => (calls.push(a), a.length) };
    const b = bytes(
      '\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00',
      '\x8c\x01m\x94\x8c\x04pair\x94\x93\x94', // STACK_GLOBAL m.pair
      '\x8a\x0a',
      [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19],
      '\x8a\x01\xff', // LONG1 -1
      '\x86\x94R\x94.',
    );
    expect(run(b, { globals: new Map([['m.pair', pair]]) })).toBe(2);
    expect(calls[0]).toEqual([0x1950a86a20f9469cfc6cn, -1]);
  });

  it('never runs a global outside the whitelist: os.system is refused by name', () => {
    const evil = bytes('\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.');
    expect(() => run(evil)).toThrow(
      new CheckpointError(
        'pickle at byte 2: global posix.system is not allowed (only tensor/state-dict globals are loaded; nothing is executed)',
        'x.pkl',
      ),
    );
    // In 'opaque' mode it becomes an inert record of the call.
    const v = run(evil, { unknownGlobals: 'opaque' }) as OpaqueObject;
    expect(v).toBeInstanceOf(OpaqueObject);
    expect(v.global.qualifiedName).toBe('posix.system');
    expect(v.args).toEqual(['ls']);
  });

  it('names unsupported opcodes and their offsets', () => {
    expect(() => run(bytes('\x80\x02(i__builtin__\nobject\n.'))).toThrow(
      /x\.pkl: pickle at byte 3: unsupported pickle opcode INST 'i' \(0x69\)/,
    );
    expect(() => run(bytes('\x80\x02\x82\x01.'))).toThrow(/unsupported pickle opcode EXT1 \(0x82\)/);
    expect(() => run(bytes('\x80\x02\xff'))).toThrow(/unsupported pickle opcode \(0xff\)/);
  });

  it('rejects malformed streams clearly', () => {
    expect(() => run(bytes('\x80\x02]q\x00(K\x01'))).toThrow(
      /truncated pickle: needs 1 byte\(s\) at offset 8/,
    );
    expect(() => run(bytes('\x80\x02h\x05.'))).toThrow(/memo key 5 is not defined/);
    expect(() => run(bytes('\x80\x02K\x01K\x02.'))).toThrow(/STOP with 2 values on the stack/);
    expect(() => run(bytes('\x80\x02Q.'))).toThrow(/stack underflow/);
    expect(() => run(bytes('\x80\x02K\x01Q.'))).toThrow(/persistent id found but this file type has none/);
    expect(() => run(bytes('\x80\x02K\x01)R.'))).toThrow(/REDUCE on a value that is not an allowed callable/);
  });

  it('passes persistent ids to persistentLoad and records BUILD state on dicts', () => {
    const b = bytes('\x80\x02}X\x01\x00\x00\x00kX\x03\x00\x00\x00pidQs}X\x01\x00\x00\x00sK\x07sb.');
    const v = run(b, { persistentLoad: (pid) => `loaded:${String(pid)}` }) as PickleDict;
    expect(v.get('k')).toBe('loaded:pid');
    expect(v.state).toEqual(new PickleDict([['s', 7]]));
  });
});
