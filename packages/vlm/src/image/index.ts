/** The image pipeline: decode PNG/JPEG to RGB, resize as Pillow does, crop, normalise. */

export { DEFAULT_MAX_PIXELS, ImageError, createImage, rgbImage, type RgbImage } from "./image.js";
export { sniffFormat, type ImageFormat } from "./sniff.js";
export { decodeImage, readImage, type DecodeOptions } from "./decode.js";
export { bicubicKernel, precomputeCoefficients, resize, type ResampleCoefficients, type ResizeOptions } from "./resample.js";
export { centerCrop, crop, pythonRound, resizeShortSide, resizedCrop, shortSideSize, type CropSize } from "./geometry.js";
export { CLIP_MEAN, CLIP_STD, imageToTensor, normalize, toTensor, type NormalizeOptions } from "./normalize.js";
export { preprocess, resizeAndCenterCrop } from "./preprocess.js";
export {
  DEFAULT_RATIO,
  OPEN_CLIP_TRAIN_SCALE,
  randomResizedCrop,
  randomResizedCropParams,
  type CropBox,
  type RandomResizedCropOptions,
} from "./random-resized-crop.js";
export { affine, augmentDrawing, randomAffine, recolourBackground, type AffineOptions, type DrawingAugmentOptions, type Rgb } from "./augment.js";
