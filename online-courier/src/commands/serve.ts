/**
 * `airlock-courier serve`: the blind HTTP mailbox (src/mailbox/http-server.ts) for the teams of
 * this home, optionally published as a Tor onion service with the teams' client authorization.
 * It reads only the home's mailbox-server.json (`serve-init`): mailbox server keys, never a
 * transport key, so neither this process nor its home can tell real bundles from cover.
 *
 * stdout carries only data, so scripts can start it with `--listen 127.0.0.1:0` and read the
 * bound address: the URL on the first line (then `onion:ADDR` with --onion), or with --json one
 * object {ok, url, onion?}. Operator messages and the server's log go to stderr. SIGINT/SIGTERM
 * close the listener and its connections, remove the onion service, and exit 0.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Flags } from "@oclif/core";
import { plural } from "@airlock/shared";
import { courierError } from "../errors.js";
import { writeFileAtomic } from "../home/atomic-write.js";
import { loadServedMailboxes, serverKeysOf } from "../home/mailbox-server.js";
import { requireHome } from "../home/paths.js";
import { DEFAULT_SERVER_LIMITS, startMailboxServer, type MailboxServer } from "../mailbox/http-server.js";
import { parseHostPort } from "../mailbox/open.js";
import { publishOnion, type PublishedOnion } from "../tor/onion.js";
import { CourierCommand } from "./base.js";

/** The onion service's key (secret, 0600): reused on the next start so the address the team uses stays valid. */
export const ONION_KEY_FILE = "onion-service.key";

/**
 * The per-address request limit of `serve --onion` when --max-requests-per-address is not given:
 * every onion client arrives from tor's own address, so the limit is shared by every courier of
 * every team. It is what the 64 / 8 connection defaults give eight addresses (4 800 a minute), as
 * --max-connections-per-address goes from 8 to the total. Only tors holding a served team's client
 * authorization key can reach the service at all; what they can store is bounded by the token
 * check and the per-namespace and per-team quotas, which do not depend on the address.
 */
export const ONION_REQUESTS_PER_MINUTE = DEFAULT_SERVER_LIMITS.maxRequestsPerMinute * (DEFAULT_SERVER_LIMITS.maxConnections / DEFAULT_SERVER_LIMITS.maxConnectionsPerAddress);

