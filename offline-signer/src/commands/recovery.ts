/**
 * `airlock recovery setup|held|release` (docs/recovery.md): splitting your identity into shares
 * on your working laptop, and a holder's view of the shares it keeps for others. A release is
 * sealed to a new laptop only after its fingerprint was confirmed, as `members add` does.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Args, Flags } from "@oclif/core";
import { AirlockError, escapeLine, quoted, safe } from "@airlock/shared";
import { wipe } from "@airlock/bundle-format";
import { VaultCommand } from "./base.js";
import { table, when } from "./format.js";
import { normalizeFingerprint } from "./admission.js";
import { promptLine } from "../cli/passphrase.js";
import { fingerprint } from "../vault/request.js";
import { readRequest } from "../vault/transfer.js";
import { parseRecoveryRequest, setLabel } from "../recovery/codec.js";
import { renderCard } from "../recovery/card-png.js";
import { heldShares, releaseShare } from "../recovery/holder.js";
import { setupRecovery, type PaperShare } from "../recovery/setup.js";
import { unhex } from "../vault/hex.js";

export class RecoverySetup extends VaultCommand {
  static override summary = "Split your identity into recovery shares: sealed to teammates (--holder) and/or printed as paper cards (--paper).";
  static override description =
    "Any --threshold K of the shares restore your identity on a new laptop (airlock recover); fewer reveal nothing. Each --holder (another member) receives one share sealed to their devices with your next export; each paper share is written to --out DIR as a printable PNG page with its check code. A new setup replaces the previous one: only your newest set recovers. Run it on the laptop that holds your identity key (where you joined or created the team).";
  static override examples = [
    "<%= config.bin %> recovery setup --threshold 3 --holder alice --holder bob --holder carol --paper 2 --out /media/usb/cards",
    "<%= config.bin %> recovery setup --threshold 2 --holder alice --holder bob",
  ];
  static override flags = {
    threshold: Flags.integer({ description: "how many shares restore you (at least 2)", required: true }),
    holder: Flags.string({ description: "a teammate who holds one share (name or id prefix; repeatable)", multiple: true, default: [] }),
    paper: Flags.integer({ description: "how many shares to print as paper cards", default: 0 }),
    out: Flags.string({ description: "folder for the paper cards' PNG pages (required with --paper)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RecoverySetup);
    if (flags.paper > 0 && flags.out === undefined) this.usage("--out DIR is required with --paper (the cards' PNG pages go there)");
    if (flags.out !== undefined) {
      const out = flags.out;
      for (let i = 1; i <= flags.paper; i++) if (existsSync(join(out, cardName(i)))) this.usage(`${join(out, cardName(i))} already exists; choose an empty --out folder`);
    }
    await this.withVault(flags, async (vault) => {
      // The cards are written before the set is committed (setup.ts, writePaper): a card that
      // cannot be written leaves the working set in force, and the cards already written are removed.
      const files: string[] = [];
      const writePaper = (paper: readonly PaperShare[], id: Uint8Array, threshold: number, total: number): void => {
        try {
          if (paper.length > 0) mkdirSync(flags.out!, { recursive: true, mode: 0o700 });
          for (const p of paper) {
            const file = join(flags.out!, cardName(p.index));
            const png = renderCard(p.bytes, { index: p.index, printed: paper.length, threshold, total, set: setLabel(id), check: p.check });
            try {
              writeFileSync(file, png, { mode: 0o600, flag: "wx" });
            } finally {
              wipe(png);
            }
            files.push(file);
          }
        } catch (e) {
          for (const f of files) rmSync(f, { force: true });
          throw new AirlockError("RECOVERY_SETUP", `could not write the paper cards (${(e as Error).message}); nothing was changed: your previous recovery set still holds`, { hint: "choose a writable --out folder with room for the cards", cause: e });
        }
      };
      let r;
      try {
        r = await setupRecovery(vault, { threshold: flags.threshold, holders: flags.holder, paper: flags.paper, writePaper });
      } catch (e) {
        for (const f of files) rmSync(f, { force: true }); // written, but the set was not committed
        throw e;
      }
      for (const p of r.paper) wipe(p.bytes, p.piece.share);
      const set = setLabel(r.set);
      this.emit(
        flags.json,
        { set, entry: r.entry.hashHex, threshold: r.threshold, total: r.total, holders: r.holders, cards: r.paper.map((p, i) => ({ file: files[i], check: p.check })) },
        safe`Recovery set ${set}: any ${r.threshold} of ${r.total} shares restore you.` +
          "\n" +
          r.holders.map((h) => safe`  held by ${quoted(h.name)}, check code ${h.check}` + "\n").join("") +
          r.paper.map((p, i) => safe`  paper card ${files[i]!}, check code ${p.check}` + "\n").join("") +
          "Next: airlock export (holders receive their shares with it)." +
          (files.length > 0 ? " Print the cards, keep them apart from this laptop, then delete the PNG files." : "") +
          "\n",
      );
    });
  }
}

const cardName = (i: number): string => `recovery-card-${i}.png`;

export class RecoveryHeld extends VaultCommand {
  static override summary = "List the recovery shares this vault holds for teammates.";
  static override examples = ["<%= config.bin %> recovery held", "<%= config.bin %> recovery held --json"];

  async run(): Promise<void> {
    const { flags } = await this.parse(RecoveryHeld);
    await this.withVault(flags, (vault) => {
      const held = heldShares(vault);
      const rows = held.map((h) => ({ name: h.name, user: h.user, set: setLabel(unhex(h.set.id)), threshold: h.set.threshold, total: h.set.shares.length, check: h.check, status: h.status, since: h.time }));
      for (const h of held) wipe(h.piece.share);
      this.emit(
        flags.json,
        { shares: rows },
        rows.length === 0 ? "This vault holds no recovery share for anyone.\n" : table(rows.map((r) => [r.name, `set ${r.set}`, `${r.threshold} of ${r.total}`, r.check, r.status, when(r.since)])),
      );
    });
  }
}

export class RecoveryRelease extends VaultCommand {
  static override summary = "Release the share you hold for a teammate to their new laptop, after checking its fingerprint.";
  static override description =
    "REQUEST is the file (or QR folder) `airlock recover start` wrote on their new laptop. Before anything is sealed, the request's fingerprint is compared with the one the new laptop shows: on a terminal you are asked to confirm it; otherwise pass it with --fingerprint CODE. The release carries your share (if you hold one of their current set), the team log, the team's transport key and how far you saw their lost devices' changes; only that laptop can open it. Any member may write one without a share (--log-only), so paper cards plus one teammate suffice.";
  static override examples = ["<%= config.bin %> recovery release --for dana /media/usb/dana.airlock-recovery --out /media/usb/from-alice.airlock-release"];
  static override args = { request: Args.string({ description: "recovery request: file, QR image folder or video", required: true }) };
  static override flags = {
    for: Flags.string({ description: "the teammate being recovered (name or id prefix)", required: true }),
    out: Flags.string({ description: "file to write the release to", required: true }),
    fingerprint: Flags.string({ description: "the code shown on the new laptop (required without a terminal); a different one is refused" }),
    "log-only": Flags.boolean({ description: "release the team log without your share", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RecoveryRelease);
    if (existsSync(flags.out)) this.usage(`${flags.out} already exists; choose another --out path`);
    const bytes = await readRequest(args.request, this.progress());
    const request = parseRecoveryRequest(bytes);
    const fp = fingerprint(request);
    await confirmFingerprint(request.name, fp, flags.fingerprint);
    await this.withVault(flags, (vault) => {
      const r = releaseShare(vault, bytes, flags.for, { logOnly: flags["log-only"] });
      writeFileSync(flags.out, r.bytes, { mode: 0o600, flag: "wx" });
      this.emit(
        flags.json,
        { out: flags.out, for: r.user.name, fingerprint: fp, share: r.check !== undefined, check: r.check ?? null, set: r.set === undefined ? null : setLabel(unhex(r.set)) },
        safe`Wrote a release for ${quoted(r.user.name)}'s new laptop to ${flags.out}` +
          (r.check === undefined ? " (the team log only: you hold no share of their current set)" : safe`, with share ${r.check}`) +
          `.\nFingerprint: ${fp}\n  (it must be the one shown on the new laptop's screen)\n`,
      );
    });
  }
}

/** The fingerprint check `members add` does (commands/admission.ts), for a recovery request. */
async function confirmFingerprint(name: string, fp: string, given: string | undefined): Promise<void> {
  if (given !== undefined) {
    const typed = normalizeFingerprint(given);
    if (!/^[a-z2-7]{16}$/.test(typed)) {
      throw new AirlockError("USAGE", `--fingerprint ${quoted(given.slice(0, 40))} is not a fingerprint: it has 16 letters a-z and digits 2-7, like abcd-efgh-ijkl-mnop`, { hint: "copy the code exactly as the new laptop shows it" });
    }
    if (typed !== normalizeFingerprint(fp)) {
      throw new AirlockError("JOIN_FINGERPRINT_MISMATCH", `the request's fingerprint is ${fp}, not the ${quoted(given.trim().slice(0, 40))} given: this is not the request made on ${escapeLine(name)}'s new laptop`, {
        hint: "release nothing; ask them for a fresh request (airlock recover start), carried by hand, and compare the code on their screen",
      });
    }
    return;
  }
  if (process.stdin.isTTY !== true) {
    throw new AirlockError("USAGE", `recovery release needs the fingerprint shown on ${escapeLine(name)}'s new laptop, and there is no terminal to ask on`, { hint: "pass --fingerprint CODE with the code read from their screen" });
  }
  process.stderr.write(`Recovery request from ${quoted(name)}.\nFingerprint: ${fp}\n`);
  const answer = await promptLine(`Does the code on ${escapeLine(name)}'s new laptop read ${fp}? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new AirlockError("JOIN_NOT_CONFIRMED", `nothing was released for ${quoted(name)}: the fingerprint was not confirmed`, { hint: "if the codes differ, someone may have swapped the request: ask for a fresh one, carried by hand" });
  }
}
