/**
 * Targets over the vault's parsers of outside bytes (offline-signer): team log entries,
 * changesets and their encrypted op batches, join requests, sealed key grants.
 */
import { aeadSeal, BUNDLE_ERROR_CODES, concatBytes, encodeCanonical, hkdfSha256, sealBundle, utf8, type CborValue } from "@airlock/bundle-format";
import { decodeChangeset, encodeOps, keyIdOf, openBatch, type Changeset } from "@airlock/offline-signer/dist/src/sync/changeset.js";
import { decodeEntry } from "@airlock/offline-signer/dist/src/team/entry.js";
import { openGrant } from "@airlock/offline-signer/dist/src/vault/grants.js";
import { parseJoinRequest } from "@airlock/offline-signer/dist/src/vault/request.js";
import { encodeObject } from "@airlock/offline-signer/dist/src/team/cbor-object.js";
import { alice, bob, changesets, collectionKey, COLLECTION, joinRequest, OPS, teamEntries } from "../fixtures.js";
import { FuzzInvariantError } from "../outcome.js";
import type { Target } from "../target.js";

export const teamEntry: Target = {
  name: "team-entry",
  entry: "decodeEntry (team/entry.ts)",
  codes: ["TEAM_ENTRY_MALFORMED", "TEAM_ENTRY_SIGNATURE"],
  maxInput: 64 * 1024,
  cbor: true,
  async create() {
    return {
      seeds: teamEntries().map((e) => e.bytes),
      run(input) {
        const e = decodeEntry(input);
        // Accepted entries are canonical: the stored bytes are the only encoding of this entry.
        if (e.bytes !== input) throw new FuzzInvariantError("decodeEntry returned other bytes than it was given");
        return e.body.type;
      },
    };
  },
};

/** The changeset and, for those that parse, every batch opened with the collection key (or a wrong one). */
export const changeset: Target = {
  name: "changeset",
  entry: "decodeChangeset (verify on) + openBatch on each batch (sync/changeset.ts)",
  codes: ["CHANGESET_MALFORMED", "CHANGESET_SIGNATURE", "CHANGESET_OPS"],
  maxInput: 64 * 1024,
  cbor: true,
  async create() {
    return {
      seeds: changesets().map((c) => c.bytes),
      run(input) {
        // verify: false first, as the importer does before a batch signature check.
        const c = decodeChangeset(input, { verify: false });
        let opened = 0;
        for (const b of c.batches) if (openBatch(c, b, collectionKey) !== undefined) opened++;
        decodeChangeset(input);
        return `batches=${Math.min(c.batches.length, 3)} opened=${Math.min(opened, 2)}`;
      },
    };
  },
};

const NONCE = new Uint8Array(12);
const LABEL_OPS = utf8("airlock/v1/ops");

/**
 * openBatch past its AEAD: the input is the *plaintext* op list, encrypted here exactly as
 * sealChangeset does (docs/sync.md: HKDF(key, salt, "airlock/v1/ops"), nonce 0, aad = team ||
 * device || u64(seq) || collection), so mutations reach the op decoder a real key holder runs.
 */
export const changesetOps: Target = {
  name: "changeset-ops",
  entry: "openBatch on a batch encrypting the input (sync/changeset.ts)",
  codes: ["CHANGESET_OPS"],
  maxInput: 64 * 1024,
  cbor: true,
  async create() {
    const template: Changeset = changesets()[1]!;
    const batch = template.batches[0]!;
    const seq = new Uint8Array(8);
    new DataView(seq.buffer).setBigUint64(0, BigInt(template.seq));
    const aad = concatBytes(template.team, template.device, seq, utf8(batch.collection));
    const k = hkdfSha256(collectionKey, batch.salt, LABEL_OPS);
    const hostile: CborValue[] = [
      [[0, "r", "f", "x", 0, 0]],
      [[1, "r", "", null, 2 ** 48 - 1, 0xffff_ffff]],
      [[2, "r", "list", new Uint8Array(3), 1, 1]],
    ];
    return {
      seeds: [encodeOps(OPS), encodeOps(OPS.slice(0, 1)), ...hostile.map((h) => encodeCanonical(h))],
      run(input) {
        const ct = aeadSeal(k, NONCE, input, aad);
        const ops = openBatch(template, { ...batch, ct }, collectionKey);
        if (ops === undefined) throw new FuzzInvariantError("a batch sealed with the right key did not open");
        return `ops=${Math.min(ops.ops.length, 3)} v=${Math.min(ops.version, 3)}${ops.newer === undefined ? "" : " newer"}`;
      },
    };
  },
};

export const joinRequestTarget: Target = {
  name: "join-request",
  entry: "parseJoinRequest (vault/request.ts)",
  codes: ["JOIN_REQUEST_INVALID"],
  maxInput: 8 * 1024,
  cbor: true,
  async create() {
    return {
      seeds: [joinRequest()],
      run(input) {
        const r = parseJoinRequest(input);
        return r.name.length > 0 ? "named" : "unnamed";
      },
    };
  },
};

/**
 * openGrant past its bundle: the input is the grant *body*, sealed here to this device as
 * sealGrant does, so mutations reach the key list parser. (Damaged sealed bytes are the
 * bundle-open target's job.)
 */
export const grant: Target = {
  name: "grant",
  entry: "openGrant on a grant sealing the input (vault/grants.ts)",
  codes: ["KEY_GRANT_INVALID", ...BUNDLE_ERROR_CODES],
  maxInput: 16 * 1024,
  cbor: true,
  async create() {
    const keys = [collectionKey, new Uint8Array(32).fill(9)];
    // What sealGrant writes as the body.
    const bodies = [
      encodeObject({ keys: keys.map((key) => ({ collection: COLLECTION, id: keyIdOf(key), key })) }),
      encodeObject({ keys: [] }),
    ];
    return {
      seeds: bodies,
      run(input) {
        const sealed = sealBundle(input, { recipients: [bob.enc.publicKey], sender: alice.device, mailboxTag: new Uint8Array(16) });
        const opened = openGrant({ collection: COLLECTION, to: [bob.device.publicKey], keys: keys.map(keyIdOf), sealed }, bob.enc);
        return `keys=${Math.min(opened.length, 2)}`;
      },
    };
  },
};
