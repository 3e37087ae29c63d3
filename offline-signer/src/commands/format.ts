/** Small text helpers shared by the commands' human output. */
import { ROLES } from "../team/entry.js";

export { asRole, peerLine, short, table, when } from "../cli/format.js";

export const ROLE_OPTIONS = [...ROLES] as string[];
