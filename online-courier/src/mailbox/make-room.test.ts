/**
 * Which connection a full mailbox server closes for a new one (make-room.ts), against histories of
 * bytes and clocks the server test cannot stage without sleeping: a kept-alive connection whose
 * next request drips in byte by byte is closable once its headers grace has passed since its
 * first byte was noticed (the R10 review's bypass), however many bytes came since.
 */
import { describe, expect, it } from "vitest";
import { chooseVictim, type Slot } from "./make-room.js";

const GRACES = { idleMs: 2_000, headersMs: 5_000 };

function slot(state: Slot["state"], since: number, bytes = 100): Slot & { socket: { bytesRead: number } } {
  return { socket: { bytesRead: bytes }, address: "127.0.0.2", state, since, bytesSeen: bytes };
}

describe("chooseVictim", () => {
  it("closes the longest idle connection past the idle grace, never a young one or one inside a request", () => {
    const busy = slot("request", 0);
    const young = slot("idle", 9_000);
    const old = slot("idle", 7_000);
    expect(chooseVictim([busy, young], 10_000, GRACES, false)).toBeUndefined();
    expect(chooseVictim([busy, young, old], 10_000, GRACES, false)).toBe(old);
    expect(chooseVictim([old], 8_999, GRACES, false)).toBeUndefined();
    expect(chooseVictim([old], 9_000, GRACES, false)).toBe(old);
  });

  it("else the oldest connection in its headers past the headers grace", () => {
    const fresh = slot("headers", 6_000);
    const holder = slot("headers", 1_000);
    expect(chooseVictim([fresh, holder], 5_999, GRACES, false)).toBeUndefined();
    expect(chooseVictim([fresh, holder], 6_000, GRACES, false)).toBe(holder);
  });

  it("a next request dripping in on a kept-alive connection is closable one headers grace after its first byte was noticed, whatever came since", () => {
    const held = slot("idle", 0);
    // Its next request's first bytes: noticed now, so it is young, not idle since long ago.
    held.socket.bytesRead += 30;
    expect(chooseVictim([held], 60_000, GRACES, false)).toBeUndefined();
    expect(held.state).toBe("headers");
    // A byte every second keeps coming; none of them makes it young again.
    for (let t = 61_000; t < 65_000; t += 1_000) {
      held.socket.bytesRead += 1;
      expect(chooseVictim([held], t, GRACES, false)).toBeUndefined();
    }
    held.socket.bytesRead += 1;
    expect(chooseVictim([held], 65_000, GRACES, false)).toBe(held);
  });

  it("past its own share an address loses its own longest idle connection at once; otherwise the newcomer is refused", () => {
    const a = slot("idle", 9_500);
    const b = slot("idle", 9_800);
    expect(chooseVictim([a, b], 10_000, GRACES, false)).toBeUndefined();
    expect(chooseVictim([a, b], 10_000, GRACES, true)).toBe(a);
    expect(chooseVictim([slot("request", 0), slot("headers", 9_000)], 10_000, GRACES, true)).toBeUndefined();
  });
});
