import { statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Args, Flags } from "@oclif/core";
import { errnoCode, safe } from "@airlock/shared";
import { courierError } from "../errors.js";
import { loadCourierKey } from "../home/courier-key.js";
import { openEnrollment, readEnrollmentFile } from "../home/enrollment.js";
import { requireHome } from "../home/paths.js";
import { checkBucketSizes, loadTeams, saveTeams, transportKeyOf, upsertTeam } from "../home/teams.js";
import { mailboxCa, mailboxKind, redactUrl } from "../mailbox/open.js";
import { parseS3Url } from "../mailbox/s3-url.js";
import { Spool } from "../spool/spool.js";
import { onionClientAuthKeys, writeClientAuthFile } from "../tor/client-auth.js";
import { CourierCommand } from "./base.js";

/**
 * A dir: mailbox's folder must exist when it is recorded: a stick that is not mounted, or a
 * mistyped path, fails here with its name rather than as an unreachable mailbox at every sync.
 */
function requireMailboxFolder(path: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (e) {
    const code = errnoCode(e);
    throw courierError("COURIER_NO_MAILBOX_FOLDER", code === "ENOENT" ? `the mailbox folder ${path} does not exist` : `cannot use the mailbox folder ${path} (${code ?? "error"})`, e);
  }
  if (!isFolder) throw courierError("COURIER_NO_MAILBOX_FOLDER", `the mailbox path ${path} is not a folder`);
}

/** In the home: one `<address>.auth_private` per onion: mailbox, for tor's ClientOnionAuthDir. */
export const ONION_AUTH_DIR = "onion-auth";

export default class Init extends CourierCommand {
  static override summary = "Serve a team: open its courier enrollment and record its mailbox.";
  static override description =
    "ENROLLMENT is the file the vault made with `airlock courier-enroll` for this courier's public key. Running init again for the same team updates it (a new mailbox URL is added beside the others); one courier can serve several teams.\n\nMailbox URLs: dir:PATH (a folder, USB or Syncthing; a relative PATH is recorded as its full path from the folder init runs in), http://HOST:PORT (airlock-courier serve), https://HOST:PORT (serve behind a TLS front; the certificate is verified against the system's CAs, or only against the CA file AIRLOCK_MAILBOX_CA names), onion:ADDR.onion (the same over Tor), s3://BUCKET?endpoint=https://... (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).";
  static override examples = [
    "<%= config.bin %> init enrollment.airlock --mailbox dir:/srv/syncthing/airlock",
    "<%= config.bin %> init enrollment.airlock --mailbox http://10.0.0.5:8800 --send-per-round 8 --bucket-size 65536 --bucket-size 262144",
  ];
  static override args = { enrollment: Args.string({ description: "the enrollment file from the vault", required: true }) };
  static override flags = {
    mailbox: Flags.string({ description: "mailbox URL (overrides the one the vault suggested)" }),
    "send-per-round": Flags.integer({ description: "bundles pushed per sync round per mailbox, real first, topped up with cover (default 4)" }),
    "bucket-size": Flags.integer({ description: "a cover bundle size in bytes (a Padmé bucket; repeatable; default 65536), used only until this courier has seen the team's real bundles, whose sizes and slot counts cover then copies", multiple: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init);
    const home = this.homeFrom(flags.home);
    requireHome(home);
    const key = loadCourierKey(home);
    let enrollment;
    try {
      enrollment = openEnrollment(readEnrollmentFile(args.enrollment), key);
    } finally {
      key.secretKey.fill(0);
    }
    const given = flags.mailbox ?? enrollment.mailbox;
    if (given === "") throw courierError("COURIER_NO_MAILBOX", "the enrollment suggests no mailbox and --mailbox was not given");
    // s3: URLs carry an endpoint and region worth checking now, not at the first sync.
    if (mailboxKind(given) === "s3") parseS3Url(given);
    // A dir: path is recorded absolute, resolved against this run's folder: kept as typed, a
    // relative one would name another folder for every later run started somewhere else.
    const mailbox = mailboxKind(given) === "dir" ? `dir:${absoluteFolder(given.slice("dir:".length))}` : given;
    if (mailboxKind(mailbox) === "dir") requireMailboxFolder(mailbox.slice("dir:".length));
    // A CA file named for https:// mailboxes (AIRLOCK_MAILBOX_CA) is checked now, not at the first sync.
    if (mailbox.startsWith("https:")) mailboxCa();
    const { teams, team, added, replacedNewer } = upsertTeam(loadTeams(home), enrollment, mailbox, {
      ...(flags["send-per-round"] === undefined ? {} : { sendPerRound: flags["send-per-round"] }),
      ...(flags["bucket-size"] === undefined ? {} : { bucketSizes: checkBucketSizes(flags["bucket-size"]) }),
    });
    enrollment.transportKey.fill(0);
    saveTeams(home, teams);
    Spool.open(home.spoolFile).close(); // create and migrate the spool now, not in the middle of a sync
    // An onion: mailbox admits only torrs holding the team's client authorization key; it is
    // derived from the transport key, so the courier writes it for its own tor (docs/operations.md).
    let onionAuth: string | undefined;
    if (mailboxKind(mailbox) === "onion") {
      const tk = transportKeyOf(team);
      try {
        const address = mailbox.slice("onion:".length).replace(/:\d+$/, "");
        onionAuth = await writeClientAuthFile(join(home.root, ONION_AUTH_DIR), address, onionClientAuthKeys(tk).privateKeyBase32);
      } finally {
        tk.wipe();
      }
    }
    const shown = { id: team.id, name: team.name, mailboxes: team.mailboxes.map(redactUrl), sendPerRound: team.sendPerRound, bucketSizes: team.bucketSizes, epochSeconds: team.epochSeconds };
    this.emit(
      flags.json,
      { home: home.root, added, replacedNewer, team: shown, ...(mailbox === given ? {} : { mailboxResolved: { given, recorded: mailbox } }), ...(onionAuth === undefined ? {} : { onionAuth }) },
      [
        safe`${added ? "now serving" : "updated"} team ${team.name} (${team.id.slice(0, 12)}…) via ${shown.mailboxes.join(", ")}`,
        ...(mailbox === given ? [] : [safe`the mailbox ${given} is recorded as ${mailbox}, its full path from this folder, so later runs use it from any folder`]),
        ...(replacedNewer ? [safe`warning: this enrollment replaced a newer or an already replaced transport key the courier held; it now serves generation ${team.generation ?? 0} as this file gives it`] : []),
        ...(onionAuth === undefined ? [] : [safe`tor client authorization written to ${onionAuth}: set ClientOnionAuthDir ${join(home.root, ONION_AUTH_DIR)} in your tor's torrc and reload tor`]),
      ]
        .map((l) => `${l}\n`)
        .join(""),
    );
  }
}

/**
 * A folder as the user meant it: `~` and `~/…` from the home folder (no shell expands a `~`
 * after `dir:`), anything else against the folder this command runs in.
 */
function absoluteFolder(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : resolve(path);
}
