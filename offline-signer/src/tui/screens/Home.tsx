/**
 * The home screen: what needs a person, each with the key that goes there. Bundles on an
 * inserted stick, changes the other devices have not acknowledged yet, what was quarantined,
 * changes waiting for this admin's approval, urgent tickets, alerts. Read from the services
 * `airlock status` uses (vault/report.ts vaultStatus, apps/tickets/urgent.ts); no SQL here.
 *
 * The TUI opens on it when something besides outgoing changes needs a look: after any edit
 * there are changes to send, and a screen that greets every start with that alone would soon
 * be skipped without reading.
 */
import { Box } from "ink";
import type { ReactElement } from "react";
import { urgentTickets, type UrgentTicket } from "../../apps/tickets/urgent.js";
import { vaultStatus } from "../../vault/report.js";
import type { Vault } from "../../vault/vault.js";
import { Text } from "../components/Text.js";
import type { Stick } from "../sticks.js";

export type HomeKey = "i" | "x" | "s" | "p" | "u";

export interface AttentionItem {
  readonly key: HomeKey;
  readonly text: string;
  /** Outgoing changes alone do not open the home screen. */
  readonly outgoing?: boolean;
}

export interface Attention {
  readonly items: readonly AttentionItem[];
  /** The first stick with bundles, what i imports. */
  readonly stick: Stick | undefined;
  readonly urgent: readonly UrgentTicket[];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What needs attention now; `sticks` undefined while they are still being looked for. */
export function attentionOf(vault: Vault, sticks: readonly Stick[] | undefined): Attention {
  const status = vaultStatus(vault);
  const items: AttentionItem[] = [];
  const stick = sticks?.[0];
  if (stick !== undefined) {
    const more = sticks!.length > 1 ? ` (and ${plural(sticks!.length - 1, "more stick")}: press i and give its path)` : "";
    items.push({ key: "i", text: `${plural(stick.bundles, "bundle")} on the stick at ${stick.root}: import them${more}` });
  }
  const waiting = status.peers.filter((p) => p.unacknowledged.changesets + p.unacknowledged.entries > 0);
  if (waiting.length > 0) {
    const most = Math.max(...waiting.map((p) => p.unacknowledged.changesets));
    const what = most > 0 ? `${plural(most, "change set")} not yet acknowledged` : "team changes not yet acknowledged";
    items.push({ key: "x", text: `${what} by ${plural(waiting.length, "device")} (${waiting.map((p) => p.name ?? p.device.slice(0, 8)).join(", ")}): export them`, outgoing: true });
  }
  const quarantined = status.quarantine.length + status.rejectedEntries.length;
  if (quarantined > 0) items.push({ key: "s", text: `${plural(quarantined, "item")} quarantined (refused on arrival): see why` });
  if (status.alerts.length > 0) items.push({ key: "s", text: `${plural(status.alerts.length, "alert")}: ${status.alerts[0]}` });
  const mine = status.pendingApprovals.filter((p) => !p.approvedByMe);
  if (mine.length > 0 && (status.me.role === "admin" || status.me.role === "owner")) {
    items.push({ key: "p", text: `${plural(mine.length, "change")} waiting for your approval: ${mine[0]!.what}` });
  }
  const urgent = urgentTickets(vault);
  if (urgent.length > 0) items.push({ key: "u", text: `${plural(urgent.length, "urgent ticket")}: ${urgent.map((t) => t.title).join(" · ")}` });
  return { items, stick, urgent };
}

/** Whether the TUI opens on the home screen. */
export const opensHome = (a: Attention): boolean => a.items.some((i) => i.outgoing !== true);

export function Home({ attention, looking }: { readonly attention: Attention; readonly looking: boolean }): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Needs attention</Text>
      {attention.items.length === 0 ? <Text color="green">Nothing: every device has what you wrote, and nothing was refused.</Text> : null}
      {attention.items.map((item, i) => (
        <Text key={`${item.key}${i}`} wrap="truncate-end">
          <Text bold color="cyan">{`${item.key}  `}</Text>
          {item.text}
        </Text>
      ))}
      {looking ? <Text dimColor>looking for inserted sticks…</Text> : null}
      <Text dimColor>enter or esc: your collections · h comes back here · q quit</Text>
    </Box>
  );
}
