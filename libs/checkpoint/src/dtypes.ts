import { HostDType, HostTensor } from '@resdet/nn';
import { bfloat16ToFloat32, float32ToBfloat16, float32ToHalf, halfToFloat32 } from './half';

/** Bytes per element of each host dtype as stored on disk. */
export const DTYPE_BYTES: Readonly<Record<HostDType, number>> = Object.freeze({
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
});

/**
 * Decodes `count` little-endian elements of `dtype` from `bytes` into the array type a HostTensor
 * uses (float16/bfloat16 widened to Float32Array, int64 → BigInt64Array). `bytes` may be unaligned;
 * it is copied once into an aligned buffer when it has to be.
 */
export function decodeElements(dtype: HostDType, bytes: Uint8Array): HostTensor['data'] {
  const size = DTYPE_BYTES[dtype];
  const n = bytes.length / size;
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, off, n);
    case 'float64':
      return Float32Array.from(new Float64Array(buf, off, n));
    case 'float16':
      return halfToFloat32(new Uint16Array(buf, off, n));
    case 'bfloat16':
      return bfloat16ToFloat32(new Uint16Array(buf, off, n));
    case 'int64':
      return new BigInt64Array(buf, off, n);
    case 'int32':
      return new Int32Array(buf, off, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, off, n);
  }
}

function toFloat32(d: HostTensor['data']): Float32Array {
  if (d instanceof Float32Array) return d;
  if (d instanceof BigInt64Array) return Float32Array.from(d, Number);
  return Float32Array.from(d);
}

function toNumbers(d: HostTensor['data']): ArrayLike<number> {
  return d instanceof BigInt64Array ? Array.from(d, Number) : d;
}

/** The on-disk little-endian bytes of a host tensor in its dtype (float16/bfloat16 rounded to nearest even). */
export function encodeElements(t: HostTensor): Uint8Array {
  const d = t.data;
  const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (t.dtype) {
    case 'float32':
      return asBytes(toFloat32(d));
    case 'float64':
      return asBytes(Float64Array.from(toNumbers(d)));
    case 'float16':
      return asBytes(float32ToHalf(toFloat32(d)));
    case 'bfloat16':
      return asBytes(float32ToBfloat16(toFloat32(d)));
    case 'int64':
      return asBytes(d instanceof BigInt64Array ? d : BigInt64Array.from(d, (x) => BigInt(Math.round(x))));
    case 'int32':
      return asBytes(d instanceof Int32Array ? d : Int32Array.from(toNumbers(d)));
    case 'uint8':
    case 'bool':
      return asBytes(d instanceof Uint8Array ? d : Uint8Array.from(toNumbers(d)));
  }
}
