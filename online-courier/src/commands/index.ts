/** The command table oclif loads (package.json: oclif.commands, explicit strategy). */
import Deliver from "./deliver.js";
import Ingest from "./ingest.js";
import Init from "./init.js";
import Inspect from "./inspect.js";
import Keygen from "./keygen.js";
import MailboxKey from "./mailbox-key.js";
import Serve from "./serve.js";
import ServeInit from "./serve-init.js";
import Status from "./status.js";
import Sync from "./sync.js";
import HelpCommand from "./help.js";
import Completion from "./completion.js";

export const COMMANDS = { keygen: Keygen, init: Init, ingest: Ingest, sync: Sync, deliver: Deliver, serve: Serve, "serve-init": ServeInit, "mailbox-key": MailboxKey, status: Status, inspect: Inspect, help: HelpCommand, completion: Completion };
