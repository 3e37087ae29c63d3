/** The keys every collection screen shares (Main handles them), for each screen's help line. */
export const GLOBAL_KEYS = "/ search · x export · i import · t team · p collections & approvals · s status · l log · q quit";
