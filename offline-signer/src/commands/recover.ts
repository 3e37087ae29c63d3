/**
 * `airlock recover start|add|finish` (docs/recovery.md, "Recovering"): on a new laptop, after the
 * old one was lost. `start` makes a fresh vault and a request for the holders; `add` takes their
 * releases and images of paper cards — every one judged and named — and with enough shares
 * restores your identity, enrols this laptop and revokes the lost one; `finish` does the
 * revocation once admins approved, where the team requires approvals.
 */
import { writeFileSync } from "node:fs";
import { Args, Flags } from "@oclif/core";
import { isAirlockError, markPartial, quoted, safe, writeBundleQrFolder } from "@airlock/shared";
import { VaultCommand, type VaultFlags } from "./base.js";
import { createSpace, deleteSpace, findSpace } from "../spaces/spaces.js";
import type { Vault } from "../vault/vault.js";
import { short } from "./format.js";
import { fingerprint } from "../vault/request.js";
import { checkName } from "../vault/names.js";
import { readRecoveryInput } from "../recovery/inputs.js";
import { finishRecovery, judgeInputs, restoreFrom, startRecovery, type RecoveryInput, type Verdict } from "../recovery/restore.js";

export class RecoverStart extends VaultCommand {
  static override summary = "On a new laptop, after yours was lost: write a recovery request for the holders of your shares.";
  static override description =
    "Creates the vault folder if needed and writes a self-signed request holding this laptop's public keys and your name. Carry it to the teammates who hold your shares (or any teammate, if you recover with paper cards); they run `airlock recovery release --for NAME REQUEST` after comparing the fingerprint shown here. Then run `airlock recover add` with their releases and your cards.";
  static override examples = ["<%= config.bin %> recover start dana --out /media/usb/dana.airlock-recovery", "<%= config.bin %> recover start dana --out dana.airlock-recovery --qr ./dana-recovery-qr"];
  static override args = { name: Args.string({ description: "your name in the team", required: true }) };
  static override flags = {
    out: Flags.string({ description: "file to write the request to", required: true }),
    qr: Flags.string({ description: "also write the request as QR frame images into this folder" }),
    "new-space": Flags.string({
      description: "recover a further team of yours into a new space of this vault, with this local name (docs/spaces.md: each space has its own identity, so you recover each); then `recover add --space NAME`",
      exclusive: ["space"],
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RecoverStart);
    checkName(args.name, "name");
    const vault = flags["new-space"] === undefined ? (await this.openOrCreate(flags)).vault : await this.#newSpace(flags, flags["new-space"]);
    try {
      let request;
      try {
        request = startRecovery(vault, args.name);
        writeFileSync(flags.out, request.bytes, { mode: 0o644 });
      } catch (e) {
        // A new space made for this recovery goes again if the request cannot be made or written.
        if (flags["new-space"] !== undefined) await this.#dropSpace(flags, vault, flags["new-space"]);
        throw e;
      }
      const frames = flags.qr === undefined ? 0 : (await writeBundleQrFolder(flags.qr, request.bytes)).files.filter((f) => f.endsWith(".png")).length;
      const fp = fingerprint(request);
      this.emit(
        flags.json,
        { request: flags.out, fingerprint: fp, device: vault.deviceId, ...(flags.qr === undefined ? {} : { qr: flags.qr, frames }) },
        safe`Wrote a recovery request for ${quoted(args.name)} to ${flags.out}` +
          (flags["new-space"] === undefined ? "" : safe` (for space ${quoted(flags["new-space"])} of this vault; then use --space with recover add)`) +
          (flags.qr === undefined ? "" : safe` and ${frames} QR frames to ${flags.qr}`) +
          `.\nFingerprint: ${fp}  (each holder compares it before releasing your share)\nNext: airlock recover add RELEASE... CARD.png...\n`,
      );
    } finally {
      vault.close();
    }
  }

  async #dropSpace(flags: VaultFlags, vault: Vault, name: string): Promise<void> {
    vault.close();
    const first = await this.openFirst(flags);
    try {
      deleteSpace(first, findSpace(first, name));
    } finally {
      first.close();
    }
  }

  /** The vault of a new space made to recover into (the vault must exist: recover its first space first); the first space is closed again. */
  async #newSpace(flags: VaultFlags, name: string): Promise<Vault> {
    const first = await this.openFirst(flags);
    try {
      return createSpace(first, name).vault;
    } finally {
      first.close();
    }
  }
}

