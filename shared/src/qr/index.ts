/** The QR image layer: render payloads to PNG/SVG/terminal/HTML, scan them back from pixels, files, video and cameras. */
export { qrCapacity } from "./capacity.js";
export { decodeImage, readImageFile, DEFAULT_MAX_DECODE_BYTES, DEFAULT_MAX_IMAGE_FILE_BYTES, DEFAULT_MAX_IMAGE_PIXELS, type ImageLimits } from "./image-read.js";
export { readImageHeader, sniffImageFormat, type ImageFormat, type ImageHeader } from "./image-header.js";
export { resolveFfmpegPath, type FfmpegOptions } from "./ffmpeg.js";
export { frameFileName, frameIndexOf, writeQrPngSequence, MAX_SEQUENCE_FRAMES, type QrPngSequenceOptions } from "./png-sequence.js";
export { MAX_RASTER_PIXELS, type QrRasterOptions } from "./raster.js";
export { HTML_CSP, MAX_HTML_FRAMES, renderQrHtml, type QrHtmlDensity, type QrHtmlOptions } from "./render-html.js";
export { encodeGrayPng, renderQrPng, renderQrRgba, type QrImageOptions } from "./render-png.js";
export { renderQrSvg, type QrSvgOptions } from "./render-svg.js";
export { qrTerminalColumns, renderQrTerminal, type QrTerminalOptions } from "./render-terminal.js";
export { listImageFiles, scanImageFolder, type FolderScanOptions, type FolderScanResult } from "./scan-folder.js";
export { DEFAULT_SCAN_MAX_SIDE, scanQrPixels, type QrDecoder, type QrDecoderName, type QrPixelScanOptions, type QrScanOptions } from "./scan-pixels.js";
export {
  currentQrDecoder,
  DEFAULT_QR_DECODER,
  prepareQrDecoder,
  QR_DECODER_ENV,
  requestedQrDecoder,
  type PreparedQrDecoder,
  type PrepareQrDecoderOptions,
} from "./decoders/load.js";
export { QR_DECODER_NAMES } from "./decoders/types.js";
export {
  cameraArgs,
  samePayload,
  scanCamera,
  scanVideo,
  type CameraScanOptions,
  type VideoScanOptions,
  type VideoScanResult,
} from "./scan-video.js";
export { encodeQrMatrix, type QrMatrix } from "./symbol.js";
export {
  QR_ALPHANUMERIC_CHARSET,
  QR_LEVELS,
  qrModeOf,
  type QrErrorCorrection,
  type QrMode,
  type QrPayload,
  type QrSymbolOptions,
  type RgbaImage,
} from "./types.js";
