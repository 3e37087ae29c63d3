/** @airlock/online-courier: the courier. */
export { describeBundle, type InspectedBundle } from "./inspect.js";
export { Courier, type CourierOptions, type IngestOutcome, type BackendRoundReport } from "./courier/courier.js";
export { openMailbox, mailboxKind, type OpenMailboxOptions, type MailboxNamespace } from "./mailbox/open.js";
export { resolveHome, type CourierHome } from "./home/paths.js";
