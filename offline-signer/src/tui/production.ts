/**
 * React in production mode for the TUI: imported first by run.tsx (and the TUI bench), before
 * react and ink are loaded, since React picks its build when its module is first evaluated. The
 * development build checks every render and costs several times the time per key. An explicit
 * NODE_ENV is kept (tests run React's development build on purpose).
 */
process.env["NODE_ENV"] ??= "production";
