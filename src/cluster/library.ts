/**
 * @module The Redis Function library every instance loads (Redis ≥ 7.0).
 * Functions run atomically and, unlike EVALSHA's script cache, are persisted
 * (RDB/AOF) and replicated. Every key sits under one prefix with a hash tag.
 *
 * Keys, P = "{<cluster key>}:":
 *   P total           visits applied, the whole cluster
 *   P ids             highest visit number handed out in a block
 *   P node:<id>       seq (last batch applied), applied (visits), block/size (reservation of that batch)
 *   P seen            sorted set: node id → Redis time (ms) of its last sync
 *   P s:<hour>        hash: second of the hour → visits   (expires 170 h after the hour)
 *   P m:<day>         hash: minute of the day → visits    (expires 9 days after the day)
 *   P h:<day>         hash: hour of the day → visits      (expires 9 days after the day)
 */

export const LIBRARY_NAME = "traffic_tracker_2";
export const SYNC_FUNCTION = "tt2_sync";
export const HISTORY_FUNCTION = "tt2_history";
export const GIVE_BACK_FUNCTION = "tt2_give_back";

/** Seconds of per-second history the history call returns; older visits come as minutes, then hours. */
export const SECONDS_RESOLUTION_SPAN = 3600;
export const MINUTES_RESOLUTION_SPAN = 86400;
export const HISTORY_SPAN_SECONDS = 168 * 3600;

