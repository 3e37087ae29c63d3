/**
 * `@airlock/bundle-format/streaming`: what sealing and opening a bundle need (the two state
 * machines, their sizes and the node:crypto primitives), and nothing that loads @noble or
 * cbor-x. The file-to-file path (shared/src/files) imports only this, so a process that seals
 * or opens a large attachment does not carry the payload codec's ~10 MiB of resident code
 * and tables (measured: 15.6 MiB of RSS through the main entry, 4.9 MiB through this one).
 * streaming.test.ts keeps the import graph that way.
 */
export { BundleError, isBundleError, type BundleErrorCode } from "./errors.js";
export { BundleSealer, sealedLength, type SealOptions, type SealRandomness } from "./seal.js";
export { BundleOpener, checkActualLength, type OpenOptions, type OpenedInfo } from "./open.js";
export { HEADER_LENGTH } from "./layout.js";
export { CHUNK_SIZE } from "./chunks.js";
export { MAX_BUCKET } from "./padding.js";
export { aeadOpen, aeadSeal, ed25519KeyPair, x25519KeyPair, type ChunkAead, type KeyPair } from "./primitives.js";
