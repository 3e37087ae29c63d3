/**
 * The blind HTTP mailbox server (`airlock-courier serve`): stores opaque sealed bundles for the
 * teams whose mailbox server keys it holds, in one `dir:` folder per namespace (mailbox id). It
 * never parses a bundle, never logs one, and learns only what every courier learns: "a bundle
 * of size S for mailbox M at time T". It holds no transport key: a MailboxServerKey checks
 * tokens and cannot tell a team's real bundles from its cover (docs/transport-key.md, "Key
 * hierarchy"). Spec: docs/http-mailbox.md.
 *
 * Every request is bounded before it costs anything: per-address request rate (fixed window
 * on the injected clock), concurrent connections per client address (so one client holding
 * sockets open with partial headers cannot take every slot: slowloris) and in all (a full server
 * makes room by closing a connection idle past IDLE_GRACE_MS or one still in its first headers past
 * the headers grace, never one inside a request or younger: docs/http-mailbox.md, "Making room";
 * R10), header and request
 * timeouts against slow clients, body size (Content-Length checked before reading; a
 * PUT without one is refused), per-namespace quotas of bytes and bundles, and per-team bounds:
 * new namespaces per team and epoch, bytes and bundles across a team's namespaces (MAILBOX_QUOTA,
 * checked against the declared length before the body is read). The namespace is chosen by the
 * token holder (the server cannot compute mailbox ids), so only the per-team bounds limit what a
 * key holder can store; a listing of a namespace nobody wrote keeps no state. An upload is
 * never held in memory: it streams into a temp file in the namespace's folder (a name list()
 * ignores) while it is hashed, each chunk freed as soon as it is on disk (releaseChunk), and
 * only a body whose SHA-256 matches its name is fsynced, renamed to it, and its folder fsynced
 * (publish; concurrent puts share the folder fsync) before the 204. A download is not held
 * whole either: a large bundle is hashed through one chunk, then streamed from the same
 * descriptor with backpressure, within requestMs (openStored, sendStored).
 * Authentication checks the bearer token against every served team's tokens for the path's
 * namespace over the token window around now, always all of them, so an unknown namespace and
 * a wrong token get the same 401 after the same work and a prober cannot tell which mailboxes
 * exist. A namespace belongs to the team whose token first wrote it (recorded in EPOCH_FILE):
 * another served team's valid token for it gets the same 401. The epoch whose token matched is
 * the namespace's epoch: it is written into the
 * namespace's folder with its first bundle (EPOCH_FILE), which is how prune() knows its age
 * without being able to compute mailbox ids.
 *
 * Invariants: a namespace's DirMailbox is created at its first PUT (or at start, for a folder
 * found) and kept (its cursors live in memory) until the namespace expires and prune() removes
 * it; a namespace's usage counts exactly the bundles stored through this server plus those found
 * at start; a team's usage is the sum over its namespaces; every stored bundle
 * was checked for name, size and digest before it got its name; no error message sent to a
 * client contains a path.
 */
import { closeSync, constants, createReadStream, type Stats, fstatSync, fsync as fsyncCallback, lstat as lstatCallback, open as openCallback, read as readCallback, rename as renameCallback, write as writeCallback } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm, rmdir, unlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createHash, randomBytes } from "node:crypto";
import { MessageChannel } from "node:worker_threads";
import { DEFAULT_TAG_WINDOW, epochAt, errnoCode, isAirlockError, MAILBOX_PRUNE_AGE, type MailboxServerKey } from "@airlock/shared";
import { checkMaxBytes, isMailboxName, mailboxError, MAILBOX_SUFFIX, type MailboxName } from "./backend.js";
import { DirMailbox, TEMP_PREFIX } from "./dir.js";
import { API_PREFIX, httpMailboxError, MAX_CURSOR_LENGTH, NAMESPACE_PATTERN, TOKEN_PURPOSE_PREFIX } from "./http-protocol.js";
import { chooseVictim, type Slot } from "./make-room.js";
import { VerifiedTokens, type TokenMatch } from "./verified-tokens.js";

export interface MailboxServerOptions {
  listen: { host: string; port: number };
  storageDir: string;
  /** The mailbox server keys of the served teams (never their transport keys). */
  teams: () => readonly MailboxServerKey[];
  now?: () => number;
  limits?: {
    maxBundleBytes?: number;
    maxRequestsPerMinute?: number;
    /**
     * Open connections in all (default 64). When all are taken, a new connection closes one
     * idle for IDLE_GRACE_MS, else the oldest one still waiting for its first request's headers
     * for the headers grace, else it is closed itself (docs/http-mailbox.md, "Making room").
     */
    maxConnections?: number;
    /**
     * Open connections one client address may hold (default 8): past it, room is made among the
     * address's own connections the same way, else (unless it equals maxConnections) the address's
     * own longest idle connection is closed however young, else the new one is closed. Behind
     * a tor onion service every client comes from tor's address, so `serve --onion` sets it to
     * maxConnections.
     */
    maxConnectionsPerAddress?: number;
    /** Bytes of bundles one namespace may hold (MAILBOX_QUOTA beyond; default 1 GiB). */
    maxNamespaceBytes?: number;
    /** Bundles one namespace may hold (MAILBOX_QUOTA beyond; default 20 000). */
    maxNamespaceBundles?: number;
    /**
     * New namespaces one team may write per epoch (MAILBOX_QUOTA beyond; default 4). An honest
     * team writes one (its mailbox id of the epoch); the server cannot check which one that is,
     * so this bounds how many a key holder can mint.
     */
    maxNamespacesPerTeamEpoch?: number;
    /** Bytes of bundles one team may hold across all its namespaces (MAILBOX_QUOTA beyond; default 8 x maxNamespaceBytes). */
    maxTeamBytes?: number;
    /** Bundles one team may hold across all its namespaces (MAILBOX_QUOTA beyond; default 8 x maxNamespaceBundles). */
    maxTeamBundles?: number;
  };
  /** Slow-client bounds (ms). Defaults: headers 10 s, whole request 300 s (64 MiB over tor), idle socket 60 s. */
  timeouts?: { headersMs?: number; requestMs?: number; idleMs?: number };
  /** Epochs accepted around now (default DEFAULT_TAG_WINDOW: an offline courier may lag days). */
  window?: { past: number; future: number };
  /** Operational log lines (never bundle bytes, tokens or paths of bundles). */
  log?: (line: string) => void;
  /** How often expired namespaces are removed (ms, default one hour; also once at start). */
  pruneEveryMs?: number;
}

