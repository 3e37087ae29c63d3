import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { Courier, DEFAULT_RETENTION_MS } from "./courier.js";

const DAY = 86_400_000;
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("spool retention", () => {
  it("expires delivered bundles after the retention, never pending ones", async () => {
    dir = tempDir("retention");
    mkdirSync(join(dir, "store"));
    const team = makeTeam("Retention");
    const clock = { now: 20_000 * DAY + 3_600_000 };
    const home = setupCourierHome(join(dir, "c"), [team], `dir:${join(dir, "store")}`, { sendPerRound: 1, bucketSizes: [4096] });
    const courier = Courier.open(home, { now: () => clock.now });
    try {
      const epoch = Math.floor(clock.now / DAY);
      const sent = courier.ingest(teamBundle(team, epoch, new TextEncoder().encode("first")));
      const waiting = courier.ingest(teamBundle(team, epoch, new TextEncoder().encode("second")));
      expect(sent.outcome).toBe("spooled");
      await courier.round(); // sendPerRound 1: one of the two goes out, the other stays pending
      const states = courier.spool.list({ direction: "outbound" }).map((e) => e.state).sort();
      expect(states).toEqual(["delivered", "pending"]);
      clock.now += DEFAULT_RETENTION_MS + DAY;
      // The store is down now: the pending bundle fails again, and still must not be lost.
      rmSync(join(dir, "store"), { recursive: true, force: true });
      await courier.round();
      const left = courier.spool.list({ direction: "outbound" });
      expect(left).toHaveLength(1);
      expect(left[0]!.state).not.toBe("delivered");
      expect([sent, waiting].some((o) => o.outcome === "spooled" && "digest" in o && o.digest === left[0]!.digest)).toBe(true);
    } finally {
      courier.close();
    }
  });
});
