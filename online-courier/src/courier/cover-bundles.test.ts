/**
 * Cover against real, byte for byte, as a mailbox lists them (docs/transport-key.md, I11;
 * docs/testing.md, promise P3). Two real couriers send rounds of mixed traffic into a real
 * `dir:` mailbox; the test lists and fetches everything through the mailbox backend, sorts it
 * with the transport key (which the mailbox does not have), and compares what a mailbox could
 * compare: sizes and slot counts, the ephemeral key in the header (a real X25519 public key on
 * the curve, never zero, never reused), and the bytes after the header (uniform on both sides,
 * by a chi-square test of byte frequencies over a few hundred KiB each).
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodePayload, HEADER_LENGTH, inspectBundle, isValidX25519PublicKey, randomBytes, sealBundle, utf8, x25519KeyPair } from "@airlock/bundle-format";
import { makeTeam, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { resolveHome } from "../home/paths.js";
import { openMailbox } from "../mailbox/open.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { Courier } from "./courier.js";

const EPOCH_MS = 86_400_000;
const SETTINGS = { sendPerRound: 4, bucketSizes: [65_536] };
const ROUNDS = 8;

const dirs: string[] = [];
const open: Courier[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function courier(root: string, team: TestTeam, url: string, clock: { now: number }): Courier {
  const home = existsSync(root) ? resolveHome(root) : setupCourierHome(root, [team], url, SETTINGS);
  const c = Courier.open(home, { now: () => clock.now });
  open.push(c);
  return c;
}

/**
 * A real bundle as a vault seals one: a sync payload whose body is mostly structure and text
 * (far from uniform before sealing), to `recipients` devices.
 */
function realBundle(team: TestTeam, epoch: number, notes: number, recipients: number): Uint8Array {
  const changesets = [...Array(notes).keys()].map((i) => utf8(`{"record":"n${i}","field":"title","value":"${"meeting notes ".repeat(40)}"}`));
  const body = encodePayload({ kind: "sync", team: team.id, entries: [], changesets, acks: [] });
  return sealBundle(body, {
    recipients: [team.device.encryption.publicKey, ...[...Array(recipients - 1).keys()].map(() => x25519KeyPair().publicKey)],
    sender: team.device.signing,
    mailboxTag: team.tk.tag("real", epoch),
  });
}

// Curve25519 in Montgomery form: v^2 = u^3 + A u^2 + u over GF(p). A u-coordinate is on the curve
// (rather than its twist) exactly when the right side is a square: Euler's criterion.
const P = 2n ** 255n - 19n;
const A = 486_662n;
function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
function onCurve(key: Uint8Array): boolean {
  const u = BigInt(`0x${Buffer.from(key).reverse().toString("hex")}`) & ((1n << 255n) - 1n); // RFC 7748: little-endian, top bit masked
  const rhs = (u * u * u + A * u * u + u) % P;
  return rhs === 0n || modPow(rhs, (P - 1n) / 2n) === 1n;
}

/** Chi-square statistic of byte frequencies in `data` against the uniform distribution (255 degrees of freedom). */
function chiSquareUniform(data: readonly Uint8Array[]): { chi: number; bytes: number } {
  const counts = new Float64Array(256);
  let bytes = 0;
  for (const d of data) {
    for (const x of d) counts[x]!++;
    bytes += d.length;
  }
  const expected = bytes / 256;
  let chi = 0;
  for (const c of counts) chi += ((c - expected) * (c - expected)) / expected;
  return { chi, bytes };
}

/** Two-sample chi-square (homogeneity) of the byte frequencies of `x` and `y` (255 degrees of freedom). */
function chiSquareTwoSample(x: readonly Uint8Array[], y: readonly Uint8Array[]): number {
  const cx = new Float64Array(256);
  const cy = new Float64Array(256);
  for (const d of x) for (const b of d) cx[b]!++;
  for (const d of y) for (const b of d) cy[b]!++;
  const nx = cx.reduce((s, v) => s + v, 0);
  const ny = cy.reduce((s, v) => s + v, 0);
  let chi = 0;
  for (let i = 0; i < 256; i++) {
    const total = cx[i]! + cy[i]!;
    if (total === 0) continue;
    const ex = (total * nx) / (nx + ny);
    const ey = (total * ny) / (nx + ny);
    chi += (cx[i]! - ex) ** 2 / ex + (cy[i]! - ey) ** 2 / ey;
  }
  return chi;
}

/**
 * For 255 degrees of freedom the statistic has mean 255 and standard deviation about 22.6; 400
 * is more than six deviations out (a false alarm about once in 10^8 runs). A constant or
 * zeroed body scores in the millions, a body with a few fixed bytes per KiB in the thousands.
 */
const CHI_BOUND = 400;

