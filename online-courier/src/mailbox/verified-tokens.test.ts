/**
 * The table of tokens that opened a namespace: an entry holds exactly while the whole check would
 * still accept it (its epoch inside the window, its team still served), and the table stays
 * within its capacity. Real mailbox server keys, an explicit clock.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { MailboxServerKey } from "@airlock/shared";
import { VerifiedTokens } from "./verified-tokens.js";

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;
const WINDOW = { past: 3, future: 1 };
const NS = "0123456789abcdef0123456789abcdef";
const TOKEN = "ab".repeat(32);

const keys: MailboxServerKey[] = [];
function serverKey(): MailboxServerKey {
  const key = new MailboxServerKey(new Uint8Array(randomBytes(32)), DAY_S);
  keys.push(key);
  return key;
}
afterEach(() => {
  for (const k of keys.splice(0)) k.wipe();
});

/** Noon of day `epoch`, so an epoch's edges are never a rounding question. */
const noonOf = (epoch: number): number => epoch * DAY_MS + DAY_MS / 2;

describe("VerifiedTokens", () => {
  it("finds what was remembered for that namespace and token only", () => {
    const team = serverKey();
    const table = new VerifiedTokens(8, WINDOW);
    expect(table.find(NS, TOKEN, [team], noonOf(100))).toBeUndefined();
    table.remember(NS, TOKEN, { team, epoch: 100 });
    expect(table.find(NS, TOKEN, [team], noonOf(100))).toEqual({ team, epoch: 100 });
    expect(table.find(NS, "cd".repeat(32), [team], noonOf(100))).toBeUndefined();
    expect(table.find("fedcba9876543210fedcba9876543210", TOKEN, [team], noonOf(100))).toBeUndefined();
  });

  it("holds an entry through the window's oldest epoch and forgets it the epoch after", () => {
    const team = serverKey();
    const table = new VerifiedTokens(8, WINDOW);
    table.remember(NS, TOKEN, { team, epoch: 100 });
    // Epoch 100 is the oldest one the window admits on day 103.
    expect(table.find(NS, TOKEN, [team], noonOf(100 + WINDOW.past))).toEqual({ team, epoch: 100 });
    expect(table.find(NS, TOKEN, [team], noonOf(100 + WINDOW.past + 1))).toBeUndefined();
    expect(table.size).toBe(0);
    // Forgotten, not only hidden: going back does not bring it back.
    expect(table.find(NS, TOKEN, [team], noonOf(100))).toBeUndefined();
  });

  it("holds an entry through the window's newest epoch and forgets it when the clock is further back", () => {
    const team = serverKey();
    const table = new VerifiedTokens(8, WINDOW);
    table.remember(NS, TOKEN, { team, epoch: 100 });
    // Epoch 100 is the newest one the window admits on day 99.
    expect(table.find(NS, TOKEN, [team], noonOf(100 - WINDOW.future))).toEqual({ team, epoch: 100 });
    expect(table.find(NS, TOKEN, [team], noonOf(100 - WINDOW.future - 1))).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it("forgets an entry whose team is no longer served", () => {
    const team = serverKey();
    const other = serverKey();
    const table = new VerifiedTokens(8, WINDOW);
    table.remember(NS, TOKEN, { team, epoch: 100 });
    expect(table.find(NS, TOKEN, [other], noonOf(100))).toBeUndefined();
    expect(table.size).toBe(0);
    expect(table.find(NS, TOKEN, [other, team], noonOf(100))).toBeUndefined();
  });

  it("keeps at most its capacity: full, it starts again empty", () => {
    const team = serverKey();
    const table = new VerifiedTokens(3, WINDOW);
    const token = (i: number): string => i.toString(16).padStart(64, "0");
    for (let i = 0; i < 3; i++) {
      table.remember(NS, token(i), { team, epoch: 100 });
      expect(table.size).toBe(i + 1);
    }
    table.remember(NS, token(3), { team, epoch: 100 });
    expect(table.size).toBe(1);
    expect(table.find(NS, token(0), [team], noonOf(100))).toBeUndefined();
    expect(table.find(NS, token(3), [team], noonOf(100))).toEqual({ team, epoch: 100 });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses a capacity of %s", (capacity) => {
    expect(() => new VerifiedTokens(capacity, WINDOW)).toThrow(new RangeError(`capacity must be a positive integer, got ${String(capacity)}`));
  });

  it("takes a capacity of one", () => {
    const team = serverKey();
    const table = new VerifiedTokens(1, WINDOW);
    table.remember(NS, TOKEN, { team, epoch: 100 });
    expect(table.find(NS, TOKEN, [team], noonOf(100))).toEqual({ team, epoch: 100 });
  });
});
