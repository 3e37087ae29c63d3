/** Targets over bundle-format's public parsers: sealed bundles, payloads, strict CBOR. */
import fc from "fast-check";
import {
  BUNDLE_ERROR_CODES,
  BundleOpener,
  decodeCanonical,
  decodePayload,
  decodeValidated,
  encodeCanonical,
  encodePayload,
  equalBytes,
  fillerBundle,
  isBundleError,
  openBundle,
  x25519KeyPair,
  type CborValue,
  type Payload,
} from "@airlock/bundle-format";
import { changesets, joinRequest, payloads, sealedBundles, seedBytes, TAG, teamEntries } from "../fixtures.js";
import { concat } from "../mutate.js";
import { FuzzInvariantError } from "../outcome.js";
import type { Target } from "../target.js";

const MAX_OPEN = 1024 * 1024;

const describe = (e: unknown): string => (e === undefined ? "ok" : isBundleError(e) ? e.code : e instanceof Error ? e.name : String(e));

export const bundleOpen: Target = {
  name: "bundle-open",
  entry: "openBundle, and BundleOpener fed the same bytes in pieces (must agree)",
  codes: BUNDLE_ERROR_CODES,
  maxInput: 160 * 1024,
  cbor: false,
  async create() {
    const me = x25519KeyPair(seedBytes("bundle/me"));
    const seeds = [...sealedBundles(me), fillerBundle({ mailboxTag: TAG, length: 2048 }), fillerBundle({ mailboxTag: TAG, length: 8192, slotTier: 4 })];
    return {
      seeds,
      run(input) {
        let whole: Uint8Array | undefined;
        let wholeError: unknown;
        try {
          whole = openBundle(input, { recipient: me, maxLength: MAX_OPEN }).body;
        } catch (e) {
          wholeError = e;
        }
        // The streaming opener with piece sizes that straddle every boundary (header, slots, chunks).
        const pieceSize = 1 + ((input[input.length >> 1] ?? 0) * 257 + input.length) % 9001;
        let streamed: Uint8Array | undefined;
        let streamError: unknown;
        try {
          const opener = new BundleOpener({ recipient: me, maxLength: MAX_OPEN });
          const parts: Uint8Array[] = [];
          for (let at = 0; at < input.length; at += pieceSize) parts.push(...opener.push(input.subarray(at, at + pieceSize)));
          opener.finish();
          streamed = concat(...parts);
        } catch (e) {
          streamError = e;
        }
        if (streamError !== undefined && !isBundleError(streamError)) throw streamError;
        if ((wholeError === undefined) !== (streamError === undefined)) {
          throw new FuzzInvariantError(`openBundle gave ${describe(wholeError)} but the streaming opener gave ${describe(streamError)}`);
        }
        if (wholeError !== undefined) throw wholeError;
        if (!equalBytes(whole!, streamed!)) throw new FuzzInvariantError("openBundle and the streaming opener returned different bodies");
        return "opened";
      },
    };
  },
};

/** What the decoder accepts, the encoder must be able to write, and it must read back the same. */
export const payload: Target = {
  name: "payload",
  entry: "decodePayload (then encodePayload round trip)",
  codes: BUNDLE_ERROR_CODES,
  maxInput: 64 * 1024,
  cbor: true,
  async create() {
    return {
      seeds: payloads(),
      run(input) {
        const decoded = decodePayload(input);
        const { minor: _minor, ...rest } = decoded;
        let again: Uint8Array;
        try {
          again = encodePayload(rest as Payload);
        } catch (e) {
          throw new FuzzInvariantError(`decodePayload accepted a ${decoded.kind} payload that encodePayload refuses: ${(e as Error).message}`);
        }
        const { minor: _m2, ...rest2 } = decodePayload(again);
        if (!equalBytes(encodePayload(rest2 as Payload), again)) throw new FuzzInvariantError("a payload does not survive encode/decode unchanged");
        return decoded.kind;
      },
    };
  },
};

/** fast-check draws arbitrary CBOR values within the accepted data model: more seed shapes. */
function generatedCbor(count: number): Uint8Array[] {
  const { value } = fc.letrec<{ value: CborValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.maxSafeInteger(),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 64 }),
      fc.array(tie("value"), { maxLength: 6 }),
      fc.array(fc.tuple(fc.string({ maxLength: 12 }), tie("value")), { maxLength: 6 }).map((pairs) => new Map(pairs)),
    ),
  }));
  return fc.sample(value, { seed: 0x41, numRuns: count }).map((v) => encodeCanonical(v));
}

const CBOR_LIMITS = { maxBytes: 1024 * 1024, maxDepth: 16, maxItems: 65536 };

/** The strict gate: both decoders agree, and whatever they accept re-encodes to the same bytes. */
export const cbor: Target = {
  name: "cbor-strict",
  entry: "decodeCanonical and decodeValidated (must agree; accepted = canonical)",
  codes: BUNDLE_ERROR_CODES,
  maxInput: 64 * 1024,
  cbor: true,
  async create() {
    const seeds = [...payloads(), ...teamEntries().slice(0, 4).map((e) => e.bytes), ...changesets().slice(0, 2).map((c) => c.bytes), joinRequest(), ...generatedCbor(64)];
    return {
      seeds,
      run(input) {
        let checked: CborValue | undefined;
        let checkedError: unknown;
        try {
          checked = decodeCanonical(input, CBOR_LIMITS);
        } catch (e) {
          checkedError = e;
        }
        let fast: CborValue | undefined;
        let fastError: unknown;
        try {
          fast = decodeValidated(input, CBOR_LIMITS);
        } catch (e) {
          fastError = e;
        }
        if (fastError !== undefined && !isBundleError(fastError)) throw fastError;
        if ((checkedError === undefined) !== (fastError === undefined)) {
          throw new FuzzInvariantError(`decodeCanonical gave ${describe(checkedError)} but decodeValidated gave ${describe(fastError)}`);
        }
        if (checkedError !== undefined) throw checkedError;
        if (!equalBytes(encodeCanonical(fast!), input)) throw new FuzzInvariantError("decodeValidated accepted bytes that do not re-encode identically");
        if (!equalBytes(encodeCanonical(checked!), input)) throw new FuzzInvariantError("decodeCanonical accepted bytes that do not re-encode identically");
        return checked instanceof Map ? "map" : Array.isArray(checked) ? "array" : typeof checked;
      },
    };
  },
};
