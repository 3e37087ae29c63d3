/**
 * R9 through the real courier: an S3-compatible store that answers a listing with a 256 MiB
 * page fails that mailbox's round with MAILBOX_TOO_LARGE, naming the store, while the team's
 * other mailbox and another team still sync. Real courier, spool and dir: mailboxes; the hostile
 * store is a small HTTP server on 127.0.0.1 (radosgw cannot be made to send such a page).
 */
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { openMailbox } from "../mailbox/open.js";
import { MAX_S3_LISTING_BYTES } from "../mailbox/s3.js";
import { Courier } from "./courier.js";

const clock = { now: 20_000 * 86_400_000 + 3_600_000 };
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/**
 * Stores nothing: a put is answered 200, a delete 204, and a listing with a 256 MiB page (written
 * as it is read, so the test never holds more than a chunk; finite, so a courier without the
 * bound fails the test instead of filling the machine's memory).
 */
async function hugeListingStore(): Promise<{ endpoint: string; listings: () => number; sent: () => number }> {
  const entry = `<Contents><Key>${"0".repeat(32)}/${"ab".repeat(32)}.airlock</Key><Size>1</Size></Contents>`;
  const chunk = Buffer.from(entry.repeat(Math.ceil(65_536 / entry.length)));
  let listings = 0;
  let sent = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.method === "PUT") return void res.writeHead(200, { etag: '"0"' }).end();
    if (req.method !== "GET" || !(req.url ?? "").includes("list-type=2")) return void res.writeHead(204).end();
    listings++;
    res.writeHead(200, { "content-type": "application/xml" });
    res.write('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated>');
    const write = (): void => {
      while (!res.destroyed && sent < 256 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (res.destroyed) return;
      if (sent >= 256 * 1024 * 1024) res.end("</ListBucketResult>");
      else res.once("drain", () => ((sent += chunk.length), write()));
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, listings: () => listings, sent: () => sent };
}

async function namesIn(url: string, team: TestTeam): Promise<string[]> {
  return (await openMailbox(url, httpMailboxCredentials(team.tk, team.tk.epochAt(clock.now))).list()).names;
}

describe("a hostile S3 store's 256 MiB listing page", () => {
  it("fails that mailbox's round with MAILBOX_TOO_LARGE; the team's other mailbox and another team still sync", async () => {
    const dir = tempDir("hostile-s3-listing");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [alpha, beta] = [makeTeam("alpha"), makeTeam("beta")];
    const store = await hugeListingStore();
    const s3Url = `s3://airlock-couriers?endpoint=${encodeURIComponent(store.endpoint)}`;
    mkdirSync(join(dir, "alpha-store"));
    mkdirSync(join(dir, "beta-store"));
    const alphaDir = `dir:${join(dir, "alpha-store")}`;
    const betaDir = `dir:${join(dir, "beta-store")}`;
    const home = setupCourierHome(join(dir, "courier"), [alpha, beta], "dir:/replaced/below", { sendPerRound: 4, bucketSizes: [4096] });
    const mailboxes = [[s3Url, alphaDir], [betaDir]];
    saveTeams(home, loadTeams(home).map((config, i) => ({ ...config, mailboxes: mailboxes[i]! })));
    const credentials = { accessKeyId: "AKTESTTESTTESTTEST00", secretAccessKey: "not-a-real-secret-at-all-0000000000000000" };
    const courier = Courier.open(home, { now: () => clock.now, mailbox: { s3Credentials: credentials } });
    cleanups.push(() => courier.close());
    const epoch = alpha.tk.epochAt(clock.now);
    const realAlpha = teamBundle(alpha, epoch, new TextEncoder().encode(`alpha ${toHex(randomBytes(8))}`));
    const realBeta = teamBundle(beta, epoch, new TextEncoder().encode(`beta ${toHex(randomBytes(8))}`));
    courier.ingestMany([realAlpha, realBeta]);

    const reports = await courier.round();
    expect(reports.map((r) => [r.teamName, r.backend, r.error?.code])).toEqual([
      ["alpha", s3Url, "MAILBOX_TOO_LARGE"],
      ["alpha", alphaDir, undefined],
      ["beta", betaDir, undefined],
    ]);
    const message = reports[0]!.error!.message;
    expect(message).toContain(`${new URL(store.endpoint).host} (bucket airlock-couriers)`);
    expect(message).toContain(`more than ${MAX_S3_LISTING_BYTES} bytes`);
    expect(store.listings()).toBeGreaterThan(0);
    // Each listing was cut at the bound (plus what socket buffers held), not read to its end.
    expect(store.sent()).toBeLessThan(store.listings() * (MAX_S3_LISTING_BYTES + 24 * 1024 * 1024));
    expect(await namesIn(alphaDir, alpha)).toContain(mailboxNameFor(realAlpha));
    expect(await namesIn(betaDir, beta)).toContain(mailboxNameFor(realBeta));
  }, 60_000);
});
