/** @airlock/online-courier: the courier. Today: header inspection. */
export { describeBundle, type InspectedBundle } from "./inspect.js";
