// The records merge core: hybrid logical clocks, record ops and their deterministic fold.
export * from "./hlc.js";
export * from "./values.js";