export default class Serve extends CourierCommand {
  static override summary = "Run the blind HTTP mailbox for the teams whose mailbox server keys this home holds (optionally as a Tor onion service).";
  static override description =
    "Stores opaque bundles under each team's rotating namespace in the home (mailbox-store/), accepting only requests that carry the namespace's token of a team this home serves. The home holds mailbox server keys only (set up with `airlock-courier serve-init KEYFILE`, the file made by `airlock-courier mailbox-key` on a courier of the team); it never holds a transport key. Each namespace holds at most --quota-bytes bytes and --quota-bundles bundles (MAILBOX_QUOTA beyond); each client address may hold --max-connections-per-address connections and make --max-requests-per-address requests a minute (MAILBOX_RATE_LIMITED beyond), both higher by default with --onion, where every client arrives from tor's address. Prints the bound URL on stdout (--json: {url}); --listen 127.0.0.1:0 picks a free port. Runs until SIGINT/SIGTERM, then exits 0. Other couriers use it as --mailbox http://HOST:PORT, as https://HOST:PORT behind a TLS front (docs/http-mailbox.md, \"Behind TLS\"), or as onion:ADDR.";
  static override examples = ["<%= config.bin %> serve-init mailbox-server.key && <%= config.bin %> serve --listen 127.0.0.1:8800", "<%= config.bin %> serve --listen 127.0.0.1:8800 --onion --tor-control 127.0.0.1:9051"];
  static override flags = {
    listen: Flags.string({ description: "HOST:PORT to listen on (port 0: any free port)", default: "127.0.0.1:8800" }),
    onion: Flags.boolean({ description: "also publish it as a Tor onion service (needs a running tor with a control port)", default: false }),
    "tor-control": Flags.string({ description: "tor control port HOST:PORT", default: "127.0.0.1:9051" }),
    "tor-cookie": Flags.string({ description: "tor control auth cookie file" }),
    "quota-bytes": Flags.integer({ description: `bytes one namespace (a team's mailbox of one epoch) may hold (default ${DEFAULT_SERVER_LIMITS.maxNamespaceBytes})`, min: 1 }),
    "max-connections-per-address": Flags.integer({
      description: `open connections one client address may hold (default ${DEFAULT_SERVER_LIMITS.maxConnectionsPerAddress}; with --onion all clients share tor's address, so the default is then ${DEFAULT_SERVER_LIMITS.maxConnections}, the total)`,
      min: 1,
    }),
    "max-requests-per-address": Flags.integer({
      description: `requests one client address may make per minute, authenticated or not (default ${DEFAULT_SERVER_LIMITS.maxRequestsPerMinute}; with --onion all clients share tor's address, so the default is then ${ONION_REQUESTS_PER_MINUTE}, and the per-team quotas and token checks bound what they store)`,
      min: 1,
    }),
    "quota-bundles": Flags.integer({ description: `bundles one namespace may hold (default ${DEFAULT_SERVER_LIMITS.maxNamespaceBundles})`, min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const listen = hostPort(flags.listen, "--listen", true);
    const control = flags.onion ? hostPort(flags["tor-control"], "--tor-control", false) : undefined;
    const home = this.homeFrom(flags.home);
    requireHome(home);
    const served = loadServedMailboxes(home);
    if (served.length === 0) throw courierError("COURIER_NO_SERVER_KEYS", `the mailbox server in ${home.root} serves no team yet`);
    // Listening before the handlers exist would let an early SIGTERM kill us mid-start with
    // node's default action (exit 143) instead of closing cleanly.
    let stopRequested!: () => void;
    const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
    process.once("SIGINT", stopRequested).once("SIGTERM", stopRequested);
    const teams = serverKeysOf(served);
    let server: MailboxServer | undefined;
    let onion: PublishedOnion | undefined;
    try {
      const storageDir = join(home.root, "mailbox-store");
      mkdirSync(storageDir, { recursive: true, mode: 0o700 });
      const log = (line: string): void => this.operatorLog(line);
      // Only this home's teams: a namespace or token of any other team gets the same 401 as a stranger's.
      const limits = {
        ...(flags["quota-bytes"] === undefined ? {} : { maxNamespaceBytes: flags["quota-bytes"] }),
        ...(flags["quota-bundles"] === undefined ? {} : { maxNamespaceBundles: flags["quota-bundles"] }),
        maxConnectionsPerAddress: flags["max-connections-per-address"] ?? (flags.onion ? DEFAULT_SERVER_LIMITS.maxConnections : DEFAULT_SERVER_LIMITS.maxConnectionsPerAddress),
        maxRequestsPerMinute: flags["max-requests-per-address"] ?? (flags.onion ? ONION_REQUESTS_PER_MINUTE : DEFAULT_SERVER_LIMITS.maxRequestsPerMinute),
      };
      server = await startMailboxServer({ listen, storageDir, teams: () => teams, log, limits });
      if (control !== undefined) {
        const keyFile = join(home.root, ONION_KEY_FILE);
        const privateKey = readOnionKey(keyFile);
        onion = await publishOnion({
          control,
          ...(flags["tor-cookie"] === undefined ? {} : { cookieFile: flags["tor-cookie"] }),
          targetPort: server.port,
          clientAuthPublicKeys: served.map((t) => t.onionClientAuth),
          ...(privateKey === undefined ? {} : { privateKey }),
        });
        if (onion.privateKey !== undefined) writeFileAtomic(keyFile, `${onion.privateKey}\n`);
      }
      const onionUrl = onion === undefined ? undefined : `onion:${onion.address}`;
      this.emit(flags.json, { url: server.url, ...(onionUrl === undefined ? {} : { onion: onionUrl }) }, `${server.url}\n${onionUrl === undefined ? "" : `${onionUrl}\n`}`);
      log(`airlock mailbox: serving ${plural(teams.length, "team")} on ${server.url}${onionUrl === undefined ? "" : ` and ${onionUrl}`}; stop with Ctrl-C or SIGTERM`);
      await stopped;
      log("airlock mailbox: stopping");
    } finally {
      process.off("SIGINT", stopRequested).off("SIGTERM", stopRequested);
      // The onion goes first: clients then get a SOCKS refusal, not a dead port behind a live address.
      await onion?.remove().catch(() => undefined);
      await server?.close();
      for (const key of teams) key.wipe();
    }
  }
}

function readOnionKey(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") return undefined;
    throw courierError("COURIER_BAD_CONFIG", `cannot read the onion service key ${path}: ${(e as Error).message}`, e);
  }
  if (!/^ED25519-V3:[A-Za-z0-9+/]{86}==$/.test(text)) throw courierError("COURIER_BAD_CONFIG", `${path} is not an onion service key (ED25519-V3:…); remove it to get a new address`);
  return text;
}

function hostPort(text: string, flag: string, anyPort: boolean): { host: string; port: number } {
  const parsed = parseHostPort(text);
  if (parsed === undefined || (parsed.port === 0 && !anyPort)) throw courierError("COURIER_BAD_ARGUMENT", `${flag} wants HOST:PORT, got ${JSON.stringify(text.slice(0, 80))}`);
  return parsed;
}
