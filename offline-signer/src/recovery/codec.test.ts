/** The recovery codecs refuse hostile bytes with their typed error before using them, and round-trip what they write. */
import { describe, expect, it } from "vitest";
import { ed25519KeyPair, randomBytes, x25519KeyPair } from "@airlock/bundle-format";
import { encodeObject } from "../team/cbor-object.js";
import { makeJoinRequest } from "../vault/request.js";
import { MAX_PIECE_BYTES, SHARE_BYTES, encodePiece, encodeRelease, makeRecoveryRequest, parsePiece, parseRecoveryRequest, parseRelease } from "./codec.js";

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code ?? "UNTYPED";
  }
};

describe("recovery codecs", () => {
  it("a share piece: one encoding, exact lengths, bounded before decoding", () => {
    const piece = { team: randomBytes(32), set: randomBytes(16), share: randomBytes(SHARE_BYTES) };
    expect(parsePiece(encodePiece(piece))).toEqual(piece);
    const hostile: Uint8Array[] = [
      new Uint8Array(0),
      randomBytes(100),
      new Uint8Array(MAX_PIECE_BYTES + 1),
      encodeObject({ kind: "airlock-recovery-share", v: 1, team: piece.team, set: piece.set, share: piece.share.subarray(1) }),
      encodeObject({ kind: "airlock-recovery-share", v: 2, team: piece.team, set: piece.set, share: piece.share }),
      encodeObject({ kind: "airlock-recovery-share", v: 1, team: piece.team, set: piece.set, share: piece.share, extra: 1 }),
      encodeObject({ kind: "something-else", v: 1, team: piece.team, set: piece.set, share: piece.share }),
      encodePiece(piece).subarray(0, 60),
    ];
    expect(hostile.map((b) => codeOf(() => parsePiece(b)))).toEqual(hostile.map(() => "RECOVERY_BAD_CARD"));
  });

  it("a request: signed by its device, keys checked, a join request named as such", () => {
    const device = ed25519KeyPair();
    const enc = x25519KeyPair().publicKey;
    const request = makeRecoveryRequest("dana", device, enc, 1);
    expect(parseRecoveryRequest(request.bytes)).toMatchObject({ name: "dana", created: 1 });
    const flipped = request.bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(codeOf(() => parseRecoveryRequest(flipped))).toBe("RECOVERY_BAD_REQUEST");
    const join = makeJoinRequest("dana", ed25519KeyPair(), device, enc, 1).bytes;
    expect(() => parseRecoveryRequest(join)).toThrow(/this is a join request/);
    expect(codeOf(() => parseRecoveryRequest(new Uint8Array(4096)))).toBe("RECOVERY_BAD_REQUEST");
    expect(codeOf(() => parseRecoveryRequest(makeRecoveryRequest("da\u202ena", device, enc, 1).bytes))).toBe("RECOVERY_BAD_REQUEST");
  });

  it("a release: strict fields, round trip", () => {
    const r = { team: randomBytes(32), user: randomBytes(32), for: randomBytes(32), piece: randomBytes(40), log: [randomBytes(10)], transport: randomBytes(32), seen: [{ device: randomBytes(32), seq: 7 }], created: 5 };
    expect(parseRelease(encodeRelease(r))).toEqual(r);
    expect(parseRelease(encodeRelease({ ...r, piece: undefined })).piece).toBeUndefined();
    expect(codeOf(() => parseRelease(randomBytes(64)))).toBe("RECOVERY_BAD_BUNDLE");
    expect(codeOf(() => parseRelease(encodeObject({ kind: "airlock-recovery-release", v: 1 })))).toBe("RECOVERY_BAD_BUNDLE");
    expect(codeOf(() => parseRelease(encodeRelease({ ...r, transport: randomBytes(31) })))).toBe("RECOVERY_BAD_BUNDLE");
  });
});