describe("cover and real bundles as a mailbox lists them", () => {
  it("have the same sizes and slot counts, valid fresh ephemeral keys, and bodies of uniform bytes", async () => {
    const dir = tempDir("cover-bundles");
    dirs.push(dir);
    const store = join(dir, "store");
    mkdirSync(store);
    const team = makeTeam("Bytes");
    const clock = { now: 20_500 * EPOCH_MS + 3_600_000 };
    const epoch = team.tk.epochAt(clock.now);
    const url = `dir:${store}`;
    const a = courier(join(dir, "a"), team, url, clock);
    const b = courier(join(dir, "b"), team, url, clock);
    // Two sizes and two slot tiers of real traffic (1 and 5 recipients), some in later rounds.
    const arrivals: Record<number, Uint8Array[]> = {
      0: [realBundle(team, epoch, 60, 1), realBundle(team, epoch, 60, 5)],
      1: [realBundle(team, epoch, 150, 1)],
      3: [realBundle(team, epoch, 60, 1), realBundle(team, epoch, 150, 5)],
    };
    const sent = Object.values(arrivals).flat().length;
    for (let round = 0; round < ROUNDS; round++) {
      for (const bundle of arrivals[round] ?? []) expect(a.ingest(bundle).outcome).toBe("spooled");
      for (const c of [a, b]) for (const r of await c.round()) expect(r.error).toBeUndefined();
      clock.now += 15 * 60_000;
    }

    // What the mailbox holds, through its own listing.
    const mailbox = openMailbox(url, httpMailboxCredentials(team.tk, epoch));
    const { names } = await mailbox.list();
    expect(names).toHaveLength(2 * ROUNDS * SETTINGS.sendPerRound);
    const listed: { kind: "real" | "cover"; bytes: Uint8Array }[] = [];
    for (const name of names) {
      const bytes = (await mailbox.get(name))!;
      const kind = team.tk.classify(inspectBundle(bytes).mailboxTag, epoch)?.kind;
      if (kind === undefined) throw new Error(`${name} does not carry one of the team's tags`);
      listed.push({ kind, bytes });
    }
    const real = listed.filter((l) => l.kind === "real");
    const cover = listed.filter((l) => l.kind === "cover");
    expect(real).toHaveLength(sent);
    expect(cover.length).toBeGreaterThan(3 * real.length);

    // Sizes and slot counts: the same set on both sides.
    const shapes = (xs: typeof listed): string[] => [...new Set(xs.map((l) => inspectBundle(l.bytes)).map((h) => `${h.length}/${h.slotCount}`))].sort();
    expect(shapes(real).length).toBe(4);
    expect(shapes(cover)).toEqual(shapes(real));

    // The ephemeral key: a real public key of the curve (about half of random 32-byte strings
    // are on the twist, which no sealed bundle carries), not low-order, never repeated.
    const ephemerals = listed.map((l) => inspectBundle(l.bytes).ephemeralPublicKey);
    for (const [i, key] of ephemerals.entries()) {
      expect(key.some((x) => x !== 0), `bundle ${i} (${listed[i]!.kind}) has a zero ephemeral key`).toBe(true);
      expect(isValidX25519PublicKey(key), `bundle ${i} (${listed[i]!.kind})`).toBe(true);
      expect(onCurve(key), `bundle ${i} (${listed[i]!.kind}) has an ephemeral key on the twist`).toBe(true);
    }
    expect(new Set(ephemerals.map((k) => Buffer.from(k).toString("hex"))).size).toBe(listed.length);
    // The check itself tells the two apart: a random string on the twist is refused.
    let twist: Uint8Array;
    do twist = randomBytes(32);
    while (onCurve(twist));
    expect(onCurve(twist)).toBe(false);

    // Everything after the header (wrapped key slots, then the sealed body and its padding).
    const afterHeader = (xs: typeof listed): Uint8Array[] => xs.map((l) => l.bytes.subarray(HEADER_LENGTH));
    const realStats = chiSquareUniform(afterHeader(real));
    const coverStats = chiSquareUniform(afterHeader(cover));
    expect(realStats.bytes).toBeGreaterThan(200 * 1024);
    expect(coverStats.bytes).toBeGreaterThan(600 * 1024);
    expect(realStats.chi).toBeLessThan(CHI_BOUND);
    expect(coverStats.chi).toBeLessThan(CHI_BOUND);
    expect(chiSquareTwoSample(afterHeader(real), afterHeader(cover))).toBeLessThan(CHI_BOUND);
    // And the plaintext a vault seals is nowhere near uniform: the statistic does see structure.
    const plain = encodePayload({ kind: "sync", team: team.id, entries: [], changesets: [utf8("meeting notes ".repeat(4000))], acks: [] });
    expect(chiSquareUniform([plain]).chi).toBeGreaterThan(100 * CHI_BOUND);
  });
});
