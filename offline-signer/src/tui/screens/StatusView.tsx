/** `airlock status` as a screen: members, collections, sync counts, quarantine, pending approvals. */
import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";
import { peerLine, short } from "../../cli/format.js";
import type { VaultStatus } from "../../vault/report.js";

export function StatusView({ status: s }: { readonly status: VaultStatus }): ReactElement {
  const quarantined = s.quarantine.length + s.rejectedEntries.length;
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold>Status</Text>
      <Text bold>Members ({s.members.length})</Text>
      {s.members.map((m) => (
        <Text key={m.id} wrap="truncate-end">
          {"  "}
          {m.name.padEnd(16)} {m.role.padEnd(7)} {m.active ? `${m.devices} device(s)` : "removed"}  <Text dimColor>{short(m.id)}</Text>
        </Text>
      ))}
      <Text bold>Collections ({s.collections.length})</Text>
      {s.collections.map((c) => (
        <Text key={c.id} wrap="truncate-end">
          {"  "}
          {c.id.padEnd(16)} read {c.read}+ · write {c.write}+ · {c.canRead ? `${c.records} record(s)` : "no key on this device"}
        </Text>
      ))}
      <Text>
        <Text bold>Changesets</Text>: {s.changesets.applied} applied, {s.changesets.locked} locked (no key), {s.changesets.waiting} waiting, {s.changesets.rejected} rejected
      </Text>
      {s.alerts.length > 0 ? (
        <Text bold color="red">
          Alerts ({s.alerts.length})
        </Text>
      ) : null}
      {s.alerts.map((x, i) => (
        <Text key={`alert-${i}`} wrap="truncate-end" color="red">
          {"  ! "}
          {x}
        </Text>
      ))}
      <Text bold color={quarantined > 0 ? "red" : undefined}>
        Quarantined ({quarantined})
      </Text>
      {s.rejectedEntries.map((r) => (
        <Text key={r.entry} wrap="truncate-end">
          {"  team entry "}
          {short(r.entry)}: {r.reason}
        </Text>
      ))}
      {s.quarantine.slice(0, 20).map((q, i) => (
        <Text key={i} wrap="truncate-end">
          {"  "}
          {q.kind} by {q.author === undefined ? "?" : short(q.author)}: {q.reason}
        </Text>
      ))}
      <Text bold>Pending approvals ({s.pendingApprovals.length})</Text>
      {s.pendingApprovals.map((p) => (
        <Text key={p.id}>
          {"  "}
          {short(p.id)} {p.what} (by {p.proposer}) {p.approvals}/{p.required}
        </Text>
      ))}
      {s.peers.length > 0 ? <Text bold>Other devices</Text> : null}
      {s.peers.map((p) => (
        <Text key={p.device} wrap="truncate-end">
          {"  "}
          {(p.name ?? "?").padEnd(16)} {short(p.device)} {peerLine(p)}
        </Text>
      ))}
      <Text dimColor>esc or s: back</Text>
    </Box>
  );
}