export class RecoverAdd extends VaultCommand {
  static override summary = "Add holders' releases and paper-card images; with enough shares, restore your identity and enrol this laptop.";
  static override description =
    "Give every release and card at once (a release is a file `airlock recovery release` wrote; a card is a scan or photo, PNG or JPEG). Each is checked against your recovery set's commitment in the team log and named: a forged or damaged share, another team's, another person's, or one of an older set is refused and the others still count; the same share twice counts once. With fewer than the set's threshold nothing is stored. Otherwise your identity is restored, this laptop enrols itself, and your other devices are revoked at the highest point your teammates saw of them — once admins approved, where the team requires approvals (then run `airlock recover finish`). Exit 3 if any input was refused.";
  static override examples = ["<%= config.bin %> recover add /media/usb/from-alice.airlock-release /media/usb/from-bob.airlock-release ~/scans/card-1.png"];
  static override strict = false;
  static override args = { path: Args.string({ description: "release file or card image (repeatable)" }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RecoverAdd);
    const paths = argv as string[];
    if (paths.length === 0) this.usage("give the releases and card images to add");
    await this.withVault(flags, async (vault) => {
      const inputs: RecoveryInput[] = [];
      const unread: Verdict[] = [];
      for (const path of paths) {
        try {
          inputs.push(readRecoveryInput(path));
        } catch (e) {
          if (!isAirlockError(e)) throw e;
          unread.push({ source: path, kind: e.code === "RECOVERY_BAD_CARD" ? "card" : "release", status: "refused", code: e.code, reason: e.message });
        }
      }
      const judged = judgeInputs(vault, inputs);
      const verdicts = [...unread, ...judged.verdicts];
      if (verdicts.some((v) => v.status === "refused")) markPartial();
      // On stderr even with --json: when too few shares stop the recovery, the error alone would not say which input was refused.
      for (const v of verdicts) process.stderr.write(verdictLine(v));
      const restored = await restoreFrom(vault, judged);
      const have = judged.shares.length;
      this.emit(
        flags.json,
        { team: restored.team, teamName: restored.teamName, entry: restored.entry, shares: have, waiting: restored.waiting, revoked: restored.revoked, withoutHistory: restored.withoutHistory, verdicts },
        safe`Restored your identity in team ${quoted(restored.teamName)} and enrolled this laptop (entry ${short(restored.entry)}).` +
          "\n" +
          restored.withoutHistory.map((c) => safe`No other admin reads ${quoted(c)}: this laptop gets its new key only, and its records from before the recovery stay unreadable here (docs/recovery.md, "Limits").` + "\n").join("") +
          (restored.waiting > 0
            ? `It waits for ${restored.waiting} admin approval(s): export, ask an admin to approve, import their next export here, then run airlock recover finish.\n`
            : restored.revoked.map((r) => `Revoked lost device ${short(r.device)} after its change ${r.cutoff}.\n`).join("") +
              "Next: airlock export, and import what teammates export: an admin's vault then seals you the keys, and you receive the team's data.\nThen make a new recovery set: airlock recovery setup (this one is used up).\n"),
      );
    });
  }
}

export class RecoverFinish extends VaultCommand {
  static override summary = "After admins approved your recovered laptop: report the lost devices its enrolment revoked, and end the recovery.";
  static override examples = ["<%= config.bin %> recover finish"];

  async run(): Promise<void> {
    const { flags } = await this.parse(RecoverFinish);
    await this.withVault(flags, (vault) => {
      const { revoked } = finishRecovery(vault);
      this.emit(
        flags.json,
        { revoked },
        revoked.map((r) => `Revoked lost device ${short(r.device)} after its change ${r.cutoff}.\n`).join("") + "Next: airlock export. Then make a new recovery set: airlock recovery setup.\n",
      );
    });
  }
}

function verdictLine(v: Verdict): string {
  const what = v.kind === "card" ? "card" : "release";
  switch (v.status) {
    case "share":
      return safe`  + ${v.source}: share ${v.check ?? "?"} (${what})` + "\n";
    case "duplicate":
      return safe`  = ${v.source}: share ${v.check ?? "?"} again, counted once` + "\n";
    case "log":
      return safe`  + ${v.source}: the team log (no share)` + "\n";
    case "refused":
      return safe`  ! ${v.source}: refused: ${v.reason ?? ""} (${v.code ?? ""})` + "\n";
  }
}
