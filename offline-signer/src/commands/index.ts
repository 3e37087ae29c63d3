/** The command table oclif loads (package.json: oclif.commands, explicit strategy; topics use spaces). */
import { ApprovalsApprove, ApprovalsList, ApprovalsRequire, CollectionsAdd, CollectionsCompact, CollectionsList, CollectionsPolicy } from "./collections.js";
import { DevicesAdd, DevicesList, DevicesRevoke } from "./devices.js";
import { MembersAdd, MembersList, MembersRemove, MembersRole } from "./members.js";
import { PassphraseChange } from "./passphrase.js";
import { Lock, Unlock } from "./session.js";
import { CourierEnroll } from "./courier-enroll.js";
import { CouriersList, CouriersRevoke } from "./couriers.js";
import { Export } from "./export.js";
import { Import } from "./import.js";
import { Init, Join, Log, Status } from "./team.js";
import { Tui } from "../tui/command.js";
import { Search } from "./search.js";
import { AttachAdd, AttachGet, AttachList, AttachPrune, AttachQuota, AttachRm } from "./attach.js";
import { Upgrade } from "./upgrade.js";
import { Backup } from "./backup.js";
import { Restore } from "./restore.js";
import { RecoveryHeld, RecoveryRelease, RecoverySetup } from "./recovery.js";
import { RecoverAdd, RecoverFinish, RecoverStart } from "./recover.js";
import { APP_COMMANDS } from "../apps/commands.js";
import { HelpCommand } from "./help.js";
import { Completion } from "./completion.js";
import { SpacesCreate, SpacesJoin, SpacesLeave, SpacesList, SpacesUse } from "./spaces.js";
import { SpacesOrgsAdd, SpacesOrgsRemove } from "./spaces-orgs.js";

export const COMMANDS = {
  init: Init,
  join: Join,
  status: Status,
  log: Log,
  "members:add": MembersAdd,
  "members:list": MembersList,
  "members:remove": MembersRemove,
  "members:role": MembersRole,
  "devices:add": DevicesAdd,
  "devices:list": DevicesList,
  "devices:revoke": DevicesRevoke,
  "collections:add": CollectionsAdd,
  "collections:list": CollectionsList,
  "collections:policy": CollectionsPolicy,
  "collections:compact": CollectionsCompact,
  "approvals:list": ApprovalsList,
  "approvals:approve": ApprovalsApprove,
  "approvals:require": ApprovalsRequire,
  ...APP_COMMANDS,
  "attach:add": AttachAdd,
  "attach:list": AttachList,
  "attach:get": AttachGet,
  "attach:rm": AttachRm,
  "attach:prune": AttachPrune,
  "attach:quota": AttachQuota,
  search: Search,
  export: Export,
  import: Import,
  "courier-enroll": CourierEnroll,
  "couriers:list": CouriersList,
  "couriers:revoke": CouriersRevoke,
  "spaces:list": SpacesList,
  "spaces:create": SpacesCreate,
  "spaces:join": SpacesJoin,
  "spaces:use": SpacesUse,
  "spaces:leave": SpacesLeave,
  "spaces:orgs:add": SpacesOrgsAdd,
  "spaces:orgs:remove": SpacesOrgsRemove,
  "passphrase:change": PassphraseChange,
  unlock: Unlock,
  lock: Lock,
  upgrade: Upgrade,
  backup: Backup,
  restore: Restore,
  "recovery:setup": RecoverySetup,
  "recovery:held": RecoveryHeld,
  "recovery:release": RecoveryRelease,
  "recover:start": RecoverStart,
  "recover:add": RecoverAdd,
  "recover:finish": RecoverFinish,
  tui: Tui,
  help: HelpCommand,
  completion: Completion,
};
