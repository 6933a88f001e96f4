"""Lua scripts that make each job-store write one atomic step (state check, hash update, event, TTLs).

Every event entry has the same fields: kind, state, stage, progress, error_code, error_message, time. A transition
into a settling state (services.gateway.jobs.model.SETTLED) also appends the job id to the settled stream, the
queue of services.gateway.worker.settler.
"""

CREATE = """
-- KEYS: job hash, events stream, tenant index, idempotency key, work stream (the last two: '' = none)
-- ARGV: job id, now, retention_s, events maxlen, prune scores below, work task, work payload,
--       then hash field/value pairs
if KEYS[4] ~= '' then
  local existing = redis.call('GET', KEYS[4])
  if existing then return {'EXISTS', existing} end
  redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[3])
end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'created', 'state', 'QUEUED', 'stage', '',
           'progress', '0', 'error_code', '', 'error_message', '', 'time', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5])
redis.call('EXPIRE', KEYS[3], ARGV[3])
if KEYS[5] ~= '' then
  -- the job's first work item, in the same step: a job is never created without one
  redis.call('XADD', KEYS[5], '*', 'job_id', ARGV[1], 'task', ARGV[6], 'payload', ARGV[7])
end
return {'CREATED', ARGV[1]}
"""

UPDATE = """
-- KEYS: job hash, events stream, settled stream, work stream ('' = no work item)
-- ARGV: allowed current states as ",A,B,", new state ('' keeps it), event kind, now, retention_s,
--       events maxlen, states announced on the settled stream as ",A,B,", work task, work payload,
--       then hash field/value pairs
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'NOT_FOUND'} end
if not string.find(ARGV[1], ',' .. state .. ',', 1, true) then return {'BAD_STATE', state} end
if ARGV[2] ~= '' then state = ARGV[2] end
local fields = {'state', state, 'update_time', ARGV[4]}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
local ev = redis.call('HMGET', KEYS[1], 'stage', 'progress', 'error_code', 'error_message')
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'kind', ARGV[3], 'state', state,
                      'stage', ev[1] or '', 'progress', ev[2] or '', 'error_code', ev[3] or '',
                      'error_message', ev[4] or '', 'time', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if ARGV[2] ~= '' and string.find(ARGV[7], ',' .. ARGV[2] .. ',', 1, true) then
  -- in the same step as the transition, so no settled job is ever missed (the settler acts on it)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'job_id', redis.call('HGET', KEYS[1], 'id'),
             'task', 'settle', 'payload', '{"state": "' .. ARGV[2] .. '"}')
end
if KEYS[4] ~= '' then
  -- the work this transition asks for (e.g. a render), queued in the same step
  redis.call('XADD', KEYS[4], '*', 'job_id', redis.call('HGET', KEYS[1], 'id'), 'task', ARGV[8], 'payload', ARGV[9])
end
return {'OK', id, redis.call('HGETALL', KEYS[1])}
"""

RELEASE_IDEMPOTENCY = """
-- KEYS: idempotency key; ARGV: the job id it must still point at
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
