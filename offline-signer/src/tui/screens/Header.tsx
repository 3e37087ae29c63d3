import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";
import { short } from "../../cli/format.js";
import type { VaultStatus } from "../../vault/report.js";

export function Header({ status, space }: { readonly status: VaultStatus; readonly space?: { readonly current: string; readonly index: number; readonly count: number } | undefined }): ReactElement {
  const { team, me } = status;
  return (
    <Box flexDirection="column">
      {status.insecureKdf ? (
        <Text backgroundColor="red" color="white" bold>
          {" "}!! TEST-ONLY KEY DERIVATION: never keep real data in this vault !!{" "}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        <Text bold color="cyan">Airlock</Text>
        {space === undefined || space.count < 2 ? "" : `  space "${space.current}" (${space.index + 1}/${space.count}, S: next)`}
        {team === undefined ? "  (not in a team yet)" : `  team "${team.name}" (${short(team.id)})`}
        {"  you: "}
        <Text bold>{me.name ?? "?"}</Text>
        {me.role === undefined ? "" : ` · ${me.role}`}
        {team !== undefined && !me.active ? <Text color="red"> (REMOVED)</Text> : null}
        {`  device ${short(me.device)}`}
      </Text>
    </Box>
  );
}