export interface MailboxServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Request counters, and `namespaces`: how many namespaces the server keeps state for (written ones and folders found at start). */
  stats(): { requests: number; rejected: number; bytesIn: number; bytesOut: number; namespaces: number };
  /**
   * Removes the folders of namespaces MAILBOX_PRUNE_AGE or more epochs old; returns how many. No
   * courier lists them any more and their tokens are refused. A folder's epoch is the one in its
   * EPOCH_FILE; a folder without one (written by an older server) counts as expired once it has
   * not changed for MAILBOX_PRUNE_AGE + window.future + 1 epochs of the longest epoch served.
   * Runs on a timer; exposed for tests and operators.
   */
  prune(): Promise<number>;
}

export const DEFAULT_SERVER_LIMITS = {
  maxRequestsPerMinute: 600,
  maxConnections: 64,
  maxConnectionsPerAddress: 8,
  maxNamespaceBytes: 1024 * 1024 * 1024,
  maxNamespaceBundles: 20_000,
  maxNamespacesPerTeamEpoch: 4,
} as const;
/** The default per-team totals are this many namespaces' quotas. */
export const TEAM_QUOTA_NAMESPACES = 8;
/**
 * In a namespace's folder: {"epoch":E,"epochSeconds":S,"team":T}, the epoch its first bundle's
 * token was for and the id of the team whose token wrote it (teamIdOf; older servers wrote no team).
 */
export const EPOCH_FILE = ".airlock-epoch";
const MAX_EPOCH_FILE = 256;
// O_NONBLOCK: a FIFO under a bundle's name must not hang a fetch (as in DirMailbox).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const FOLDER_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);
/**
 * The per-request file operations (uploads, fetches, publishing) use node's callback calls on
 * plain descriptors, promisified: about a third less CPU per operation than fs/promises'
 * FileHandle calls, which on a busy server is requests per second. Every descriptor is closed
 * in a finally.
 */
const fdOpen = promisify(openCallback);
const fdRead = promisify(readCallback);
const fdWrite = promisify(writeCallback);
const fdSync = promisify(fsyncCallback);
/**
 * close() of a descriptor that was only read, or was already fsynced, and fstat() of an open one
 * never wait for the disk (the inode is in memory): done in place, they cost a system call
 * instead of a thread-pool round trip, which under load was the largest share of a request's
 * CPU (profile in docs/http-mailbox.md, "Benchmark").
 */
function fdClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // EBADF/EIO on close of a read or already-fsynced descriptor: nothing left to lose.
  }
}
const pathStat = promisify(lstatCallback);
const pathRename = promisify(renameCallback);
/** Tokens remembered after they opened a namespace (verified-tokens.ts). */
const VERIFIED_CACHE = 4096;
/** Bundles up to this size are read whole and sent in one write; larger ones are streamed. */
const SMALL_BUNDLE = 256 * 1024;
/** The read size for hashing and streaming a larger stored bundle. */
const STREAM_CHUNK = 64 * 1024;
const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 300_000, idleMs: 60_000 } as const;
const RATE_WINDOW_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Past this many tracked addresses, entries of older windows are swept (bounds memory under a flood of sources). */
const RATE_TABLE_SWEEP = 10_000;

/** The served team and epoch a request's token opened its namespace as. */
type Resolved = TokenMatch;

/**
 * A namespace this server holds: one written through it, or a folder found at start. Its folder,
 * the team whose token first wrote it and the epoch that token was for (both unknown only for a
 * folder an older server left, until a served team's token opens it), and its usage.
 */
interface Namespace {
  readonly id: string;
  readonly box: DirMailbox;
  readonly dir: string;
  team: string | undefined;
  epoch: number | undefined;
  epochSeconds: number | undefined;
  marked: boolean;
  readonly usage: Usage;
  /** The folder fsync running, and the one queued to start after it (syncFolder). */
  readonly folderSync: { running?: Promise<void>; next?: Promise<void> };
}

interface Usage {
  readonly sizes: Map<string, number>;
  bytes: number;
}

type Connection = Slot & { readonly socket: import("node:net").Socket };

/**
 * How long a kept-alive connection must have been idle (no answer leaving, no byte arriving)
 * before a full server may close it for a new one: a client sends its next request the moment it
 * has read an answer, and over tor that request takes up to a round trip to arrive.
 */
export const IDLE_GRACE_MS = 2_000;
/**
 * How long a new connection may wait for its first request's headers before a full server may
 * close it for a newer one (capped at half the header timeout, so a holder is closable for half
 * its life): over tor an honest client's headers come a round trip after the connection.
 */
export const HEADERS_GRACE_MS = 10_000;

class HttpFailure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const UNAUTHORIZED = new HttpFailure(401, "MAILBOX_AUTH", "not authorized for this mailbox");
/** What a team's id is derived from (a purpose no token is ever made for: those are "http:" + namespace). */
const TEAM_ID_PURPOSE = "airlock/v1/mailbox-server/team-id";
const TEAM_ID_PATTERN = /^[0-9a-f]{32}$/;

