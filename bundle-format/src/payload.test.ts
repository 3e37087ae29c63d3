import { describe, expect, it } from "vitest";
import { outcome } from "../test-support/fixtures.js";
import { encodeCanonical, type CborMap, type CborValue } from "./cbor-strict.js";
import { decodePayload, encodePayload, MAX_LOG_HEADS, PAYLOAD_KINDS, PAYLOAD_SCHEMAS, type Payload, type SyncPayload } from "./payload.js";

const b32 = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

const SAMPLES: Payload[] = [
  { kind: "sync", team: b32(1), entries: [new Uint8Array([7])], changesets: [new Uint8Array([1, 2, 3])], acks: [{ device: b32(2), seq: 2 ** 40 }], logHeads: [b32(10), b32(11)] },
  { kind: "enrollment", name: "Ada Lovelace", user: b32(3), deviceSigning: b32(4), deviceEncryption: b32(5), created: 1_764_000_000_000 },
  { kind: "welcome", team: b32(6), log: [new Uint8Array([9])], transportKey: b32(9) },
  { kind: "courier-enrollment", team: b32(7), teamName: "Field office", transportKey: b32(8), epochSeconds: 86_400, mailbox: "dir:/media/usb/airlock" },
];

/** Builds a raw payload map, bypassing encodePayload's checks, to play a hostile or newer writer. */
function raw(entries: [string, CborValue][]): Uint8Array {
  return encodeCanonical(new Map(entries) as CborMap);
}

describe("payloads", () => {
  it("covers every kind", () => {
    expect(SAMPLES.map((s) => s.kind).sort()).toEqual([...PAYLOAD_KINDS].sort());
  });

  it.each(SAMPLES)("$kind round-trips canonically", (sample) => {
    const bytes = encodePayload(sample);
    const decoded = decodePayload(bytes);
    expect(decoded).toEqual({ ...sample, minor: PAYLOAD_SCHEMAS[sample.kind].minor });
    expect(encodePayload(sample)).toEqual(bytes);
  });

  it("sync: logHeads is optional (1.0 writers had none) and bounded", () => {
    const { logHeads: _omitted, ...old } = SAMPLES[0] as SyncPayload;
    expect(decodePayload(encodePayload(old))).not.toHaveProperty("logHeads");
    const many = { ...old, logHeads: Array.from({ length: MAX_LOG_HEADS + 1 }, () => b32(1)) };
    expect(() => encodePayload(many)).toThrow(/logHeads/);
    expect(() => encodePayload({ ...old, logHeads: [new Uint8Array(31)] })).toThrow(/logHeads\[0\]/);
  });

  it("refuses an unknown kind with BUNDLE_KIND", () => {
    expect(outcome(() => decodePayload(raw([["kind", "calendar-invite"], ["v", 0]])))).toBe("BUNDLE_KIND");
    expect(outcome(() => decodePayload(raw([["kind", "__proto__"], ["v", 0]])))).toBe("BUNDLE_KIND");
    expect(outcome(() => decodePayload(raw([["kind", "toString"], ["v", 0]])))).toBe("BUNDLE_KIND");
  });

  const courier: [string, CborValue][] = [
    ["kind", "courier-enrollment"],
    ["mailbox", "dir:/x"],
    ["team", b32(1)],
    ["teamName", "T"],
    ["transportKey", b32(2)],
    ["epochSeconds", 3600],
  ];

  it("refuses unknown fields at a minor version it knows", () => {
    expect(outcome(() => decodePayload(raw([...courier, ["v", 0], ["extra", 1]])))).toBe("BUNDLE_MALFORMED");
    expect(outcome(() => decodePayload(raw([...courier, ["v", 0], ["__proto__", new Map()]])))).toBe("BUNDLE_MALFORMED");
  });

  it("ignores unknown fields from a newer minor version, still checking the known ones", () => {
    const newer = decodePayload(raw([...courier, ["v", 3], ["relays", ["a", "b"]]]));
    expect(newer).toEqual({ kind: "courier-enrollment", minor: 3, mailbox: "dir:/x", team: b32(1), teamName: "T", transportKey: b32(2), epochSeconds: 3600 });
    expect("relays" in newer).toBe(false);
    const broken = courier.map(([k, v]): [string, CborValue] => [k, k === "team" ? b32(1).subarray(1) : v]);
    expect(outcome(() => decodePayload(raw([...broken, ["v", 3]])))).toBe("BUNDLE_MALFORMED");
  });

  it("refuses missing fields, wrong types and out-of-range values, naming the field", () => {
    const cases: [string, [string, CborValue][]][] = [
      ["courier-enrollment.mailbox", courier.filter(([k]) => k !== "mailbox")],
      ["courier-enrollment.team", courier.map(([k, v]) => [k, k === "team" ? "not bytes" : v])],
      ["courier-enrollment.mailbox", courier.map(([k, v]) => [k, k === "mailbox" ? "x".repeat(2049) : v])],
    ];
    for (const [field, entries] of cases) {
      expect(() => decodePayload(raw([...entries, ["v", 0]]))).toThrow(field);
    }
    expect(outcome(() => decodePayload(raw(courier)))).toBe("BUNDLE_MALFORMED"); // no "v"
    expect(outcome(() => decodePayload(raw([...courier, ["v", -1]])))).toBe("BUNDLE_MALFORMED");
    expect(outcome(() => decodePayload(encodeCanonical([1, 2])))).toBe("BUNDLE_MALFORMED");
    const sync: [string, CborValue][] = [["kind", "sync"], ["v", 0], ["team", b32(1)], ["entries", []], ["changesets", []]];
    const badAck = new Map<string, CborValue>([["device", b32(1)], ["seq", -4]]);
    expect(() => decodePayload(raw([...sync, ["acks", [badAck]]]))).toThrow("sync.acks[0].seq");
    const extraAck = new Map<string, CborValue>([["device", b32(1)], ["seq", 4], ["x", 1]]);
    expect(() => decodePayload(raw([...sync, ["acks", [extraAck]]]))).toThrow("sync.acks[0].x");
  });

  it("the encoder refuses payloads its own decoder would refuse", () => {
    expect(() => encodePayload({ ...SAMPLES[3], team: new Uint8Array(3) } as Payload)).toThrow(TypeError);
    expect(() => encodePayload({ ...SAMPLES[3], extra: 1 } as unknown as Payload)).toThrow(TypeError);
    expect(() => encodePayload({ kind: "nope" } as unknown as Payload)).toThrow(TypeError);
  });
});
