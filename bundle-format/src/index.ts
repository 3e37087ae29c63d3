/**
 * @airlock/bundle-format: the sealed bundle format v1 (docs/bundle-format.md).
 * Pure: no file, network or clock access. Both apps depend on it; it depends on nothing of ours.
 */
export { BundleError, BUNDLE_ERROR_CODES, isBundleError, type BundleErrorCode } from "./errors.js";
export {
  sealBundle,
  sealBundleStream,
  BundleSealer,
  sealedLength,
  slotCountFor,
  type SealOptions,
  type SealRandomness,
  type SealerMode,
} from "./seal.js";
export {
  openBundle,
  openBundleStream,
  inspectBundle,
  checkActualLength,
  BundleOpener,
  DEFAULT_MAX_LENGTH,
  type OpenOptions,
  type OpenedBundle,
  type OpenedInfo,
  type OpenerMode,
  type BundleReader,
} from "./open.js";
export { FORMAT_MAJOR, SUITE_X25519, MAILBOX_TAG_LENGTH, MAX_RECIPIENTS, HEADER_LENGTH, SLOT_LENGTH, slotTierFor, parseHeader, type BundleHeader } from "./layout.js";
export { CHUNK_SIZE } from "./chunks.js";
export { fillerBundle } from "./filler.js";
export { MIN_BUCKET, MAX_BUCKET, padme, bucketFor, isBucket } from "./padding.js";
export {
  ed25519KeyPair,
  x25519KeyPair,
  randomBytes,
  ed25519Sign,
  ed25519Verify,
  ed25519PublicKey,
  x25519PublicKey,
  aeadSeal,
  aeadOpen,
  sha256,
  hkdfSha256,
  type ChunkAead,
  type KeyPair,
} from "./primitives.js";
export {
  encodePayload,
  decodePayload,
  PAYLOAD_KINDS,
  MAX_LOG_HEADS,
  MAX_WANTS,
  MAX_GENERATION,
  MAX_ENROLLMENT_ADMINS,
  MAX_SUPERSEDED,
  type Payload,
  type DecodedPayload,
  type PayloadKind,
  type SyncPayload,
  type EnrollmentPayload,
  type WelcomePayload,
  type CourierEnrollmentPayload,
} from "./payload.js";
export { encodeCanonical, decodeCanonical, decodeValidated, validateCanonical, type CborValue, type CborLimits } from "./cbor-strict.js";
export { wipe, toHex, fromHex, equalBytes, concatBytes, utf8 } from "./bytes.js";
export {
  FountainEncoder,
  FountainDecoder,
  TransferCollector,
  FrameError,
  FRAME_ERROR_CODES,
  FRAME_HEADER_LENGTH,
  MAX_BLOCKS,
  DEFAULT_MAX_MESSAGE,
  PRESETS,
  SUPPORTED_VERSIONS,
  base45Encode,
  base45Decode,
  frameCapacity,
  fragmentLengthFor,
  loopLength,
  parseFrameHeader,
  type CollectedFrame,
  type DecoderProgress,
  type DensityPreset,
  type FrameEncoding,
  type FrameErrorCode,
  type FrameHeader,
  type FrameOutcome,
  type QrLevel,
  type QrSettings,
} from "./frames/index.js";
export { isValidEd25519PublicKey, isValidX25519PublicKey } from "./public-keys.js";
export { encodeFileHead, parseFileHead, isFileBody, FILE_HEAD_LENGTH, FILE_MAGIC, FILE_BODY_VERSION, MAX_FILE_BYTES } from "./file-body.js";
