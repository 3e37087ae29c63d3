/** What to do when there is nothing to show yet: no vault at --home, or a vault with no team. */
import { Box } from "ink";
import { Text } from "../components/Text.js";
import type { ReactElement } from "react";

export function NoVault({ home }: { readonly home: string }): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>No vault at {home}</Text>
      <Text> </Text>
      <Text>To start a team on this laptop:</Text>
      <Text color="cyan">  airlock init --team "Field office" --name YOUR-NAME --home {home}</Text>
      <Text>To join a team someone else started:</Text>
      <Text color="cyan">  airlock join --name YOUR-NAME --out request.airlock-join --home {home}</Text>
      <Text>  then carry the request to an admin, and import the bundles they export for you.</Text>
      <Text>Or point --home / AIRLOCK_HOME at an existing vault. Then run airlock again.</Text>
      <Text> </Text>
      <Text dimColor>q or esc: quit</Text>
    </Box>
  );
}

export function NoTeam({ name }: { readonly name: string | undefined }): ReactElement {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>This vault is not in a team yet{name === undefined ? "" : ` (you asked to join as ${name})`}.</Text>
      <Text> </Text>
      <Text>If you have not yet: write a join request and carry it to an admin:</Text>
      <Text color="cyan">  airlock join --name YOUR-NAME --out request.airlock-join</Text>
      <Text>When the admin has added you and exported, press i and give the USB folder or bundle path.</Text>
      <Text>To start a new team here instead:</Text>
      <Text color="cyan">  airlock init --team "Field office" --name YOUR-NAME</Text>
      <Text> </Text>
      <Text dimColor>i import · s status · q quit</Text>
    </Box>
  );
}
