/**
 * @module The Redis Function library every instance loads (Redis ≥ 7.0).
 * Functions run atomically and, unlike EVALSHA's script cache, are persisted
 * (RDB/AOF) and replicated. Every key sits under one prefix with a hash tag.
 *
 * Keys, P = "{<cluster key>}:":
 *   P total           visits applied, the whole cluster
 *   P ids             highest visit number handed out in a block
 *   P node:<id>       seq (last batch applied), applied (visits), block/size (reservation of that batch),
 *                     owner (token of the process holding the node id), stamp (Redis ms of its last heartbeat)
 *   P seen            sorted set: node id → Redis time (ms) of its last heartbeat
 *   P s:<hour>        hash: second of the hour → visits   (expires 170 h after the hour)
 *   P m:<day>         hash: minute of the day → visits    (expires 9 days after the day)
 *   P h:<day>         hash: hour of the day → visits      (expires 9 days after the day)
 *   P rolled          last hour whose seconds are summed into m: and h: (later hours: read s:)
 *
 * Cost (INFO commandstats counts every command a function runs, and FCALL
 * itself): a round with visits is FCALL, HMGET + HSET of the node, one
 * HINCRBY per second in the batch and INCRBY total; a round without is FCALL
 * and GET total. Once a second the heartbeat adds TIME, ZADD + ZCOUNT of the
 * seen set (and, when idle, HMGET + HSET of the node: its lease). Once an
 * hour, per node: expiries of the new hour's keys, the roll of an hour's
 * seconds into minute and hour sums (by the first node to get there). A batch
 * with seconds of rolled hours (late visits, a backlog after an outage) adds
 * one HINCRBY per minute and per hour it touches and the expiries of its keys
 * (once per key and batch), on top of the HINCRBY per second.
 *
 * Version 3 (v2 was traffic_tracker_2/tt2_*): the key layout is v2's plus
 * `rolled` and the node's owner/stamp, so v2 and v3 instances can share one
 * campaign during a rolling upgrade (v2 keeps adding to m:/h: per batch; a
 * roll overwrites an hour's sums with the sums of its seconds, which hold
 * both). A new library name, not REPLACE of the old one: both stay loaded.
 */

export const LIBRARY_NAME = "traffic_tracker_3";
export const SYNC_FUNCTION = "tt3_sync";
export const HISTORY_FUNCTION = "tt3_history";
export const GIVE_BACK_FUNCTION = "tt3_give_back";

/** Seconds of per-second history the history call returns; older visits come as minutes, then hours. */
export const SECONDS_RESOLUTION_SPAN = 3600;
export const MINUTES_RESOLUTION_SPAN = 86400;
export const HISTORY_SPAN_SECONDS = 168 * 3600;

/** Flags of a sync call (a bit mask). */
export const SYNC_HEARTBEAT = 1;
/** The batch holds a second of an hour this process has not written before: expiries, roll, trim. */
export const SYNC_NEW_HOUR = 2;
/** The batch holds a second of an earlier hour than the caller's now: it may belong to a rolled hour. */
export const SYNC_OLD_SECONDS = 4;
/** First contact: claim the node id (argument: the stamp seen unchanged for a whole lease, or ""). */
export const SYNC_CLAIM = 8;

/** Reply status of a sync call. */
export const SYNC_OK = 0;
/** Another process holds the node id (the reply's second element: its stamp). */
export const SYNC_NODE_TAKEN = 1;

/** An hour's seconds are rolled into minute and hour sums this many hours after it began (late batches land before). */
const ROLL_LAG_HOURS = 2;