export const LIBRARY_CODE = `#!lua name=${LIBRARY_NAME}
local SECOND_KEEP = 170 * 3600
local DAY_KEEP = 9 * 86400

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Adds c visits to unix second s: its per-second, per-minute and per-hour sums.
local function add_second(p, s, c)
  local hour = math.floor(s / 3600)
  local day = math.floor(s / 86400)
  local skey = p .. 's:' .. hour
  local mkey = p .. 'm:' .. day
  local hkey = p .. 'h:' .. day
  local first = redis.call('HINCRBY', skey, s % 3600, c) == c
  redis.call('HINCRBY', mkey, math.floor((s % 86400) / 60), c)
  redis.call('HINCRBY', hkey, math.floor((s % 86400) / 3600), c)
  -- Expiries are set when a second first gets visits: a few commands a second, not per batch.
  if first then
    redis.call('EXPIREAT', skey, (hour + 1) * 3600 + SECOND_KEEP, 'NX')
    redis.call('EXPIREAT', mkey, (day + 1) * 86400 + DAY_KEEP, 'NX')
    redis.call('EXPIREAT', hkey, (day + 1) * 86400 + DAY_KEEP, 'NX')
  end
  return first
end

-- Applies one batch of a node's visits once (a batch whose seq is not above the
-- node's last applied seq is a retry: not applied again), reserves numbers with
-- it, and reports the cluster: total, this node's state, nodes seen, and the
-- cluster's visits in seconds [from, to].
-- ARGV: prefix, node, seq, reserve, ids_floor, from, to, (second, visits)...
redis.register_function('${SYNC_FUNCTION}', function(keys, args)
  local p, node = args[1], args[2]
  local seq, reserve, floor = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
  local from, to = tonumber(args[6]), tonumber(args[7])
  local nkey = p .. 'node:' .. node
  local state = redis.call('HMGET', nkey, 'seq', 'applied', 'block', 'size')
  local last = tonumber(state[1]) or 0
  local applied = tonumber(state[2]) or 0
  local block = tonumber(state[3]) or 0
  local size = tonumber(state[4]) or 0
  local now = now_ms()
  if seq > last then
    local n = 0
    local fresh = false
    for i = 8, #args, 2 do
      local c = tonumber(args[i + 1])
      n = n + c
      if add_second(p, tonumber(args[i]), c) then fresh = true end
    end
    if n > 0 then redis.call('INCRBY', p .. 'total', n) end
    applied = applied + n
    block, size = 0, 0
    if reserve > 0 then
      -- Never hand out numbers below what a node still holds (Redis restarted without its last writes).
      local ids = tonumber(redis.call('GET', p .. 'ids')) or 0
      if ids < floor then redis.call('SET', p .. 'ids', floor) end
      block, size = redis.call('INCRBY', p .. 'ids', reserve), reserve
    end
    redis.call('HSET', nkey, 'seq', seq, 'applied', applied, 'block', block, 'size', size)
    last = seq
    if fresh then redis.call('ZREMRANGEBYSCORE', p .. 'seen', '-inf', now - 86400000) end
  end
  redis.call('ZADD', p .. 'seen', now, node)
  local nodes = redis.call('ZCOUNT', p .. 'seen', now - 10000, '+inf')
  local total = tonumber(redis.call('GET', p .. 'total')) or 0
  local out = { total, applied, last, block, size, nodes, now }
  local s = from
  while s <= to do
    local hour = math.floor(s / 3600)
    local stop = math.min(to, hour * 3600 + 3599)
    local fields = {}
    for t = s, stop do fields[#fields + 1] = t % 3600 end
    local got = redis.call('HMGET', p .. 's:' .. hour, unpack(fields))
    for i = 1, #got do out[#out + 1] = tonumber(got[i]) or 0 end
    s = stop + 1
  end
  return out
end)

-- The cluster's total and its last week as [start second, visits] pairs: per
-- second for the last hour, per minute for the last day, per hour before.
-- ARGV: prefix, now (unix second). Returns total, then the pairs flattened.
redis.register_function{function_name = '${HISTORY_FUNCTION}', flags = { 'no-writes' }, callback = function(keys, args)
  local p, now = args[1], tonumber(args[2])
  local sec_from = math.floor((now - ${SECONDS_RESOLUTION_SPAN}) / 60) * 60
  local min_from = math.floor((now - ${MINUTES_RESOLUTION_SPAN}) / 3600) * 3600
  local hour_from = math.floor((now - ${HISTORY_SPAN_SECONDS}) / 3600) * 3600
  local out = { tonumber(redis.call('GET', p .. 'total')) or 0 }
  local function emit(start, visits)
    out[#out + 1] = start
    out[#out + 1] = tonumber(visits)
  end
  for day = math.floor(hour_from / 86400), math.floor(now / 86400) do
    local hours = redis.call('HGETALL', p .. 'h:' .. day)
    for i = 1, #hours, 2 do
      local start = day * 86400 + tonumber(hours[i]) * 3600
      if start >= hour_from and start < min_from then emit(start, hours[i + 1]) end
    end
  end
  for day = math.floor(min_from / 86400), math.floor(now / 86400) do
    local minutes = redis.call('HGETALL', p .. 'm:' .. day)
    for i = 1, #minutes, 2 do
      local start = day * 86400 + tonumber(minutes[i]) * 60
      if start >= min_from and start < sec_from then emit(start, minutes[i + 1]) end
    end
  end
  for hour = math.floor(sec_from / 3600), math.floor(now / 3600) do
    local seconds = redis.call('HGETALL', p .. 's:' .. hour)
    for i = 1, #seconds, 2 do
      local start = hour * 3600 + tonumber(seconds[i])
      if start >= sec_from then emit(start, seconds[i + 1]) end
    end
  end
  return out
end}

-- Gives a node's unused numbers back when nobody reserved a block since:
-- the counter is lowered to just below the first unused number.
-- ARGV: prefix, block end, first unused number. Returns 1 if given back.
redis.register_function('${GIVE_BACK_FUNCTION}', function(keys, args)
  local p, block_end, first_unused = args[1], tonumber(args[2]), tonumber(args[3])
  if tonumber(redis.call('GET', p .. 'ids')) == block_end then
    redis.call('SET', p .. 'ids', first_unused - 1)
    return 1
  end
  return 0
end)
`;

/** The key prefix of one campaign: a hash tag, so every key of it maps to one slot. */
export function keyPrefix(clusterKey: string): string {
  return `{${clusterKey}}:`;
}
