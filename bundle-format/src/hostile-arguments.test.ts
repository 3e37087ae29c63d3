/**
 * @noble-style table of hostile argument values fed to every public entry point: each must
 * fail with TypeError or RangeError (a programming error), never crash or misbehave.
 */
import { describe, expect, it } from "vitest";
import { fixture } from "../test-support/fixtures.js";
import { BundleOpener, openBundle, openBundleStream } from "./open.js";
import { BundleSealer, sealBundle } from "./seal.js";
import { decodePayload } from "./payload.js";

const HOSTILE: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-1", -1],
  ["1.5", 1.5],
  ["2^53", 2 ** 53],
  ["bigint", 10n],
  ["string", "0123456789abcdef0123456789abcdef"],
  ["array of numbers", new Array(32).fill(1)],
  ["array-like object", { length: 32, 0: 1 }],
  ["Uint16Array", new Uint16Array(16)],
  ["DataView", new DataView(new ArrayBuffer(32))],
  ["ArrayBuffer", new ArrayBuffer(32)],
  ["short Uint8Array", new Uint8Array(31)],
  ["long Uint8Array", new Uint8Array(33)],
];

const fx = fixture(2, "hostile");
/** Optional parameters legitimately accept "absent". */
const absent = (value: unknown): boolean => value === undefined || value === null;
const programmingError = (e: unknown): boolean => e instanceof TypeError || e instanceof RangeError;

function expectProgrammingError(action: () => unknown): void {
  let thrown: unknown;
  try {
    action();
  } catch (e) {
    thrown = e;
  }
  expect(programmingError(thrown), `threw ${String(thrown)}`).toBe(true);
}

describe.each(HOSTILE)("hostile value %s", (_name, value) => {
  it("as a recipient key, sender key or mailbox tag when sealing", () => {
    expectProgrammingError(() => sealBundle(new Uint8Array(1), { ...fx.options, recipients: [value as Uint8Array] }));
    expectProgrammingError(() => sealBundle(new Uint8Array(1), { ...fx.options, sender: { ...fx.sender, secretKey: value as Uint8Array } }));
    expectProgrammingError(() => sealBundle(new Uint8Array(1), { ...fx.options, mailboxTag: value as Uint8Array }));
  });

  it("as a body, body length or minLength", () => {
    if (!(value instanceof Uint8Array)) expectProgrammingError(() => sealBundle(value as Uint8Array, fx.options));
    if (!(typeof value === "number" && Number.isSafeInteger(value) && value >= 0)) {
      expectProgrammingError(() => new BundleSealer(value as number, fx.options));
      if (!absent(value)) expectProgrammingError(() => sealBundle(new Uint8Array(1), { ...fx.options, minLength: value as number }));
    }
  });

  it("as a bundle, recipient key or limit when opening", () => {
    if (!(value instanceof Uint8Array)) {
      expectProgrammingError(() => openBundle(value as Uint8Array, { recipient: fx.devices[0]! }));
      expectProgrammingError(() => new BundleOpener({ recipient: fx.devices[0]! }).push(value as Uint8Array));
      expectProgrammingError(() => decodePayload(value as Uint8Array));
    }
    expectProgrammingError(() => openBundle(new Uint8Array(1024), { recipient: { ...fx.devices[0]!, secretKey: value as Uint8Array } }));
    expectProgrammingError(() => openBundleStream([], { recipient: { publicKey: value as Uint8Array, secretKey: new Uint8Array(32) } }));
    if (!absent(value) && !(typeof value === "number" && Number.isSafeInteger(value) && value >= 0)) {
      expectProgrammingError(() => openBundle(new Uint8Array(1024), { recipient: fx.devices[0]!, maxLength: value as number }));
    }
  });
});
