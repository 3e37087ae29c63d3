/**
 * Deadlines against hostile mailboxes, through the real courier and real sockets on 127.0.0.1:
 * a mailbox that accepts connections and never answers, and one that trickles a byte at a time
 * so no idle timeout fires. The round must end by its (short, test-configured) deadline with that
 * mailbox reported as MAILBOX_TIMEOUT, while a healthy mailbox of the same team and another team
 * still sync. And `airlock-courier sync`, stuck on such a mailbox, exits on SIGTERM.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes, toHex } from "@airlock/bundle-format";
import { makeTeam, teamBundle, type TestTeam } from "../../test-support/enrollment.js";
import { setupCourierHome, tempDir } from "../../test-support/courier-home.js";
import { resolveHome } from "../home/paths.js";
import { loadTeams, saveTeams } from "../home/teams.js";
import { mailboxNameFor } from "../mailbox/backend.js";
import { httpMailboxCredentials } from "../mailbox/http.js";
import { startMailboxServer } from "../mailbox/http-server.js";
import { openMailbox } from "../mailbox/open.js";
import { Spool } from "../spool/spool.js";
import { Courier, type CourierOptions } from "./courier.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const SETTINGS = { sendPerRound: 4, bucketSizes: [4096] };
const clock = { now: 20_000 * 86_400_000 + 3_600_000 };

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/**
 * A TCP server that takes every connection and reads the request's head; then, per `mode`,
 * says nothing ever ("silent") or starts a 200 answer and sends one byte of it every 20 ms
 * ("trickle"). `requested` resolves when the first request head arrived.
 */
async function stalledMailbox(mode: "silent" | "trickle"): Promise<{ url: string; requested: Promise<void> }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let signal!: () => void;
  const requested = new Promise<void>((resolve) => (signal = resolve));
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    let head = "";
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      socket.resume(); // a PUT's body is read and ignored
      signal();
      if (mode === "silent") return;
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n");
      const timer = setInterval(() => socket.write(" "), 20);
      timers.add(timer);
      socket.on("close", () => clearInterval(timer));
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requested };
}

/** A real mailbox server (what `airlock-courier serve` runs) for `teams`, on the test clock. */
async function healthyHttpMailbox(dir: string, teams: readonly TestTeam[]): Promise<string> {
  const keys = teams.map((t) => t.tk.mailboxServerKey());
  const server = await startMailboxServer({ listen: { host: "127.0.0.1", port: 0 }, storageDir: join(dir, "server"), teams: () => keys, now: () => clock.now });
  cleanups.push(() => server.close());
  return server.url;
}

/** One courier home serving `teams`, each with its own list of mailbox URLs (in order). */
function courierWith(root: string, teams: readonly { team: TestTeam; mailboxes: string[] }[], options: CourierOptions): Courier {
  const home = setupCourierHome(root, teams.map((t) => t.team), "dir:/replaced/below", SETTINGS);
  const configs = loadTeams(home).map((config, i) => ({ ...config, mailboxes: teams[i]!.mailboxes }));
  saveTeams(home, configs);
  const courier = Courier.open(home, { now: () => clock.now, ...options });
  cleanups.push(() => courier.close());
  return courier;
}

async function namesIn(url: string, team: TestTeam): Promise<string[]> {
  const store = openMailbox(url, httpMailboxCredentials(team.tk, team.tk.epochAt(clock.now)));
  try {
    return (await store.list()).names;
  } finally {
    store.close?.();
  }
}

const body = (label: string): Uint8Array => new TextEncoder().encode(`${label} ${toHex(randomBytes(8))}`);

