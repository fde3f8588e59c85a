/** @module The dashboard's HTML and styles. */
export const DASHBOARD_HTML = "<!doctype html><title>dashboard</title>";
export const DASHBOARD_CSS = "";
