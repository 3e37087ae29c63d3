/**
 * A private Tor network on 127.0.0.1 for end-to-end tests, in the style of chutney's small
 * networks: one directory authority (its keys made with tor-gencert), a few relays, and any
 * number of client/service tors joining it. Every node runs with `TestingTorNetwork 1` and
 * chutney's fast-voting settings, so a consensus is voted every 10 s and clients bootstrap in
 * ~30 s. Nothing here touches the public Tor network: every node knows only our authority.
 *
 * Every process is started through launchTor (owned by this Node process: tor exits by
 * itself if we die) and stop() kills all of them; callers put stop() in a finally/afterAll.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { get } from "node:http";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { launchTor, type TorProcess } from "../src/tor/launch.js";

const run = promisify(execFile);

/** Options every node of the test network shares (chutney's torrc_templates/common.i). */
const COMMON = [
  "TestingTorNetwork 1",
  "AssumeReachable 1",
  "PathsNeededToBuildCircuits 0.67",
  "TestingDirAuthVoteExit *",
  "TestingDirAuthVoteHSDir *",
  "TestingDirAuthVoteGuard *",
  "TestingMinExitFlagThreshold 0",
  // Every relay is Fast: capacity circuits (all a client builds at bootstrap) skip non-Fast relays.
  "TestingMinFastFlagThreshold 0",
  "V3AuthNIntervalsValid 2",
  "ShutdownWaitLength 0",
  "ProtocolWarnings 1",
  "SafeLogging 0",
];

/** Fastest stable voting schedule (chutney's authority.i). */
const AUTHORITY = [
  "AuthoritativeDirectory 1",
  "V3AuthoritativeDirectory 1",
  "ContactInfo auth@test.invalid",
  "TestingV3AuthInitialVotingInterval 10",
  "TestingV3AuthInitialVoteDelay 2",
  "TestingV3AuthInitialDistDelay 2",
  "V3AuthVotingInterval 10",
  "V3AuthVoteDelay 2",
  "V3AuthDistDelay 2",
  "ExitPolicy reject *:*",
  "SocksPort 0",
];

export interface PrivateTorNetwork {
  readonly baseDir: string;
  /** Starts a tor that uses only this network (a client, or a host for onion services). */
  addNode(name: string, torrc?: readonly string[]): Promise<TorProcess>;
  /** Everything started so far, for failure messages. */
  logTails(): Promise<string>;
  stop(): Promise<void>;
}

/** A TCP port free right now on 127.0.0.1 (tor needs fixed ports for the DirAuthority line). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as import("node:net").AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPrivateTorNetwork(o: { relays?: number; bin?: string } = {}): Promise<PrivateTorNetwork> {
  const bin = o.bin ?? "tor";
  const baseDir = await mkdtemp(join(tmpdir(), "airlock-tor-net-"));
  const nodes: { name: string; tor: TorProcess }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.tor.stop()));
    await rm(baseDir, { recursive: true, force: true });
  };
  try {
    const authDir = join(baseDir, "auth");
    const keys = join(authDir, "keys");
    await mkdir(keys, { recursive: true, mode: 0o700 });
    const [orPort, dirPort] = [await freePort(), await freePort()];
    // The v3 authority identity and signing keys; an empty passphrase on stdin keeps it unattended.
    await execWithInput("tor-gencert", [
      "--create-identity-key",
      "-m",
      "12",
      "-a",
      `127.0.0.1:${dirPort}`,
      "-i",
      join(keys, "authority_identity_key"),
      "-s",
      join(keys, "authority_signing_key"),
      "-c",
      join(keys, "authority_certificate"),
      "--passphrase-fd",
      "0",
    ]);
    const certificate = await readFile(join(keys, "authority_certificate"), "utf8");
    const v3ident = /^fingerprint ([0-9A-F]{40})$/m.exec(certificate)?.[1];
    if (v3ident === undefined) throw new Error("tor-gencert wrote no authority fingerprint");
    // The relay identity key (made on first use): its fingerprint goes in the DirAuthority line.
    const listed = await run(bin, ["--list-fingerprint", "--DataDirectory", authDir, "--ORPort", String(orPort), "--ignore-missing-torrc", "-f", "/dev/null", "--defaults-torrc", "/dev/null", "--quiet"]);
    const fingerprint = /([0-9A-F]{4}(?: [0-9A-F]{4}){9})/.exec(listed.stdout)?.[1]?.replace(/ /g, "");
    if (fingerprint === undefined) throw new Error(`tor --list-fingerprint printed no fingerprint: ${listed.stdout}`);
    const dirAuthority = `DirAuthority auth orport=${orPort} no-v2 v3ident=${v3ident} 127.0.0.1:${dirPort} ${fingerprint}`;
    const common = [...COMMON, dirAuthority];

    const start = async (name: string, torrc: readonly string[]): Promise<TorProcess> => {
      const tor = await launchTor({ dataDir: join(baseDir, name), bin, torrc: [...common, `Nickname ${name}`, ...torrc] });
      nodes.push({ name, tor });
      return tor;
    };

    await start("auth", [...AUTHORITY, "Address 127.0.0.1", `ORPort 127.0.0.1:${orPort}`, `DirPort 127.0.0.1:${dirPort}`]);
    const relays = o.relays ?? 4;
    await Promise.all(
      Array.from({ length: relays }, async (_, i) => {
        const port = await freePort();
        return start(`relay${i}`, ["Address 127.0.0.1", `ORPort 127.0.0.1:${port}`, "SocksPort 0", "ExitRelay 0", "ExitPolicy reject *:*"]);
      }),
    );

    // Clients started before the first consensus get 404s and back off exponentially, which
    // made bootstrap times swing from 10 s to 90 s; waiting for a consensus listing every relay
    // first lets each later node bootstrap from its first fetch.
    await waitForConsensus(dirPort, relays + 1, 90_000, () => Promise.all(nodes.map((n) => n.tor.logTail(5))).then((t) => t.join("\n")));

    return {
      baseDir,
      addNode: (name, torrc = []) => start(name, torrc),
      logTails: async () => (await Promise.all(nodes.map(async (n) => `--- ${n.name} (pid ${n.tor.pid})\n${await n.tor.logTail(8)}`))).join("\n"),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function execWithInput(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${cmd} failed: ${stderr || error.message}`));
      else resolve();
    });
    child.stdin?.end("\n");
  });
}

/** Polls the authority's DirPort until its microdescriptor consensus lists `routers` relays. */
async function waitForConsensus(dirPort: number, routers: number, timeoutMs: number, logs: () => Promise<string>): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < until) {
    const text = await new Promise<string>((resolve) => {
      const req = get({ host: "127.0.0.1", port: dirPort, path: "/tor/status-vote/current/consensus-microdesc", timeout: 5_000 }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return resolve("");
        }
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve(body));
        res.on("error", () => resolve(""));
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(""));
    });
    seen = text.split("\n").filter((l) => l.startsWith("r ")).length;
    if (seen >= routers) return;
    await sleep(500);
  }
  throw new Error(`the test authority's consensus lists ${seen} of ${routers} relays after ${timeoutMs} ms\n${await logs()}`);
}