function setup(prefix: string): string {
  const dir = tempDir(prefix);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("a stalled mailbox", () => {
  for (const mode of ["silent", "trickle"] as const) {
    it(`${mode}: the round ends at its deadline with it reported as MAILBOX_TIMEOUT; the team's other mailbox and another team still sync`, async () => {
      const dir = setup(`deadline-${mode}`);
      const [alpha, beta] = [makeTeam("alpha"), makeTeam("beta")];
      const stalled = await stalledMailbox(mode);
      const healthy = await healthyHttpMailbox(dir, [alpha]);
      mkdirSync(join(dir, "beta-store"));
      const betaUrl = `dir:${join(dir, "beta-store")}`;
      // Silent: the mailbox's round deadline ends it (requests alone would wait a minute).
      // Trickle: each request's total deadline does (bytes keep arriving, so no idle timeout fires).
      // Generous enough that the healthy mailboxes, under the same deadlines, finish on a loaded machine.
      const options: CourierOptions =
        mode === "silent" ? { mailboxDeadlineMs: 3000, mailbox: { deadlineMs: 120_000 } } : { mailboxDeadlineMs: 120_000, mailbox: { deadlineMs: 1000 } };
      const courier = courierWith(
        join(dir, "courier"),
        [
          { team: alpha, mailboxes: [stalled.url, healthy] },
          { team: beta, mailboxes: [betaUrl] },
        ],
        options,
      );
      const epoch = alpha.tk.epochAt(clock.now);
      const realAlpha = teamBundle(alpha, epoch, body("alpha"));
      const realBeta = teamBundle(beta, epoch, body("beta"));
      expect(courier.ingestMany([realAlpha, realBeta]).map((o) => o.outcome)).toEqual(["spooled", "spooled"]);

      const reports = await courier.round();
      await stalled.requested; // the courier did reach the stalled mailbox
      expect(reports.map((r) => [r.teamName, r.backend, r.error?.code])).toEqual([
        ["alpha", stalled.url, "MAILBOX_TIMEOUT"],
        ["alpha", healthy, undefined],
        ["beta", betaUrl, undefined],
      ]);
      expect(reports[1]!.push).toEqual({ real: 1, cover: 3, failed: 0 });
      expect(reports[2]!.push).toEqual({ real: 1, cover: 3, failed: 0 });
      // Both healthy mailboxes hold their team's whole batch, the real bundle among it.
      expect(await namesIn(healthy, alpha)).toHaveLength(4);
      expect(await namesIn(healthy, alpha)).toContain(mailboxNameFor(realAlpha));
      expect(await namesIn(betaUrl, beta)).toContain(mailboxNameFor(realBeta));
      // alpha's bundle is not delivered everywhere yet, so it stays for the next round; beta's went out.
      const states = Object.fromEntries(courier.spool.list({ direction: "outbound" }).map((e) => [e.digest, e.state]));
      expect(states[mailboxNameFor(realAlpha).slice(0, 64)]).toBe("failed");
      expect(states[mailboxNameFor(realBeta).slice(0, 64)]).toBe("delivered");
    });
  }

  it("a silent S3 endpoint: every call ends at its deadline (the SDK's own timeouts only warn) and the other team still syncs", async () => {
    const dir = setup("deadline-s3");
    const [alpha, beta] = [makeTeam("alpha"), makeTeam("beta")];
    const stalled = await stalledMailbox("silent");
    const s3Url = `s3://airlock-couriers?endpoint=${encodeURIComponent(stalled.url)}`;
    mkdirSync(join(dir, "beta-store"));
    const betaUrl = `dir:${join(dir, "beta-store")}`;
    const credentials = { accessKeyId: "AKTESTTESTTESTTEST00", secretAccessKey: "not-a-real-secret-at-all-0000000000000000" };
    const courier = courierWith(
      join(dir, "courier"),
      [
        { team: alpha, mailboxes: [s3Url] },
        { team: beta, mailboxes: [betaUrl] },
      ],
      { mailboxDeadlineMs: 120_000, mailbox: { deadlineMs: 1000, s3Credentials: credentials } },
    );
    const epoch = alpha.tk.epochAt(clock.now);
    courier.ingestMany([teamBundle(alpha, epoch, body("alpha")), teamBundle(beta, epoch, body("beta"))]);
    const reports = await courier.round();
    await stalled.requested;
    expect(reports.map((r) => [r.teamName, r.error?.code])).toEqual([
      ["alpha", "MAILBOX_TIMEOUT"],
      ["beta", undefined],
    ]);
    expect(courier.spool.counts().outbound).toMatchObject({ failed: 1, delivered: 1 });
  });

  it("an aborted round (SIGTERM in the CLI) ends at once with the stuck mailbox reported as MAILBOX_ABORTED", async () => {
    const dir = setup("deadline-abort");
    const team = makeTeam("gamma");
    const stalled = await stalledMailbox("silent");
    const courier = courierWith(join(dir, "courier"), [{ team, mailboxes: [stalled.url] }], {});
    courier.ingest(teamBundle(team, team.tk.epochAt(clock.now), body("gamma")));
    const abort = new AbortController();
    void stalled.requested.then(() => abort.abort());
    const reports = await courier.round({ signal: abort.signal });
    expect(reports.map((r) => r.error?.code)).toEqual(["MAILBOX_ABORTED"]);
    expect(courier.spool.counts().outbound).toMatchObject({ pending: 0, failed: 1, delivered: 0 });
  });
});

describe("airlock-courier sync", () => {
  it("exits on SIGTERM while a request hangs on a silent mailbox; the bundle stays spooled", async () => {
    const dir = setup("deadline-cli");
    const team = makeTeam("delta");
    const stalled = await stalledMailbox("silent");
    const root = join(dir, "courier");
    const courier = courierWith(root, [{ team, mailboxes: [stalled.url] }], { now: () => Date.now() });
    // Real time here: the child process signs with the wall clock, so its epoch must be today's.
    courier.ingest(teamBundle(team, team.tk.epochAt(Date.now()), body("delta")));
    courier.close();
    const child = spawn(process.execPath, [BIN, "sync", "--json", "--retries", "0"], {
      env: { ...process.env, AIRLOCK_COURIER_HOME: root },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    cleanups.push(() => void child.kill("SIGKILL"));
    await stalled.requested;
    child.kill("SIGTERM");
    // Without the abort this would hang for the request's minute-long idle timeout (and the test time out).
    expect(await exited).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, reports: [{ error: { code: "MAILBOX_ABORTED" } }] });
    const spool = Spool.open(resolveHome(root).spoolFile);
    try {
      expect(spool.counts().outbound).toMatchObject({ failed: 1, delivered: 0 });
    } finally {
      spool.close();
    }
  });
});