export const LIBRARY_CODE = `#!lua name=${LIBRARY_NAME}
local SECOND_KEEP = 170 * 3600
local DAY_KEEP = 9 * 86400
local ROLL_BACK_HOURS = 169

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function expire_day(p, day)
  redis.call('EXPIREAT', p .. 'm:' .. day, (day + 1) * 86400 + DAY_KEEP, 'NX')
  redis.call('EXPIREAT', p .. 'h:' .. day, (day + 1) * 86400 + DAY_KEEP, 'NX')
end

-- Sets hour h's minute and hour sums to the sums of its seconds (which hold every visit of it, v2's too).
local function roll_hour(p, h)
  local skey = p .. 's:' .. h
  local fields = redis.call('HGETALL', skey)
  if #fields == 0 then return end
  redis.call('EXPIREAT', skey, (h + 1) * 3600 + SECOND_KEEP, 'NX')
  local minutes, sum = {}, 0
  for i = 1, #fields, 2 do
    local m = math.floor(tonumber(fields[i]) / 60)
    local c = tonumber(fields[i + 1])
    minutes[m] = (minutes[m] or 0) + c
    sum = sum + c
  end
  local day = math.floor(h / 24)
  local set = {}
  for m, c in pairs(minutes) do
    set[#set + 1] = (h % 24) * 60 + m
    set[#set + 1] = c
  end
  redis.call('HSET', p .. 'm:' .. day, unpack(set))
  redis.call('HSET', p .. 'h:' .. day, h % 24, sum)
  expire_day(p, day)
end

-- Rolls the hours not rolled yet up to ROLL_LAG_HOURS before the hour of unix second now (the earlier of
-- Redis's clock and the caller's); returns the last rolled.
local function roll(p, now)
  local upto = math.floor(now / 3600) - ${ROLL_LAG_HOURS}
  local rolled = tonumber(redis.call('GET', p .. 'rolled'))
  if rolled ~= nil and rolled >= upto then return rolled end
  -- No mark yet: only v2 instances wrote, and they kept the sums of every hour.
  local first = math.max(rolled and rolled + 1 or upto, upto - ROLL_BACK_HOURS)
  for h = first, upto do roll_hour(p, h) end
  redis.call('SET', p .. 'rolled', upto)
  return upto
end

-- Applies one batch of a node's visits once (a batch whose seq is not above
-- the node's last applied seq is a retry: not applied again; seq 0 is a poll),
-- reserves numbers with it, and reports the cluster: total, this node's state,
-- nodes seen, and the cluster's visits in each second of the batch.
-- ARGV: prefix, node, token, flags, seq, reserve, ids_floor, claim_stamp, now (unix second), (second, visits)...
-- Returns { status, total, applied, last seq, block, size, nodes, (second, cluster visits)... }; -1: not read.
redis.register_function('${SYNC_FUNCTION}', function(keys, args)
  local p, node, token = args[1], args[2], args[3]
  local flags, seq = tonumber(args[4]), tonumber(args[5])
  local reserve, floor, claim_stamp, now = tonumber(args[6]), tonumber(args[7]), args[8], tonumber(args[9])
  local heartbeat = bit.band(flags, ${SYNC_HEARTBEAT}) ~= 0
  local claim = bit.band(flags, ${SYNC_CLAIM}) ~= 0
  local nkey = p .. 'node:' .. node
  local last, applied, block, size, nodes = -1, -1, 0, 0, -1
  local total
  local ms
  local counts = {}
  if seq > 0 or heartbeat or claim then
    local state = redis.call('HMGET', nkey, 'seq', 'applied', 'block', 'size', 'owner', 'stamp')
    local owner, stamp = state[5], state[6]
    -- Another process holds this node id (its heartbeat moves the stamp): refuse, unless the
    -- claimant saw the stamp stand still for a whole lease (that process is gone).
    if owner and owner ~= '' and owner ~= token and not (claim and stamp and stamp == claim_stamp) then
      return { ${SYNC_NODE_TAKEN}, stamp or '' }
    end
    last = tonumber(state[1]) or 0
    applied = tonumber(state[2]) or 0
    block = tonumber(state[3]) or 0
    size = tonumber(state[4]) or 0
    if heartbeat or claim then ms = now_ms() end
    if seq > last then
      local new_hour = bit.band(flags, ${SYNC_NEW_HOUR}) ~= 0
      local rolled, hour_ms
      if new_hour then
        -- Rolled by Redis's clock (or the caller's, if behind): a node whose clock runs ahead must not
        -- roll an hour the others still write to.
        hour_ms = ms or now_ms()
        rolled = roll(p, math.min(now, math.floor(hour_ms / 1000)))
      end
      if bit.band(flags, ${SYNC_OLD_SECONDS}) ~= 0 and rolled == nil then
        rolled = tonumber(redis.call('GET', p .. 'rolled')) or math.huge
      end
      local n = 0
      -- Expiries for the hours of a new hour's batch, and of a late one (its key may be new: nobody else set them).
      local expire = new_hour or rolled ~= nil
      local expired = {}
      -- Late seconds of rolled hours, summed per batch: one HINCRBY per minute and hour, two EXPIREAT per day.
      local late_minutes, late_hours = {}, {}
      for i = 10, #args, 2 do
        local s, c = tonumber(args[i]), tonumber(args[i + 1])
        local hour = math.floor(s / 3600)
        local skey = p .. 's:' .. hour
        counts[#counts + 1] = s
        counts[#counts + 1] = redis.call('HINCRBY', skey, s % 3600, c)
        if expire and not expired[hour] then
          redis.call('EXPIREAT', skey, (hour + 1) * 3600 + SECOND_KEEP, 'NX')
          expired[hour] = true
        end
        -- A second of an hour already rolled: its minute and hour sums take it directly.
        if rolled ~= nil and hour <= rolled then
          local minute = math.floor(s / 60)
          late_minutes[minute] = (late_minutes[minute] or 0) + c
          late_hours[hour] = (late_hours[hour] or 0) + c
        end
        n = n + c
      end
      local days = {}
      for minute, c in pairs(late_minutes) do
        local day = math.floor(minute / 1440)
        redis.call('HINCRBY', p .. 'm:' .. day, minute % 1440, c)
        days[day] = true
      end
      for hour, c in pairs(late_hours) do
        redis.call('HINCRBY', p .. 'h:' .. math.floor(hour / 24), hour % 24, c)
      end
      for day in pairs(days) do expire_day(p, day) end
      if n > 0 then total = redis.call('INCRBY', p .. 'total', n) end
      applied = applied + n
      block, size = 0, 0
      if reserve > 0 then
        block, size = redis.call('INCRBY', p .. 'ids', reserve), reserve
        -- Never hand out numbers below what a node still holds (Redis restarted without its last writes).
        if block - reserve < floor then
          block = floor + reserve
          redis.call('SET', p .. 'ids', block)
        end
      end
      last = seq
      if ms then
        redis.call('HSET', nkey, 'seq', seq, 'applied', applied, 'block', block, 'size', size, 'owner', token, 'stamp', ms)
      else
        redis.call('HSET', nkey, 'seq', seq, 'applied', applied, 'block', block, 'size', size)
      end
      if new_hour then
        redis.call('ZREMRANGEBYSCORE', p .. 'seen', '-inf', hour_ms - 86400000)
      end
    elseif ms then
      -- The lease: a heartbeat moves the stamp, which tells a claimant this process is alive.
      redis.call('HSET', nkey, 'owner', token, 'stamp', ms)
    end
    if heartbeat then
      redis.call('ZADD', p .. 'seen', ms, node)
      nodes = redis.call('ZCOUNT', p .. 'seen', ms - 10000, '+inf')
    end
  end
  total = total or tonumber(redis.call('GET', p .. 'total')) or 0
  local out = { ${SYNC_OK}, total, applied, last, block, size, nodes }
  for i = 1, #counts do out[#out + 1] = counts[i] end
  return out
end)

-- Appends [start second, visits] pairs for [lo, hi) from the hashes <kind><k>
-- (field f of hash k starts at k * span + f * unit).
local function emit_sums(p, out, kind, span, unit, lo, hi)
  if hi <= lo then return end
  for k = math.floor(lo / span), math.floor((hi - 1) / span) do
    local fields = redis.call('HGETALL', p .. kind .. k)
    for i = 1, #fields, 2 do
      local start = k * span + tonumber(fields[i]) * unit
      if start >= lo and start < hi then
        out[#out + 1] = start
        out[#out + 1] = tonumber(fields[i + 1])
      end
    end
  end
end

-- The cluster's total and its last week as [start second, visits] pairs: per
-- second for the last hour, per minute for the last day, per hour before; per
-- second, too, for hours not rolled into minute and hour sums yet.
-- ARGV: prefix, now (unix second). Returns total, then the pairs flattened.
redis.register_function{function_name = '${HISTORY_FUNCTION}', flags = { 'no-writes' }, callback = function(keys, args)
  local p, now = args[1], tonumber(args[2])
  local sec_from = math.floor((now - ${SECONDS_RESOLUTION_SPAN}) / 60) * 60
  local min_from = math.floor((now - ${MINUTES_RESOLUTION_SPAN}) / 3600) * 3600
  local hour_from = math.floor((now - ${HISTORY_SPAN_SECONDS}) / 3600) * 3600
  local rolled = tonumber(redis.call('GET', p .. 'rolled'))
  -- Minute and hour sums are complete before this second (no mark: only v2 wrote, which kept them all).
  local summed = rolled and (rolled + 1) * 3600 or math.huge
  local out = { tonumber(redis.call('GET', p .. 'total')) or 0 }
  emit_sums(p, out, 'h:', 86400, 3600, hour_from, math.min(min_from, summed))
  emit_sums(p, out, 'm:', 86400, 60, min_from, math.min(sec_from, summed))
  emit_sums(p, out, 's:', 3600, 1, math.max(hour_from, math.min(sec_from, summed)), now + 1)
  return out
end}

-- At a node's stop: gives its unused numbers back when nobody reserved a block
-- since (the counter is lowered to just below the first unused number), and
-- releases the node id (a restart claims it at once).
-- ARGV: prefix, block end (0: none), first unused number, node, token. Returns 1 if given back.
redis.register_function('${GIVE_BACK_FUNCTION}', function(keys, args)
  local p, block_end, first_unused = args[1], tonumber(args[2]), tonumber(args[3])
  local nkey = p .. 'node:' .. args[4]
  if redis.call('HGET', nkey, 'owner') == args[5] then redis.call('HSET', nkey, 'owner', '') end
  if block_end > 0 and tonumber(redis.call('GET', p .. 'ids')) == block_end then
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
