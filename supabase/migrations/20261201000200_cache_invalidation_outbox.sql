-- Guaranteed cache invalidation (the owner's directive, point 3), as a transactional outbox: every change to the
-- data behind a cached key writes a CACHE_INVALIDATED row into `events` in the same transaction, so a committed
-- change can never miss its invalidation. The edge function deletes the keys right after commit (fast path); a
-- consumer replays rows whose delete did not happen (slow path) and marks them processed.
-- NOTIFY `cache_invalidation` tells isolates that keep an in-process cache to drop the keys too.

alter table love.events add column processed_at timestamptz;

create index events_pending_invalidations on love.events (id)
  where event_type = 'CACHE_INVALIDATED' and processed_at is null;

create function love.record_cache_invalidation(p_clinic text, p_keys text[]) returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into love.events (event_type, clinic_code, data)
  values ('CACHE_INVALIDATED', p_clinic, jsonb_build_object('keys', to_jsonb(p_keys)));
  perform pg_notify('cache_invalidation', jsonb_build_object('keys', to_jsonb(p_keys))::text);
end
$$;

-- The keys each table's rows stand behind; keep in step with functions/_shared/cache-keys.ts.
create function love.invalidate_queue_keys() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform love.record_cache_invalidation(new.clinic_id, array[
    'queue:list:' || new.clinic_id,
    'queue:status:' || new.clinic_id,
    'stats:queues',
    'stats:dashboard'
  ]);
  return null;
end
$$;

create trigger queue_entries_invalidate_cache
  after insert or update on love.queue_entries
  for each row execute function love.invalidate_queue_keys();

create function love.invalidate_pin_keys() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform love.record_cache_invalidation(new.clinic_id, array['pins:current', 'pins:daily:' || new.pin_day::text]);
  return null;
end
$$;

create trigger daily_pins_invalidate_cache
  after insert or update on love.daily_pins
  for each row execute function love.invalidate_pin_keys();

create function love.invalidate_route_keys() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform love.record_cache_invalidation(null, array['route:' || new.patient_key]);
  return null;
end
$$;

create trigger routes_invalidate_cache
  after insert or update on love.routes
  for each row execute function love.invalidate_route_keys();
