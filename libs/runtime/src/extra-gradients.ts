import * as tf from '@tensorflow/tfjs-core';
import { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { resizeBilinearGrad, resizeNearestGrad } from './resize-gradients';

/**
 * Gradients tfjs-core 4.22 lacks (or gets wrong) that a detector's training step reaches. tfjs has no
 * stop-gradient, so even ops used only for *indices* (comparisons in smooth-L1's `where`, TopK and NMS picking
 * proposals) sit on the tape and need a gradient function:
 * - zero gradients for comparisons, logical ops and NMS (piecewise constant / integer outputs);
 * - GatherNd → ScatterNd of dy; ScatterNd → GatherNd of dy (w.r.t. updates);
 * - StridedSlice and TopK → scatter-add of dy to the selected positions (UnsortedSegmentSum);
 * - GatherV2 / UnsortedSegmentSum: float32 zeros for their integer inputs (see withFloatIntInputs);
 * - ResizeNearestNeighbor / ResizeBilinear: exact adjoints of the forward sampling (resize-gradients.ts);
 * - Cumsum: tfjs transposes the result for a non-last axis and returns the wrong shape; the gradient is
 *   simply the reverse cumulative sum along the same axis.
 */
/** Marks gradient functions wrapped by withFloatIntInputs (idempotency without module state). */
const WRAPPED = 'resdetFloatIntInputs';

/** tfjs gradients re-registered by {@link withFloatIntInputs}: kernel → its integer inputs. */
const INT_INPUTS: Record<string, string[]> = { GatherV2: ['indices'], UnsortedSegmentSum: ['segmentIds'] };

/** The gradient of an integer or piecewise-constant input: float32 zeros (tfjs insists on float32 dx). */
const floatZeros = (t: Tensor): Tensor => tf.zeros(t.shape, 'float32');

function zeroGrad(kernelName: string, inputs: string[]): GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => floatZeros(saved[i])])),
  };
}

/**
 * tfjs's gradient for `kernelName`, with float32 zeros for its integer inputs: GatherV2's returns the int32
 * indices themselves and UnsortedSegmentSum's none for segmentIds, so indices computed from the weights (TopK,
 * NMS, argmax) fail backprop with "must have 'float32' dtype" / "Cannot backprop through input".
 */
function withFloatIntInputs(base: GradConfig, intInputs: string[]): GradConfig {
  const own = base.inputsToSave ?? [];
  const extra = intInputs.filter((n) => !own.includes(n));
  const all = [...own, ...extra];
  // saved = [...own inputs, ...extra inputs, ...saved outputs]; tfjs's function expects no extras.
  const gradFunc = Object.assign(
    (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const baseSaved = [...saved.slice(0, own.length), ...saved.slice(own.length + extra.length)];
      const grads = { ...base.gradFunc(dy, baseSaved, attrs) };
      for (const name of intInputs) grads[name] = () => floatZeros(saved[all.indexOf(name)]);
      return grads;
    },
    { [WRAPPED]: true },
  );
  return { ...base, inputsToSave: all, gradFunc };
}

/** dx for an op that picks elements of x: `idx` holds, per output element, its flat index in x. */
function scatterAddGrad(dy: Tensor, idx: Tensor, x: Tensor): Tensor {
  return tf.tidy(() =>
    tf.reshape(
      tf.unsortedSegmentSum(tf.reshape(dy, [-1]), tf.reshape(idx, [-1]) as tf.Tensor1D, x.size),
      x.shape,
    ),
  );
}

/**
 * Flat index in x of every element a StridedSlice selects, in output order. Computed from the slice geometry
 * (not by slicing an iota: wasm 4.22's strided path returns int32 input as float32).
 */
