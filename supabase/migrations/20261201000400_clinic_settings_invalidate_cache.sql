-- stats/queues (cached under `stats:queues`) shows each clinic's call_interval_minutes and capacity from
-- clinic_settings, but no write to clinic_settings recorded an invalidation: after admin/set-call-interval the
-- cached stats/queues kept the old interval until its TTL ran out. The same outbox as the queue's writes
-- (love.record_cache_invalidation: an events row in the writing transaction + NOTIFY for in-process caches).
-- Expand-only: a new trigger function and trigger.

create function love.invalidate_clinic_settings_keys() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform love.record_cache_invalidation(new.clinic_id, array['stats:queues']);
  return null;
end
$$;

create trigger clinic_settings_invalidate_cache
  after insert or update on love.clinic_settings
  for each row execute function love.invalidate_clinic_settings_keys();

revoke all on function love.invalidate_clinic_settings_keys() from public, anon, authenticated;
