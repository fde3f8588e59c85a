/** @module The dashboard's script. */
export const DASHBOARD_SCRIPT = "";
