/** @module The body of GET /stats: lock-free reads, the same cost for any window. */
import type { StatsResponse } from "../contract/types.js";
import { formatUptime, type StatsReader, windowSecondsFor } from "../counters/stats-reader.js";

export function buildStats(reader: StatsReader, hours: number): StatsResponse {
  const recent = reader.recentVisits(windowSecondsFor(hours));
  const uptime = reader.uptimeSeconds();
  return {
    uptime_seconds: Math.round(uptime * 1000) / 1000,
    uptime_formatted: formatUptime(uptime),
    // Read after the window (buckets trail the total), so recent <= total.
    total_visits: Math.max(reader.totalVisits(), recent),
    current_time: new Date().toISOString(),
    server_status: "running",
    recent_visits: recent,
    timeframe_hours: hours,
  };
}
