/** The QR frame codec: fountain-coded frames for animated QR transfers (docs/qr-frames.md). */
export { FountainEncoder, loopLength, frameLengthFor, type FountainEncoderOptions } from "./encoder.js";
export { FountainDecoder, DEFAULT_MAX_MESSAGE, type FrameOutcome, type DecoderProgress } from "./decoder.js";
export { TransferCollector, type CollectedFrame } from "./collector.js";
export { FrameError, FRAME_ERROR_CODES, type FrameErrorCode } from "./errors.js";
export { FRAME_HEADER_LENGTH, MAX_BLOCKS, parseFrameHeader, type FrameHeader } from "./header.js";
export { base45Encode, base45Decode, BASE45_ALPHABET } from "./base45.js";
export { PRESETS, alphanumericCapacity, frameCapacity, fragmentLengthFor, SUPPORTED_VERSIONS, type DensityPreset, type QrSettings, type QrLevel, type FrameEncoding } from "./presets.js";
