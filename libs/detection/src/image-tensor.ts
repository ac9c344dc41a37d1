import * as tf from '@tensorflow/tfjs-core';

/** A decoded image in host memory: RGB, uint8, HWC row-major (what `@resdet/data` decodes). */
export interface RgbImageData {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * RGB uint8 HWC → float32 `[H, W, 3]` in 0–1: torchvision's `ToTensor`, the input `GeneralizedRCNN.predict` and
 * `computeLosses` take. Throws when `data` does not hold width × height × 3 bytes.
 */
export function rgbToTensor(im: RgbImageData): tf.Tensor3D {
  if (im.data.length !== im.width * im.height * 3) {
    throw new Error(`image data has ${im.data.length} bytes, expected ${im.width}×${im.height}×3`);
  }
  return tf.tidy(
    () =>
      tf.div(
        tf.tensor3d(Float32Array.from(im.data), [im.height, im.width, 3], 'float32'),
        255,
      ) as tf.Tensor3D,
  );
}