export async function startMailboxServer(o: MailboxServerOptions): Promise<MailboxServer> {
  const now = o.now ?? Date.now;
  const maxBundleBytes = checkMaxBytes(o.limits?.maxBundleBytes);
  const maxPerMinute = positive(o.limits?.maxRequestsPerMinute ?? DEFAULT_SERVER_LIMITS.maxRequestsPerMinute, "maxRequestsPerMinute");
  const maxConnections = positive(o.limits?.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections, "maxConnections");
  const maxPerAddress = positive(o.limits?.maxConnectionsPerAddress ?? DEFAULT_SERVER_LIMITS.maxConnectionsPerAddress, "maxConnectionsPerAddress");
  const headersMs = positive(o.timeouts?.headersMs ?? DEFAULT_TIMEOUTS.headersMs, "headersMs");
  const requestMs = Math.max(headersMs, positive(o.timeouts?.requestMs ?? DEFAULT_TIMEOUTS.requestMs, "requestMs"));
  const idleMs = positive(o.timeouts?.idleMs ?? DEFAULT_TIMEOUTS.idleMs, "idleMs");
  const window = o.window ?? DEFAULT_TAG_WINDOW;
  const log = o.log ?? (() => undefined);

  const maxNamespaceBytes = positive(o.limits?.maxNamespaceBytes ?? DEFAULT_SERVER_LIMITS.maxNamespaceBytes, "maxNamespaceBytes");
  const maxNamespaceBundles = positive(o.limits?.maxNamespaceBundles ?? DEFAULT_SERVER_LIMITS.maxNamespaceBundles, "maxNamespaceBundles");
  const maxPerTeamEpoch = positive(o.limits?.maxNamespacesPerTeamEpoch ?? DEFAULT_SERVER_LIMITS.maxNamespacesPerTeamEpoch, "maxNamespacesPerTeamEpoch");
  const maxTeamBytes = positive(o.limits?.maxTeamBytes ?? TEAM_QUOTA_NAMESPACES * maxNamespaceBytes, "maxTeamBytes");
  const maxTeamBundles = positive(o.limits?.maxTeamBundles ?? TEAM_QUOTA_NAMESPACES * maxNamespaceBundles, "maxTeamBundles");

  const counters = { requests: 0, rejected: 0, bytesIn: 0, bytesOut: 0 };
  /** Written namespaces and folders found at start; never one only listed (bounded by the per-team quotas). */
  const namespaces = new Map<string, Namespace>();
  /** Each team's namespaces, by team id. */
  const byTeam = new Map<string, Set<Namespace>>();
  const teamIds = new WeakMap<MailboxServerKey, string>();
  const rates = new Map<string, { window: number; count: number }>();
  const verified = new VerifiedTokens(VERIFIED_CACHE, window);

  /**
   * Which served team and epoch `token` opens `namespace` for. Every team's every epoch in the
   * window is tried, whatever the input, so the refusal costs what an acceptance costs.
   */
  function authenticate(namespace: string, header: string | undefined): Resolved {
    const presented = /^Bearer ([0-9a-f]{64})$/.exec(header ?? "")?.[1];
    const t = now();
    // Only a token that opened this namespace before is found here: a prober never has one,
    // so every refusal still does the whole work below.
    const known = presented === undefined ? undefined : verified.find(namespace, presented, o.teams(), t);
    if (known !== undefined) return known;
    // A missing token is checked as an empty one, which no MAC equals, at the same cost.
    const given = presented === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(presented, "hex"));
    const purpose = `${TOKEN_PURPOSE_PREFIX}${namespace}`;
    let match: Resolved | undefined;
    for (const team of o.teams()) {
      const epoch = team.verifyToken(purpose, given, team.epochAt(t), window);
      if (epoch !== undefined) match ??= { team, epoch };
    }
    if (match === undefined || !NAMESPACE_PATTERN.test(namespace)) throw UNAUTHORIZED;
    verified.remember(namespace, presented!, match);
    return match;
  }

  function checkRate(address: string): void {
    const current = Math.floor(now() / RATE_WINDOW_MS);
    if (rates.size > RATE_TABLE_SWEEP) for (const [k, v] of rates) if (v.window !== current) rates.delete(k);
    let entry = rates.get(address);
    if (entry === undefined || entry.window !== current) {
      entry = { window: current, count: 0 };
      rates.set(address, entry);
    }
    if (++entry.count > maxPerMinute) {
      const retry = Math.max(1, Math.ceil(((current + 1) * RATE_WINDOW_MS - now()) / 1000));
      throw new HttpFailure(429, "MAILBOX_RATE_LIMITED", "too many requests from this address", { "Retry-After": String(retry) });
    }
  }

  /** A served team's id: a MAC of a fixed label under its server key (names the team, reveals nothing of the key). */
  function teamIdOf(key: MailboxServerKey): string {
    let id = teamIds.get(key);
    if (id === undefined) {
      id = key.token(TEAM_ID_PURPOSE, 0).slice(0, 32);
      teamIds.set(key, id);
    }
    return id;
  }

  function addNamespace(id: string, usage: Usage): Namespace {
    const dir = join(o.storageDir, id);
    const ns: Namespace = {
      id,
      box: new DirMailbox(dir, { maxBundleBytes, maxEntries: maxNamespaceBundles + 1000 }),
      dir,
      team: undefined,
      epoch: undefined,
      epochSeconds: undefined,
      marked: false,
      usage,
      folderSync: {},
    };
    namespaces.set(id, ns);
    return ns;
  }

  function attach(ns: Namespace, team: string): void {
    ns.team = team;
    let set = byTeam.get(team);
    if (set === undefined) byTeam.set(team, (set = new Set()));
    set.add(ns);
  }

  function forget(ns: Namespace): void {
    if (namespaces.get(ns.id) === ns) namespaces.delete(ns.id);
    if (ns.team === undefined) return;
    const set = byTeam.get(ns.team);
    set?.delete(ns);
    if (set?.size === 0) byTeam.delete(ns.team);
  }

  /**
   * Reads every namespace folder once at start: its epoch file (epoch, team) and its bundles'
   * sizes, so the per-namespace and per-team quotas count what is already stored.
   */
  async function load(): Promise<void> {
    await mkdir(o.storageDir, { recursive: true, mode: 0o700 });
    for (const id of await readdir(o.storageDir)) {
      if (!NAMESPACE_PATTERN.test(id)) continue;
      const dir = join(o.storageDir, id);
      const stats = await lstat(dir).catch(() => undefined);
      if (stats?.isDirectory() !== true) continue;
      const mark = await readEpochFile(dir);
      let usage: Usage;
      try {
        usage = await readUsage(dir);
      } catch (e) {
        // One folder the server cannot list (wrong owner after a restore, a disk error) must not
        // keep every team from being served: it is left out, as a folder nobody wrote, and said.
        log(`airlock mailbox: left out a namespace folder it cannot read: ${describe(e)}`);
        continue;
      }
      const ns = addNamespace(id, usage);
      ns.epoch = mark?.epoch;
      ns.epochSeconds = mark?.epochSeconds;
      if (mark?.team !== undefined) {
        attach(ns, mark.team);
        ns.marked = true;
      }
    }
  }

  /**
   * The namespace a PUT writes into. A namespace new to the server counts against its team's
   * namespaces of the token's epoch from here on (even if this first upload is refused), and is
   * refused past maxNamespacesPerTeamEpoch. A folder an older server left is taken by the first
   * team that writes into it.
   */
  function namespaceForWrite(id: string, resolved: Resolved): Namespace {
    const team = teamIdOf(resolved.team);
    let ns = namespaces.get(id);
    if (ns === undefined) {
      let opened = 0;
      for (const other of byTeam.get(team) ?? []) if (other.epoch === resolved.epoch) opened++;
      if (opened >= maxPerTeamEpoch) {
        throw httpMailboxError("MAILBOX_QUOTA", `this team already writes ${opened} mailbox namespaces in epoch ${resolved.epoch}, its limit`);
      }
      ns = addNamespace(id, { sizes: new Map(), bytes: 0 });
    }
    claim(ns, resolved);
    return ns;
  }

  /** A folder an older server left (no team in its epoch file) goes to the first served team whose token opens it. */
  function claim(ns: Namespace, resolved: Resolved): void {
    if (ns.team !== undefined) return;
    ns.epoch ??= resolved.epoch;
    ns.epochSeconds ??= resolved.team.epochSeconds;
    ns.marked = false;
    attach(ns, teamIdOf(resolved.team));
  }

  /** A folder's stored bundles and their sizes. */
  async function readUsage(dir: string): Promise<Usage> {
    const sizes = new Map<string, number>();
    let bytes = 0;
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
    }
    for (const name of names) {
      if (!isMailboxName(name)) continue;
      const stats = await lstat(join(dir, name)).catch(() => undefined);
      if (stats?.isFile() !== true) continue;
      sizes.set(name, stats.size);
      bytes += stats.size;
    }
    return { sizes, bytes };
  }

  /**
   * Throws MAILBOX_QUOTA if storing `length` bytes under `name` would take the namespace, or its
   * team across all its namespaces, past a quota.
   */
  function checkQuota(ns: Namespace, name: string, length: number): void {
    const usage = ns.usage;
    const old = usage.sizes.get(name);
    const bundles = usage.sizes.size + (old === undefined ? 1 : 0);
    const bytes = usage.bytes - (old ?? 0) + length;
    if (bundles > maxNamespaceBundles) {
      throw httpMailboxError("MAILBOX_QUOTA", `this mailbox namespace already holds ${usage.sizes.size} bundles, its limit`);
    }
    if (bytes > maxNamespaceBytes) {
      throw httpMailboxError("MAILBOX_QUOTA", `this bundle of ${length} bytes would take the namespace past its ${maxNamespaceBytes}-byte limit (${usage.bytes} bytes stored)`);
    }
    if (ns.team === undefined) return;
    let teamBytes = 0;
    let teamBundles = 0;
    for (const other of byTeam.get(ns.team) ?? []) {
      teamBytes += other.usage.bytes;
      teamBundles += other.usage.sizes.size;
    }
    if (teamBundles + (old === undefined ? 1 : 0) > maxTeamBundles) {
      throw httpMailboxError("MAILBOX_QUOTA", `this team's mailbox namespaces already hold ${teamBundles} bundles, its limit`);
    }
    if (teamBytes - (old ?? 0) + length > maxTeamBytes) {
      throw httpMailboxError("MAILBOX_QUOTA", `this bundle of ${length} bytes would take the team past its ${maxTeamBytes}-byte limit across its namespaces (${teamBytes} bytes stored)`);
    }
  }

  /** Writes EPOCH_FILE into the namespace's folder once it holds a bundle. */
  async function markEpoch(ns: Namespace): Promise<void> {
    if (ns.marked) return;
    const mark = await readEpochFile(ns.dir);
    if (mark === undefined || mark.team !== ns.team) {
      const temp = join(ns.dir, `${TEMP_PREFIX}${randomBytes(12).toString("hex")}.tmp`);
      await writeFile(temp, JSON.stringify({ epoch: mark?.epoch ?? ns.epoch, epochSeconds: mark?.epochSeconds ?? ns.epochSeconds, team: ns.team }), { mode: 0o600, flag: "wx" });
      await rename(temp, join(ns.dir, EPOCH_FILE));
    }
    ns.marked = true;
  }

  /**
   * Gives the checked, fsynced temp file `tempPath` its name in the namespace's folder (the one
   * it was written in; `existing`: what the name held once the body was checked): rename, then
   * an fsync of the folder, so the name survives a power loss before the client hears 204. Returns false, leaving the temp file to the caller, if a file of
   * that name and size is already stored (same name, same bytes). What DirMailbox.adopt does,
   * less the checks that guard a folder shared with Syncthing peers (this folder is the server's
   * own, 0700) and with the folder fsync shared by concurrent puts.
   */
  async function publish(ns: Namespace, name: MailboxName, tempPath: string, size: number, existing: Stats | undefined): Promise<boolean> {
    const path = join(ns.dir, name);
    if (existing !== undefined) {
      if (!existing.isFile()) throw mailboxError("MAILBOX_NOT_A_FILE", `${name} is stored as something other than a plain file`);
      if (existing.size === size) return false;
    }
    await pathRename(tempPath, path);
    await syncFolder(ns);
    return true;
  }

  /**
   * fsync of the namespace's folder, shared: a caller whose rename is done joins the next sync
   * to start (never one already running, which may have missed its rename), so N concurrent puts
   * cost one or two folder fsyncs instead of N, and each still returns only after a folder fsync
   * that began after its rename.
   */
  function syncFolder(ns: Namespace): Promise<void> {
    const state = ns.folderSync;
    const start = (): Promise<void> => {
      const run = syncFolderNow(ns.dir).finally(() => {
        if (state.running === run) state.running = undefined;
      });
      state.running = run;
      return run;
    };
    if (state.running === undefined) return start();
    state.next ??= state.running
      .catch(() => undefined)
      .then(() => {
        state.next = undefined;
        return start();
      });
    return state.next;
  }

  /**
   * A stored bundle, opened and checked against its name before a byte is sent (a bundle damaged
   * on disk is refused, not served), or undefined if there is none: DirMailbox.get less its check
   * that the folder is not a link planted by a Syncthing peer (this folder is the server's own),
   * and with no server path in its errors. A bundle of at most SMALL_BUNDLE bytes comes back read
   * (one read); a larger one is hashed through one STREAM_CHUNK buffer and comes back as its open
   * descriptor, to be streamed (sendStored): memory per fetch stays at a chunk or two whatever
   * the size, and a reader that stalls pins no bundle. Stored files are never changed in place
   * (a put renames a new file over the name), so what is streamed is what was hashed.
   */
  async function openStored(dir: string, name: MailboxName): Promise<{ bytes: Uint8Array } | { fd: number; size: number } | undefined> {
    let fd: number;
    try {
      fd = await fdOpen(join(dir, name), READ_FLAGS);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return undefined;
      if (errnoCode(e) === "ELOOP") throw mailboxError("MAILBOX_NOT_A_FILE", `${name} is stored as a symbolic link`);
      throw e;
    }
    let handedOver = false;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw mailboxError("MAILBOX_NOT_A_FILE", `${name} is stored as something other than a plain file`);
      if (stats.size > maxBundleBytes) throw mailboxError("MAILBOX_TOO_LARGE", `${name} is stored with ${stats.size} bytes, over this mailbox's ${maxBundleBytes}`);
      const small = stats.size <= SMALL_BUNDLE;
      const buffer = small ? new Uint8Array(stats.size) : Buffer.allocUnsafe(STREAM_CHUNK);
      const hash = createHash("sha256");
      let read = 0;
      while (read < stats.size) {
        const at = small ? read : 0;
        const { bytesRead } = await fdRead(fd, buffer, at, Math.min(buffer.length - at, stats.size - read), read);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(at, at + bytesRead));
        read += bytesRead;
      }
      if (read !== stats.size || `${hash.digest("hex")}${MAILBOX_SUFFIX}` !== name) {
        throw mailboxError("MAILBOX_DIGEST_MISMATCH", `${name} is stored damaged: its bytes do not hash to its name`);
      }
      if (small) return { bytes: buffer };
      handedOver = true;
      return { fd, size: stats.size };
    } finally {
      if (!handedOver) fdClose(fd);
    }
  }

  /**
   * Streams a checked bundle's descriptor (closed here) into the response with backpressure, at
   * most STREAM_CHUNK at a time, and within requestMs in all: a reader that trickles (resetting
   * the idle timer) is cut off at that deadline. A reader that goes away ends it quietly.
   */
  async function sendStored(res: ServerResponse, fd: number, size: number): Promise<void> {
    const stream = createReadStream("", { fd, start: 0, end: size - 1, highWaterMark: STREAM_CHUNK, autoClose: true });
    const deadline = setTimeout(() => {
      counters.rejected++;
      res.destroy();
    }, requestMs);
    try {
      await pipeline(stream, res);
    } catch (e) {
      res.destroy();
      const code = errnoCode(e);
      if (code !== "ERR_STREAM_PREMATURE_CLOSE" && code !== "ECONNRESET" && code !== "EPIPE") log(`airlock mailbox: GET failed while sending: ${describe(e)}`);
    } finally {
      clearTimeout(deadline);
      stream.destroy();
    }
  }

  async function prune(): Promise<number> {
    const t = now();
    const teams = o.teams();
    const longest = Math.max(...teams.map((k) => k.epochSeconds));
    const expired = (epoch: number, epochSeconds: number): boolean => epoch <= epochAt(t, epochSeconds) - MAILBOX_PRUNE_AGE;
    let entries: string[];
    try {
      entries = await readdir(o.storageDir);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return 0;
      throw e;
    }
    // Namespaces whose first upload was refused have an entry but no folder: dropped by their
    // epoch. One with a folder is dropped only with its folder (below), so the usage it counts
    // never goes while the bundles it counts stay on disk.
    const folders = new Set(entries);
    for (const ns of [...namespaces.values()]) {
      if (folders.has(ns.id)) continue;
      if (ns.epoch !== undefined && ns.epochSeconds !== undefined && expired(ns.epoch, ns.epochSeconds)) forget(ns);
    }
    let removed = 0;
    for (const name of entries) {
      if (!NAMESPACE_PATTERN.test(name)) continue;
      const dir = join(o.storageDir, name);
      const stats = await lstat(dir).catch(() => undefined);
      if (stats?.isDirectory() !== true) continue;
      const marked = await readEpochFile(dir);
      const old =
        marked !== undefined
          ? expired(marked.epoch, marked.epochSeconds)
          : teams.length > 0 && epochAt(stats.mtimeMs, longest) + window.future + 1 <= epochAt(t, longest) - MAILBOX_PRUNE_AGE;
      if (!old) continue;
      const ns = namespaces.get(name);
      if (ns !== undefined) forget(ns);
      await rm(dir, { recursive: true, force: true });
      removed++;
    }
    if (removed > 0) log(`airlock mailbox: removed ${removed} expired mailbox folder${removed === 1 ? "" : "s"}`);
    return removed;
  }

  /**
   * Streams a PUT's body into a temp file in the namespace's folder `dir`, hashing it on the way:
   * memory stays at one chunk per upload whatever the size. Returns the fsynced temp file (the
   * caller publishes or removes it) once the body ended, fit the limit and hashed to `name`. A
   * refused body leaves nothing, not even the folder if this upload created it.
   */
  async function receiveBody(req: IncomingMessage, name: MailboxName, dir: string): Promise<{ path: string; size: number; stored: Stats | undefined }> {
    const path = join(dir, `${TEMP_PREFIX}${randomBytes(12).toString("hex")}.tmp`);
    const fd = await openTemp(path, dir);
    const hash = createHash("sha256");
    let total = 0;
    let done = false;
    try {
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          total += chunk.length;
          counters.bytesIn += chunk.length;
          // The declared length was checked; node's parser holds the body to it. Kept as a guard.
          if (total > maxBundleBytes) throw tooLarge(total);
          hash.update(chunk);
          for (let at = 0; at < chunk.length; ) at += (await fdWrite(fd, chunk, at, chunk.length - at)).bytesWritten;
          releaseChunk(chunk);
        }
      } catch (e) {
        // A client that hangs up mid-body ("aborted", ECONNRESET; a cut chunked body can already
        // count as complete) is a bad request, not a server failure to log.
        if (!(e instanceof HttpFailure) && (!req.complete || errnoCode(e) === "ECONNRESET")) {
          throw new HttpFailure(400, "MAILBOX_PROTOCOL", "the request ended before its body did");
        }
        throw e;
      }
      if (`${hash.digest("hex")}${MAILBOX_SUFFIX}` !== name) {
        throw mailboxError("MAILBOX_DIGEST_MISMATCH", `the bytes given for ${name} hash to something else`);
      }
      // What the name holds now is looked up while the file is flushed (publish() needs it next).
      const [, stored] = await Promise.all([fdSync(fd), statStored(join(dir, name))]);
      done = true;
      return { path, size: total, stored };
    } finally {
      fdClose(fd);
      if (!done) {
        await unlink(path).catch(() => undefined);
        await rmdir(dir).catch(() => undefined); // only if empty: a first upload refused leaves no folder
      }
    }
  }

  /**
   * A PUT's declared body length. Content-Length is required (HttpMailbox always sends it), so
   * the size and quota checks always see the length before a byte of the body is read: a
   * chunked body is refused (411) rather than written out and then refused.
   */
  function declaredLength(req: IncomingMessage): number {
    const declared = req.headers["content-length"];
    if (declared === undefined || req.headers["transfer-encoding"] !== undefined) {
      throw new HttpFailure(411, "MAILBOX_PROTOCOL", "a PUT needs a body with Content-Length (not chunked)");
    }
    const length = /^[0-9]{1,16}$/.test(declared) ? Number(declared) : NaN;
    if (!Number.isSafeInteger(length)) throw new HttpFailure(400, "MAILBOX_PROTOCOL", "bad Content-Length");
    if (length > maxBundleBytes) throw tooLarge(length);
    return length;
  }

  function tooLarge(size: number): HttpFailure {
    return new HttpFailure(413, "MAILBOX_TOO_LARGE", `the bundle is ${size > maxBundleBytes ? `over ${maxBundleBytes}` : size} bytes; this mailbox takes at most ${maxBundleBytes}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests++;
    checkRate(req.socket.remoteAddress ?? "unknown");
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://mailbox.invalid");
    } catch {
      // An absolute-form target node's parser let through but URL refuses (`http://[::1/v1/x`,
      // a port past 65535): the client's mistake, not a server failure to log.
      throw new HttpFailure(400, "MAILBOX_PROTOCOL", "a malformed request target");
    }
    if (!url.pathname.startsWith(API_PREFIX)) throw new HttpFailure(404, "MAILBOX_PROTOCOL", "no such endpoint");
    const parts = url.pathname.slice(API_PREFIX.length).split("/");
    if (parts.length > 2) throw new HttpFailure(404, "MAILBOX_PROTOCOL", "no such endpoint");
    const [namespace = "", rawName] = parts;
    const resolved = authenticate(namespace, req.headers.authorization);
    // Only written namespaces (and folders found at start) have an entry: a listing or fetch of
    // any other leaves nothing behind (no folder is there, so it is empty).
    const known = namespaces.get(namespace);
    if (known !== undefined) {
      claim(known, resolved);
      // Bound to the team that first wrote it: another served team's valid token for it gets the
      // same 401, after the same work, as a wrong token.
      if (known.team !== teamIdOf(resolved.team)) throw UNAUTHORIZED;
    }
    const dir = known?.dir ?? join(o.storageDir, namespace);

    if (rawName === undefined) {
      if (req.method !== "GET") throw new HttpFailure(405, "MAILBOX_PROTOCOL", "a mailbox is listed with GET", { Allow: "GET" });
      let since: string | undefined;
      if (url.searchParams.has("since")) {
        since = url.searchParams.get("since") ?? "";
        if (since.length > MAX_CURSOR_LENGTH) throw mailboxError("MAILBOX_BAD_CURSOR", "the list cursor is not one this mailbox issued");
      }
      const box = known?.box ?? new DirMailbox(dir, { maxBundleBytes, maxEntries: maxNamespaceBundles + 1000 });
      const listing = await box.list(since);
      sendJson(res, 200, { names: listing.names, cursor: listing.cursor });
      return;
    }

    const name = decodeName(rawName);
    switch (req.method) {
      case "PUT": {
        const declared = declaredLength(req);
        const ns = namespaceForWrite(namespace, resolved);
        const usage = ns.usage;
        // Refused on the declared length, before a byte of the body is read.
        checkQuota(ns, name, declared);
        const body = await receiveBody(req, name, ns.dir);
        let published = false;
        try {
          checkQuota(ns, name, body.size);
          // Counted before the write, so concurrent puts cannot overshoot together; undone if it fails.
          const before = usage.sizes.get(name);
          usage.sizes.set(name, body.size);
          usage.bytes += body.size - (before ?? 0);
          try {
            published = await publish(ns, name, body.path, body.size, body.stored);
          } catch (e) {
            if (usage.sizes.get(name) === body.size) {
              if (before === undefined) usage.sizes.delete(name);
              else usage.sizes.set(name, before);
              usage.bytes -= body.size - (before ?? 0);
            }
            throw e;
          }
        } finally {
          // A temp file not renamed (over quota, already stored, a failed rename) goes here.
          if (!published) await unlink(body.path).catch(() => undefined);
        }
        // After the bundle, so a refused put leaves no folder; a crash in between leaves a folder
        // that prune() ages by its mtime instead.
        await markEpoch(ns);
        res.writeHead(204, { "Cache-Control": "no-store" }).end();
        return;
      }
      case "GET": {
        const stored = await openStored(dir, name);
        if (stored === undefined) throw new HttpFailure(404, "MAILBOX_NOT_FOUND", "no bundle of that name");
        const size = "bytes" in stored ? stored.bytes.length : stored.size;
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(size), "Cache-Control": "no-store" });
        counters.bytesOut += size;
        if ("bytes" in stored) res.end(stored.bytes);
        else await sendStored(res, stored.fd, stored.size);
        return;
      }
      case "DELETE": {
        if (known === undefined) {
          res.writeHead(204, { "Cache-Control": "no-store" }).end();
          return;
        }
        await known.box.delete(name);
        const size = known.usage.sizes.get(name);
        if (size !== undefined) {
          known.usage.sizes.delete(name);
          known.usage.bytes -= size;
        }
        res.writeHead(204, { "Cache-Control": "no-store" }).end();
        return;
      }
      default:
        throw new HttpFailure(405, "MAILBOX_PROTOCOL", "use PUT, GET or DELETE on a bundle", { Allow: "PUT, GET, DELETE" });
    }
  }

  function fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const failure = toFailure(e);
    if (failure.status === 500) log(`airlock mailbox: ${req.method ?? "?"} failed: ${describe(e)}`);
    if (failure.status !== 404 && failure.status !== 500) counters.rejected++;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // An unread body would otherwise be drained (up to its full length) to keep the connection.
    if (!req.complete) res.setHeader("Connection", "close");
    sendJson(res, failure.status, { error: failure.code, message: failure.message }, failure.headers);
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = Buffer.from(JSON.stringify(body));
    counters.bytesOut += text.length;
    res.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": String(text.length), "Cache-Control": "no-store" });
    res.end(text);
  }

  const server = createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: Math.min(idleMs, 5_000),
      // Node checks header/request timeouts on this period; a long one would let slow clients linger.
      connectionsCheckingInterval: Math.max(50, Math.floor(Math.min(headersMs, requestMs) / 4)),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(req, res).catch((e: unknown) => fail(req, res, e));
    },
  );
  // The total is enforced below, where a slowloris holder can be told from a request under way;
  // node's own cap (which closes the new connection whoever holds the others) is a backstop for
  // sockets closed there and not yet gone.
  server.maxConnections = 2 * maxConnections;
  server.timeout = idleMs;
  server.on("timeout", (socket: import("node:net").Socket) => {
    counters.rejected++;
    socket.destroy();
  });
  server.on("drop", () => {
    counters.rejected++;
  });
  // Runs after node's own connection listener; all connections, oldest first (a Set keeps
  // insertion order), and per client address. A new connection past its address's share makes
  // room among that address's connections, one past the total among all (R10: eight addresses
  // with eight half-sent requests each took all 64 slots until the header timeout). Only a
  // connection idle for IDLE_GRACE_MS (the longest idle first), else one still in its first
  // headers for headersGraceMs (the oldest first) is closed; if there is none, the new connection
  // is closed, before it sends a byte, as node's maxConnections did. A connection inside a
  // request, or a young one (idle, or in a request's headers, for less than its grace) is never
  // closed for another (make-room.ts): an
  // eviction without these graces killed honest requests in flight (docs/threat-model.md, R10).
  const headersGraceMs = Math.min(HEADERS_GRACE_MS, Math.floor(headersMs / 2));
  const all = new Set<Connection>();
  const perAddress = new Map<string, Set<Connection>>();
  const connections = new WeakMap<import("node:net").Socket, Connection>();
  const makeRoom = (among: Iterable<Connection>, ownAddress: boolean): boolean => {
    const victim = chooseVictim(among, now(), { idleMs: IDLE_GRACE_MS, headersMs: headersGraceMs }, ownAddress);
    if (victim === undefined) return false;
    all.delete(victim);
    perAddress.get(victim.address)?.delete(victim);
    if (victim.state === "headers") counters.rejected++; // an idle one was served in full
    victim.socket.destroy();
    return true;
  };
  server.on("connection", (socket: import("node:net").Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const open = perAddress.get(address) ?? new Set<Connection>();
    const pastShare = open.size >= maxPerAddress;
    const among = pastShare ? open : all.size >= maxConnections ? all : undefined;
    if (among !== undefined && !makeRoom(among, pastShare && maxPerAddress < maxConnections)) {
      counters.rejected++;
      socket.destroy();
      return;
    }
    const connection: Connection = { socket, address, state: "headers", since: now(), bytesSeen: 0 };
    open.add(connection);
    all.add(connection);
    perAddress.set(address, open);
    connections.set(socket, connection);
    socket.once("close", () => {
      all.delete(connection);
      open.delete(connection);
      if (open.size === 0 && perAddress.get(address) === open) perAddress.delete(address);
    });
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const connection = connections.get(req.socket);
    if (connection === undefined) return;
    connection.state = "request";
    res.once("finish", () => {
      connection.state = "idle";
      connection.since = now();
      connection.bytesSeen = req.socket.bytesRead;
    });
  });
  server.on("clientError", (_err, socket) => {
    counters.rejected++;
    // 408 for a request that ran out of time, 400 otherwise; never echo the input.
    const timedOut = (_err as { code?: string }).code === "ERR_HTTP_REQUEST_TIMEOUT";
    if (socket.writable) socket.end(`HTTP/1.1 ${timedOut ? "408 Request Timeout" : "400 Bad Request"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  });

  await load();
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const sweep = (): void => {
    prune().catch((e: unknown) => log(`airlock mailbox: pruning expired folders failed: ${describe(e)}`));
  };
  sweep();
  const pruneTimer = setInterval(sweep, positive(o.pruneEveryMs ?? PRUNE_EVERY_MS, "pruneEveryMs"));
  pruneTimer.unref();
  const host = o.listen.host.includes(":") ? `[${o.listen.host}]` : o.listen.host;

  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ ...counters, namespaces: namespaces.size }),
    prune,
    close: () =>
      new Promise<void>((resolveClose) => {
        clearInterval(pruneTimer);
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/**
 * A port whose other end is closed: a message posted to it is serialized and dropped, so an
 * ArrayBuffer in its transfer list is detached and its memory freed at once (HTML structured
 * clone with transfer; node serializes even for a closed port).
 */
const sink = (() => {
  const { port1, port2 } = new MessageChannel();
  port2.close();
  port1.unref();
  return port1;
})();

/**
 * Frees a request body chunk once it is hashed and on disk. Node copies every body chunk into
 * an ArrayBuffer of its own; left to the garbage collector, tens of MiB of them pile up between
 * collections under a few fast uploads (docs/http-mailbox.md, "Limits"). Only a chunk that is
 * the whole of its ArrayBuffer is released, so no other view can lose its bytes; one node
 * refuses to transfer (pooled) stays with the collector.
 */
export function releaseChunk(chunk: Buffer): void {
  const buffer = chunk.buffer;
  if (!(buffer instanceof ArrayBuffer) || chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength || buffer.byteLength < 4096) return;
  try {
    sink.postMessage(null, [buffer]);
  } catch {
    // DataCloneError: an untransferable buffer; the collector frees it.
  }
}

/** Creates a temp file in `dir`, creating the folder (not its parents) if this is its first upload. */
async function openTemp(path: string, dir: string): Promise<number> {
  try {
    return await fdOpen(path, TEMP_FLAGS, 0o600);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw e;
  }
  await mkdir(dir, { mode: 0o700 }).catch((e: unknown) => {
    if (errnoCode(e) !== "EEXIST") throw e;
  });
  return fdOpen(path, TEMP_FLAGS, 0o600);
}

/** fsync of a folder, so a rename in it survives a power loss (shared's syncDirectory, on a plain descriptor). */
async function syncFolderNow(dir: string): Promise<void> {
  if (process.platform === "win32") return; // folders cannot be opened for fsync there
  const fd = await fdOpen(dir, FOLDER_FLAGS);
  try {
    await fdSync(fd);
  } catch (e) {
    const code = errnoCode(e);
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
  } finally {
    fdClose(fd);
  }
}

/** lstat of a stored bundle's path, or undefined if nothing is there. */
async function statStored(path: string): Promise<Stats | undefined> {
  try {
    return await pathStat(path);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return undefined;
    throw e;
  }
}

function decodeName(raw: string): MailboxName {
  // Names are plain ASCII: a percent-escape can only be an attempt at something else.
  if (!isMailboxName(raw)) throw mailboxError("MAILBOX_BAD_NAME", "not a mailbox name (64 lowercase hex digits + .airlock)");
  return raw;
}

function toFailure(e: unknown): HttpFailure {
  if (e instanceof HttpFailure) return e;
  if (isAirlockError(e)) {
    switch (e.code) {
      case "MAILBOX_BAD_NAME":
      case "MAILBOX_BAD_CURSOR":
      case "MAILBOX_DIGEST_MISMATCH":
        return new HttpFailure(400, e.code, e.message);
      case "MAILBOX_TOO_LARGE":
        return new HttpFailure(413, e.code, e.message);
      case "MAILBOX_TOO_MANY":
        return new HttpFailure(507, e.code, "the mailbox holds too many bundles");
      case "MAILBOX_QUOTA":
        return new HttpFailure(507, e.code, e.message);
    }
  }
  // Storage errors carry server paths: the client gets a code, the operator's log the detail.
  return new HttpFailure(500, "MAILBOX_SERVER", "the mailbox server failed");
}

/** A namespace folder's EPOCH_FILE, or undefined if it is missing or not one of ours. */
async function readEpochFile(dir: string): Promise<{ epoch: number; epochSeconds: number; team?: string } | undefined> {
  let text: string;
  try {
    const handle = await open(join(dir, EPOCH_FILE), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    try {
      const buffer = Buffer.alloc(MAX_EPOCH_FILE + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_EPOCH_FILE) return undefined;
      text = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  try {
    const { epoch, epochSeconds, team } = JSON.parse(text) as { epoch?: unknown; epochSeconds?: unknown; team?: unknown };
    if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) return undefined;
    if (typeof epochSeconds !== "number" || !Number.isSafeInteger(epochSeconds) || epochSeconds < 60) return undefined;
    // A file an older server wrote names no team; one with a malformed team is treated alike.
    return typeof team === "string" && TEAM_ID_PATTERN.test(team) ? { epoch, epochSeconds, team } : { epoch, epochSeconds };
  } catch {
    return undefined;
  }
}

function describe(e: unknown): string {
  return isAirlockError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

function positive(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
}