export function stridedSliceIndices(xShape: number[], attrs: NamedAttrMap): Int32Array {
  const a = attrs as unknown as {
    begin: number[];
    end: number[];
    strides: number[];
    beginMask: number;
    endMask: number;
    ellipsisMask: number;
    newAxisMask: number;
    shrinkAxisMask: number;
  };
  const info = tf.slice_util.sliceInfo(
    xShape,
    a.begin,
    a.end,
    a.strides,
    a.beginMask,
    a.endMask,
    a.ellipsisMask,
    a.newAxisMask,
    a.shrinkAxisMask,
  );
  // Dense output shape, one entry per x dimension (finalShapeSparse drops shrunk axes).
  const shape = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
  const xStrides = [...tf.util.computeStrides(xShape), 1];
  const out = new Int32Array(tf.util.sizeFromShape(shape));
  const pos = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) flat += (info.begin[d] + pos[d] * info.strides[d]) * xStrides[d];
    out[i] = flat;
    for (let d = shape.length - 1; d >= 0 && ++pos[d] === shape[d]; d--) pos[d] = 0;
  }
  return out;
}

const COMPARISONS = [
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalXor',
];

export const RESDET_GRADIENTS: readonly GradConfig[] = [
  ...COMPARISONS.map((k) => zeroGrad(k, ['a', 'b'])),
  zeroGrad('LogicalNot', ['x']),
  zeroGrad('NonMaxSuppressionV3', ['boxes', 'scores']),
  zeroGrad('NonMaxSuppressionV4', ['boxes', 'scores']),
  zeroGrad('NonMaxSuppressionV5', ['boxes', 'scores']),
  {
    kernelName: 'GatherNd',
    inputsToSave: ['params', 'indices'],
    gradFunc: (dy, [params, indices]) => ({
      params: () => tf.scatterND(indices, dy as Tensor, params.shape),
      indices: () => floatZeros(indices),
    }),
  },
  {
    kernelName: 'ScatterNd',
    inputsToSave: ['indices'],
    gradFunc: (dy, [indices]) => ({
      updates: () => tf.gatherND(dy as Tensor, indices),
      indices: () => floatZeros(indices),
    }),
  },
  {
    kernelName: 'StridedSlice',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({
      x: () =>
        tf.tidy(() =>
          scatterAddGrad(dy as Tensor, tf.tensor(stridedSliceIndices(x.shape, attrs), undefined, 'int32'), x),
        ),
    }),
  },
  {
    kernelName: 'TopK',
    inputsToSave: ['x'],
    outputsToSave: [false, true],
    gradFunc: (dys, [x, indices]) => ({
      x: () =>
        tf.tidy(() => {
          const dValues = Array.isArray(dys) ? dys[0] : dys;
          const n = x.shape[x.rank - 1];
          const rows = x.size / n;
          const k = indices.shape[indices.rank - 1];
          const rowStart = tf.reshape(tf.range(0, rows * n, n, 'int32'), [rows, 1]);
          const flat = tf.add(tf.reshape(indices, [rows, k]), rowStart);
          return scatterAddGrad(dValues, flat, x);
        }),
    }),
  },
  {
    kernelName: 'Cumsum',
    gradFunc: (dy, _saved, attrs) => {
      const { axis, exclusive, reverse } = attrs as unknown as {
        axis: number;
        exclusive: boolean;
        reverse: boolean;
      };
      return { x: () => tf.cumsum(dy as Tensor, axis, exclusive, !reverse) };
    },
  },
  resizeNearestGrad,
  resizeBilinearGrad,
];

/** Kernels whose tfjs gradient resdet replaces (see the list above and resize-gradients.ts). */
const REPLACED = new Set(['Cumsum', 'ResizeNearestNeighbor', 'ResizeBilinear']);

/**
 * Registers {@link RESDET_GRADIENTS} and wraps GatherV2's and UnsortedSegmentSum's (see
 * {@link withFloatIntInputs}). Idempotent; a gradient tfjs already has is kept, except Cumsum's, which is
 * replaced because tfjs 4.22's is wrong for a non-last axis. Call after tfjs's gradients are registered.
 */
export function registerResdetGradients(): void {
  for (const g of RESDET_GRADIENTS) {
    const current = tf.getGradient(g.kernelName);
    if (current && (!REPLACED.has(g.kernelName) || current.gradFunc === g.gradFunc)) continue;
    tf.registerGradient(g);
  }
  for (const [kernelName, ints] of Object.entries(INT_INPUTS)) {
    const current = tf.getGradient(kernelName);
    if (current && !(WRAPPED in current.gradFunc)) tf.registerGradient(withFloatIntInputs(current, ints));
  }
}
