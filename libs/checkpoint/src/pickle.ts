import { CheckpointError } from './checkpoint-error';
import { PickleInput } from './pickle-input';

/** A Python tuple (kept apart from lists, which are plain arrays). */
export class PickleTuple {
  constructor(readonly items: unknown[]) {}
}

/** A Python dict (or OrderedDict); `state` holds what BUILD set on it (e.g. torch's `_metadata`). */
export class PickleDict extends Map<unknown, unknown> {
  state: unknown = undefined;
}

/** A global the unpickler was not allowed to resolve, kept as a name only (never imported or run). */
export class OpaqueGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The inert result of "calling" an OpaqueGlobal: its name and arguments, nothing executed. */
export class OpaqueObject {
  state: unknown = undefined;
  constructor(
    readonly global: OpaqueGlobal,
    readonly args: unknown[],
  ) {}
}

/** A whitelisted callable: REDUCE/NEWOBJ call `call` with the unpickled arguments. */
export interface PickleCallable {
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

export interface UnpickleOptions {
  /** Whitelisted globals by `module.name`. */
  globals: ReadonlyMap<string, PickleCallable>;
  /**
   * What to do with a global outside the whitelist: `'error'` throws a CheckpointError naming it;
   * `'opaque'` keeps it as an inert OpaqueGlobal (calling it yields an OpaqueObject). Neither imports
   * nor executes anything. Default `'error'`.
   */
  unknownGlobals?: 'error' | 'opaque';
  /** Resolves BINPERSID/PERSID ids (torch's storage references). Without it they are an error. */
  persistentLoad?: (pid: unknown) => unknown;
}

const OPNAMES: Readonly<Record<number, string>> = Object.freeze({
  0x4f: 'OBJ',
  0x69: 'INST',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
  0x4c: 'LONG',
});

/** Little-endian two's-complement bytes → number (or bigint beyond 2^53). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const utf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');

/**
 * A minimal, safe unpickler for the subset of pickle protocols 0–5 that torch state dicts use. It
 * never imports modules or runs code: globals resolve only through `opts.globals` (a whitelist of
 * TypeScript functions), and any opcode outside the supported set is a CheckpointError naming the
 * opcode, its byte offset and the file.
 *
 * @example
 * const value = unpickle(new PickleInput(new BufferSource(bytes, 'x.pkl')), { globals: new Map() });
 */
export function unpickle(input: PickleInput, opts: UnpickleOptions): unknown {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string, at = input.pos): never => {
    throw new CheckpointError(`pickle at byte ${at}: ${msg}`, input.name);
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]))
      fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) return fail('MARK expected');
    return stack.splice(m);
  };
  const resolveGlobal = (module: string, name: string, at: number): unknown => {
    const q = `${module}.${name}`;
    const g = opts.globals.get(q);
    if (g) return g;
    if (opts.unknownGlobals === 'opaque') return new OpaqueGlobal(module, name);
    return fail(
      `global ${q} is not allowed (only tensor/state-dict globals are loaded; nothing is executed)`,
      at,
    );
  };
  const call = (fn: unknown, args: unknown[], op: string): unknown => {
    if (fn instanceof OpaqueGlobal) return new OpaqueObject(fn, args);
    if (fn && typeof (fn as PickleCallable).call === 'function' && 'qualifiedName' in (fn as object)) {
      return (fn as PickleCallable).call(args);
    }
    return fail(`${op} on a value that is not an allowed callable`);
  };
  const tupleItems = (v: unknown, what: string): unknown[] =>
    v instanceof PickleTuple ? v.items : fail(`${what} must be a tuple`);
  const setItems = (d: unknown, kv: unknown[]): void => {
    if (!(d instanceof Map)) fail('SETITEM(S) on a value that is not a dict');
    if (kv.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) (d as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const append = (l: unknown, items: unknown[]): void => {
    if (!Array.isArray(l)) fail('APPEND(S) on a value that is not a list');
    (l as unknown[]).push(...items);
  };

  for (;;) {
    const at = input.pos;
    const op = input.byte();
    switch (op) {
      case 0x80: // PROTO
        if (input.byte() > 5) fail('pickle protocol > 5', at);
        break;
      case 0x95: // FRAME (a length hint only)
        input.u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`, at);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(input.i32());
        break;
      case 0x4b: // BININT1
        stack.push(input.byte());
        break;
      case 0x4d: // BININT2
        stack.push(input.u16());
        break;
      case 0x49: {
        // INT (protocol 0 text; "01"/"00" are True/False)
        const s = input.line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x8a: // LONG1
        stack.push(decodeLong(input.bytes(input.byte())));
        break;
      case 0x8b: {
        // LONG4
        const n = input.i32();
        if (n < 0) fail('negative LONG4 length', at);
        stack.push(decodeLong(input.bytes(n)));
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(input.f64be());
        break;
      case 0x54: // BINSTRING (Python 2 str, read as UTF-8 like torch.load does)
        stack.push(utf8(input.bytes(input.i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(utf8(input.bytes(input.byte())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(input.bytes(input.u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(input.bytes(input.byte())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(input.bytes(input.u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(input.bytes(input.u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(input.bytes(input.byte()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(input.bytes(input.u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x8f: // EMPTY_SET (kept as a list)
        stack.push([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x71: // BINPUT
        memo.set(input.byte(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(input.u32(), top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number.parseInt(input.line(), 10), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET (text)
        const idx =
          op === 0x68 ? input.byte() : op === 0x6a ? input.u32() : Number.parseInt(input.line(), 10);
        if (!memo.has(idx)) fail(`memo key ${idx} is not defined`, at);
        stack.push(memo.get(idx));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = input.line();
        const name = input.line();
        stack.push(resolveGlobal(module, name, at));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('STACK_GLOBAL needs two strings', at);
        stack.push(resolveGlobal(module as string, name as string, at));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = tupleItems(pop(), 'REDUCE arguments');
        const fn = pop();
        stack.push(call(fn, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ cls.__new__(cls, *args)
        const args = tupleItems(pop(), 'NEWOBJ arguments');
        const cls = pop();
        stack.push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = tupleItems(pop(), 'NEWOBJ_EX arguments');
        const cls = pop();
        stack.push(call(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 0x62: {
        // BUILD: record the state on dicts/opaque objects; never calls __setstate__.
        const state = pop();
        const obj = top();
        if (obj instanceof PickleDict || obj instanceof OpaqueObject) obj.state = state;
        else if (!(obj && typeof obj === 'object')) fail('BUILD on a value that takes no state', at);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id found but this file type has none', at);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = input.line();
        if (!opts.persistentLoad) fail('persistent id found but this file type has none', at);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default: {
        const name = OPNAMES[op];
        const shown = op >= 0x20 && op < 0x7f ? `'${String.fromCharCode(op)}' ` : '';
        fail(
          `unsupported pickle opcode ${name ? name + ' ' : ''}${shown}(0x${op.toString(16).padStart(2, '0')})`,
          at,
        );
      }
    }
  }
}
