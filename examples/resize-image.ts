/**
 * The `resize-image` handler. It runs in a worker thread (`isolate: "thread"` in tasks.ts), so it
 * may block as long as it likes without stalling the worker's other jobs; a timeout or cancel
 * terminates the thread. Input and result cross the thread boundary by structured clone.
 */
import type { ThreadHandler } from "upnext";

export interface ResizeImageInput {
  readonly imageId: string;
  readonly width: number;
  readonly height: number;
  /** Target width; the height keeps the aspect ratio. */
  readonly targetWidth: number;
}

export interface ResizeImageResult {
  readonly imageId: string;
  readonly size: string;
  readonly checksum: string;
}

/** A stand-in for real pixel work: a box filter over a synthetic image, row by row. */
const resizeImage: ThreadHandler<ResizeImageInput, ResizeImageResult> = (input, ctx) => {
  const scale = input.targetWidth / input.width;
  const targetHeight = Math.max(1, Math.round(input.height * scale));
  const radius = 2; // a 5x5 box filter
  let checksum = 0;
  for (let y = 0; y < targetHeight; y++) {
    for (let x = 0; x < input.targetWidth; x++) {
      let sum = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const sourceX = Math.floor(x / scale) + dx;
          const sourceY = Math.floor(y / scale) + dy;
          sum += (sourceX * 7 + sourceY * 13) & 0xff;
        }
      }
      checksum = (checksum * 31 + sum) % 1_000_000_007;
    }
    if ((y + 1) % 32 === 0 || y + 1 === targetHeight) ctx.progress({ current: y + 1, total: targetHeight });
  }
  ctx.recordMetric("pixels_written", input.targetWidth * targetHeight);
  return {
    imageId: input.imageId,
    size: `${input.targetWidth}x${targetHeight}`,
    checksum: checksum.toString(16),
  };
};

export default resizeImage;
