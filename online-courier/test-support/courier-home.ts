/** A courier home set up the way `keygen` + `init` set it up, through the same modules, for tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCourierKey } from "../src/home/courier-key.js";
import { openEnrollment } from "../src/home/enrollment.js";
import { createHome, resolveHome, type CourierHome } from "../src/home/paths.js";
import { saveServedMailboxes, servedMailboxOf } from "../src/home/mailbox-server.js";
import { loadTeams, saveTeams, upsertTeam, type TeamSettings } from "../src/home/teams.js";
import { makeEnrollment, type TestTeam } from "./enrollment.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `airlock-${prefix}-`));
}

export function setupCourierHome(root: string, teams: readonly TestTeam[], mailbox: string, settings: TeamSettings = {}): CourierHome {
  const home = resolveHome(root);
  createHome(home);
  const key = generateCourierKey(home);
  let configs = loadTeams(home);
  for (const team of teams) {
    const enrollment = openEnrollment(makeEnrollment(team, key.publicKey, "dir:/suggested/by/vault"), key);
    configs = upsertTeam(configs, enrollment, mailbox, settings).teams;
  }
  saveTeams(home, configs);
  key.secretKey.fill(0);
  return home;
}

/** A mailbox server's home the way `mailbox-key` (on a courier) + `serve-init` set it up: server keys only. */
export function setupServerHome(root: string, teams: readonly TestTeam[]): CourierHome {
  const courier = setupCourierHome(`${root}.courier`, teams, "dir:/unused");
  const home = resolveHome(root);
  createHome(home);
  saveServedMailboxes(home, loadTeams(courier).map(servedMailboxOf));
  return home;
}
