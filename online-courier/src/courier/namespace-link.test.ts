/**
 * A `dir:` mailbox shared through Syncthing: a peer replaces this epoch's namespace folder with a
 * symlink to a folder of its choosing. The real courier's round reports MAILBOX_LINK for that
 * mailbox, writes nothing through the link, keeps the real bundle for the next round, and its
 * other mailbox still gets the batch.
 */
import { mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "@airlock/bundle-format";
import { makeTeam, teamBundle } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { Courier } from "./courier.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe("a dir: namespace folder replaced by a link", () => {
  it("is reported as MAILBOX_LINK; nothing is written through it; the other mailbox syncs", async () => {
    const dir = tempDir("namespace-link");
    dirs.push(dir);
    const now = 20_000 * 86_400_000 + 3_600_000;
    const team = makeTeam("linked");
    const [shared, other, elsewhere] = ["shared", "other", "elsewhere"].map((n) => join(dir, n)) as [string, string, string];
    for (const d of [shared, other, elsewhere]) mkdirSync(d);
    const home = setupCourierHome(join(dir, "courier"), [team], `dir:${shared}`, { sendPerRound: 4, bucketSizes: [4096] });
    saveTeams(home, loadTeams(home).map((t) => ({ ...t, mailboxes: [`dir:${shared}`, `dir:${other}`] })));
    const namespace = team.tk.mailboxId(team.tk.epochAt(now));
    symlinkSync(elsewhere, join(shared, namespace));

    const courier = Courier.open(home, { now: () => now });
    try {
      expect(courier.ingest(teamBundle(team, team.tk.epochAt(now), randomBytes(200))).outcome).toBe("spooled");
      const reports = await courier.round();
      expect(reports.map((r) => [r.backend, r.error?.code])).toEqual([
        [`dir:${shared}`, "MAILBOX_LINK"],
        [`dir:${other}`, undefined],
      ]);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(readdirSync(join(other, namespace))).toHaveLength(4);
      expect(courier.spool.counts().outbound).toMatchObject({ failed: 1, delivered: 0 });
    } finally {
      courier.close();
    }
  });
});
