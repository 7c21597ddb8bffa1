-- Issue 15, C1: a clinic's daily PIN fell to brute force in seconds. The lockout was 5 wrong PINs per
-- (user, clinic), but `user` may be any invented string and queue/enter costs nothing, so every new id bought 5
-- more guesses (found after 5,930 guesses in 11.8 s); queue_done completed a ticket that was never called, and
-- clinic_exit took guesses for every clinic of a route without any ticket.
--
-- Now three things stand between an attacker and the PIN, none of which an invented id or address gets around:
--   1. The turn rule. A clinic can be finished only when it is the patient's turn, as on a real visit: the ticket
--      was called by staff (CALLED / IN_SERVICE), or it is the head of the clinic's queue (nobody waiting ahead,
--      yesterday's live tickets included, as queue_call orders them). Otherwise NOT_YOUR_TURN, and the PIN is
--      not even compared (no oracle, no count). A clinic has one head, and called tickets come only from staff.
--      clinic_exit needs a ticket too: a route alone never finishes a clinic.
--   2. Per ticket: 5 wrong PINs within 15 minutes lock that (user, clinic) for 15 minutes (as before), and once
--      the clinic is under pressure (below), each further try waits a growing delay after that ticket's last
--      wrong PIN. A ticket's first try is never delayed, so a real patient typing the PIN staff read out
--      always gets in at once.
--   3. Per clinic, across all users: the clinic's wrong PINs of the PIN day are counted. The first 20 are free
--      (typos); after that the delay between a ticket's tries doubles every 10 wrong PINs, from 15 s up to
--      15 minutes (love.pin_retry_delay). Progressive, never a hard lock.
-- And six-digit PINs (900,000 of them) from the next PIN set on: staff read them out in two groups of three, the
-- frontend's PIN field takes six characters. A set already issued keeps its four digits until its day ends.
--
-- The answers: WRONG_PIN means the PIN was compared (attempts_left, and retry_after_seconds when the next try
-- must wait); PIN_LOCKED means it was not (retry_after_seconds); NOT_YOUR_TURN means it was not either.
-- Expand-only: a constraint widened, a column and a table added, functions replaced (same signatures).

alter table love.daily_pins drop constraint daily_pins_pin_check;
alter table love.daily_pins add constraint daily_pins_pin_check check (pin ~ '^[0-9]{4}$' or pin ~ '^[0-9]{6}$');

alter table love.pin_attempts add column last_failure_at timestamptz;

-- Wrong PINs per clinic and PIN day, whoever typed them (the clinic-wide budget of point 3).
create table love.clinic_pin_failures (
  clinic_id text not null references love.clinics (id),
  pin_day date not null,
  failures int not null default 0 check (failures >= 0),
  last_failure_at timestamptz,
  primary key (clinic_id, pin_day)
);
alter table love.clinic_pin_failures enable row level security;
revoke all on table love.clinic_pin_failures from anon, authenticated, public;

-- PINs -----------------------------------------------------------------------------------------------------

-- A six-digit PIN (100000–999999) from the strong generator behind gen_random_uuid(): random() is predictable.
-- The first 12 hex digits of a version-4 UUID are random; the modulo bias over 2^48 is below 1e-8.
create function love.random_pin() returns text
language sql volatile
set search_path = ''
as $$
  select (100000 + ('x' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12))::bit(48)::bigint % 900000)::text
$$;

-- p_count distinct new PINs, none of them in p_taken.
create function love.fresh_pins(p_count int, p_taken text[]) returns text[]
language plpgsql volatile
set search_path = ''
as $$
declare
  v_pins text[] := '{}';
  v_pin text;
begin
  while cardinality(v_pins) < p_count loop
    v_pin := love.random_pin();
    if v_pin <> all (coalesce(p_taken, '{}')) and v_pin <> all (v_pins) then
      v_pins := v_pins || v_pin;
    end if;
  end loop;
  return v_pins;
end
$$;

-- Creates the PIN set of a PIN day for every active clinic that has none yet: distinct six-digit PINs.
create or replace function love.ensure_pins(p_pin_day date, p_now timestamptz default now()) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_missing text[];
  v_taken text[];
  v_fresh text[];
begin
  if not exists (
    select 1 from love.clinics c
    where c.active
      and not exists (select 1 from love.daily_pins p where p.pin_day = p_pin_day and p.clinic_id = c.id)
  ) then
    return;
  end if;
  perform pg_advisory_xact_lock(hashtext('love.daily_pins'), p_pin_day - date '2000-01-01');
  select array_agg(c.id order by c.sort_order) into v_missing
  from love.clinics c
  where c.active
    and not exists (select 1 from love.daily_pins p where p.pin_day = p_pin_day and p.clinic_id = c.id);
  if v_missing is null then
    return;
  end if;
  select coalesce(array_agg(p.pin), '{}') into v_taken from love.daily_pins p where p.pin_day = p_pin_day;
  v_fresh := love.fresh_pins(cardinality(v_missing), v_taken);
  insert into love.daily_pins (pin_day, clinic_id, pin, generated_at)
  select p_pin_day, m.id, v_fresh[m.ord], p_now
  from unnest(v_missing) with ordinality as m (id, ord);
end
$$;

-- Replaces the current PIN day's PIN of one clinic (or of every clinic) with fresh six-digit ones: distinct
-- within the day and different from every PIN of the day's current set, so an old PIN stops working at once.
create or replace function love.pin_generate(p_clinic text, p_admin_id bigint, p_request_key text, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_day date := love.pin_day(p_now);
  v_clinic text;
  v_previous jsonb;
  v_old text[];
  v_targets text[];
  v_fresh text[];
  v_result jsonb;
begin
  if p_clinic is not null then
    v_clinic := love.resolve_clinic(p_clinic);
    if v_clinic is null then
      return love.fail('UNKNOWN_CLINIC');
    end if;
  end if;
  v_previous := love.replayed_request('pin_generate', p_request_key);
  if v_previous is not null then
    return v_previous || jsonb_build_object('replayed', true);
  end if;

  perform love.ensure_pins(v_day, p_now);
  perform pg_advisory_xact_lock(hashtext('love.daily_pins'), v_day - date '2000-01-01');
  select coalesce(array_agg(p.pin), '{}') into v_old from love.daily_pins p where p.pin_day = v_day;
  select coalesce(array_agg(c.id order by c.sort_order), '{}') into v_targets
  from love.clinics c where c.active and (v_clinic is null or c.id = v_clinic);
  v_fresh := love.fresh_pins(cardinality(v_targets), v_old);
  delete from love.daily_pins p where p.pin_day = v_day and (v_clinic is null or p.clinic_id = v_clinic);
  insert into love.daily_pins (pin_day, clinic_id, pin, generated_at)
  select v_day, t.id, v_fresh[t.ord], p_now
  from unnest(v_targets) with ordinality as t (id, ord);
  insert into love.events (event_type, clinic_code, data, created_at)
  values ('PINS_REGENERATED', v_clinic, jsonb_build_object('pin_day', v_day, 'admin_id', p_admin_id), p_now);

  v_result := love.pin_status(v_clinic, p_now)
    || jsonb_build_object('message', case when v_clinic is null then 'PINs regenerated' else 'PIN regenerated' end);
  perform love.remember_request('pin_generate', p_request_key, p_admin_id, v_result, p_now);
  return v_result || jsonb_build_object('replayed', false);
end
$$;

-- Seconds a ticket waits after its own last wrong PIN before its next try, given the clinic's wrong PINs of the
-- PIN day: none for the first 20, then 15 s doubling every 10 up to 15 minutes (21: 15 s, 31: 30 s, 41: 1 min,
-- 51: 2 min, 61: 4 min, 71: 8 min, 81 and more: 15 min).
create function love.pin_retry_delay(p_clinic_failures int) returns int
language sql immutable
as $$
  select case when coalesce(p_clinic_failures, 0) <= 20 then 0
              else least(900, 15 << least(10, (p_clinic_failures - 21) / 10)) end
$$;

-- Checks a PIN against the clinic's PIN of the current PIN day. Returns null when it is right, otherwise the
-- failure. The caller has checked that it is the ticket's turn. A wrong PIN gets the same answer whether or not
-- it is another clinic's (no oracle).
create or replace function love.verify_pin(p_user text, p_clinic text, p_pin text, p_now timestamptz) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_max_failures constant int := 5;
  c_window constant interval := interval '15 minutes';
  c_lock constant interval := interval '15 minutes';
  v_pin text := btrim(coalesce(p_pin, ''));
  v_day date := love.pin_day(p_now);
  v_attempts love.pin_attempts;
  v_clinic_failures int;
  v_delay int;
  v_expected text;
  v_failures int;
  v_window_start timestamptz;
  v_wait int;
begin
  if v_pin = '' then
    return love.fail('PIN_REQUIRED');
  end if;

  -- Creates or locks the pair's row: concurrent attempts of one ticket are taken one by one.
  insert into love.pin_attempts as a (patient_key, clinic_id, failures, window_started_at)
  values (p_user, p_clinic, 0, p_now)
  on conflict (patient_key, clinic_id) do update set failures = a.failures
  returning a.* into v_attempts;

  if v_attempts.locked_until is not null and v_attempts.locked_until > p_now then
    return love.fail('PIN_LOCKED', jsonb_build_object(
      'retry_after_seconds', ceil(extract(epoch from v_attempts.locked_until - p_now))::int));
  end if;
  select f.failures into v_clinic_failures from love.clinic_pin_failures f where f.clinic_id = p_clinic and f.pin_day = v_day;
  v_delay := love.pin_retry_delay(v_clinic_failures);
  if v_delay > 0 and v_attempts.last_failure_at is not null
     and v_attempts.last_failure_at + make_interval(secs => v_delay) > p_now then
    return love.fail('PIN_LOCKED', jsonb_build_object('retry_after_seconds',
      greatest(1, ceil(extract(epoch from v_attempts.last_failure_at + make_interval(secs => v_delay) - p_now))::int)));
  end if;

  perform love.ensure_pins(v_day, p_now);
  select p.pin into v_expected from love.daily_pins p where p.pin_day = v_day and p.clinic_id = p_clinic;

  if v_expected is not null and v_pin = v_expected then
    delete from love.pin_attempts a where a.patient_key = p_user and a.clinic_id = p_clinic;
    return null;
  end if;

  if v_attempts.window_started_at <= p_now - c_window
     or (v_attempts.locked_until is not null and v_attempts.locked_until <= p_now) then
    v_failures := 1;
    v_window_start := p_now;
  else
    v_failures := v_attempts.failures + 1;
    v_window_start := v_attempts.window_started_at;
  end if;
  update love.pin_attempts a set
    failures = v_failures,
    window_started_at = v_window_start,
    locked_until = case when v_failures >= c_max_failures then p_now + c_lock end,
    last_failure_at = p_now
  where a.patient_key = p_user and a.clinic_id = p_clinic;

  insert into love.clinic_pin_failures as f (clinic_id, pin_day, failures, last_failure_at)
  values (p_clinic, v_day, 1, p_now)
  on conflict (clinic_id, pin_day) do update set failures = f.failures + 1, last_failure_at = excluded.last_failure_at
  returning f.failures into v_clinic_failures;

  -- Keep the table small: pairs nobody tried for a day go (keys are client-chosen).
  if random() < 0.01 then
    delete from love.pin_attempts a
    where a.window_started_at < p_now - interval '1 day' and (a.locked_until is null or a.locked_until < p_now);
  end if;

  v_wait := greatest(love.pin_retry_delay(v_clinic_failures),
    case when v_failures >= c_max_failures then extract(epoch from c_lock)::int else 0 end);
  return love.fail('WRONG_PIN', jsonb_build_object('attempts_left', greatest(c_max_failures - v_failures, 0))
    || case when v_wait > 0 then jsonb_build_object('retry_after_seconds', v_wait) else '{}'::jsonb end);
end
$$;

-- The turn rule --------------------------------------------------------------------------------------------

-- Whether it is the ticket's turn, so the clinic may be finished: staff called it, or it is the head of the
-- clinic's queue (no WAITING ticket before it in calling order: yesterday's live ones first, then by number).
create function love.entry_turn_has_come(p_entry love.queue_entries, p_day date) returns boolean
language sql stable
set search_path = ''
as $$
  select p_entry.status in ('CALLED', 'IN_SERVICE')
    or (p_entry.status = 'WAITING'
        and not exists (select 1 from love.queue_entries w
                        where w.clinic_id = p_entry.clinic_id and w.queue_day = p_entry.queue_day
                          and w.status = 'WAITING' and w.number < p_entry.number)
        and (p_entry.queue_day < p_day
             or not exists (select 1 from love.queue_entries w
                            where w.clinic_id = p_entry.clinic_id and w.queue_day = p_day - 1 and w.status = 'WAITING')))
$$;

-- Finishes a live ticket with its PIN, for queue_done and clinic_exit: it must be the ticket's turn (else
-- NOT_YOUR_TURN, the PIN not even compared), then the PIN must be right (verify_pin). Then the ticket is DONE, no
-- longer unseen, with its COMPLETED event. Returns null when finished, otherwise the failure.
create function love.finish_entry(p_entry love.queue_entries, p_pin text, p_day date, p_now timestamptz)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_failure jsonb;
begin
  if not love.entry_turn_has_come(p_entry, p_day) then
    return love.fail('NOT_YOUR_TURN', jsonb_build_object('clinic', p_entry.clinic_id));
  end if;
  v_failure := love.verify_pin(p_entry.patient_key, p_entry.clinic_id, p_pin, p_now);
  if v_failure is not null then
    return v_failure || jsonb_build_object('clinic', p_entry.clinic_id);
  end if;
  update love.queue_entries e set status = 'DONE', done_at = p_now where e.id = p_entry.id;
  delete from love.unseen_entries u where u.entry_id = p_entry.id;
  insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
  values ('COMPLETED', p_entry.clinic_id, p_entry.patient_key, p_entry.number,
    jsonb_build_object('queue_day', p_entry.queue_day), p_now);
  return null;
end
$$;

-- Contract row 5. It must be the ticket's turn (the turn rule), then the PIN is checked server-side against the
-- clinic's PIN of the current PIN day (bug S1). A failure changes nothing but the attempt counters. Replaying a
-- successful done is a successful no-op.
create or replace function love.queue_done(p_clinic text, p_user text, p_pin text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_entry love.queue_entries;
  v_failure jsonb;
  v_already boolean := false;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;

  select e.* into v_entry
  from love.queue_entries e
  where e.clinic_id = v_clinic and e.patient_key = p_user
    and ((e.queue_day = v_day and e.status <> 'CANCELLED')
      or (e.queue_day = v_day - 1 and e.status in ('WAITING', 'CALLED', 'IN_SERVICE')))
  order by e.queue_day desc
  limit 1
  for update;
  if not found then
    return love.fail('NOT_IN_QUEUE', jsonb_build_object('clinic', v_clinic));
  end if;

  if v_entry.status = 'DONE' then
    v_already := true;
  else
    v_failure := love.finish_entry(v_entry, p_pin, v_day, p_now);
    if v_failure is not null then
      return v_failure;
    end if;
    v_entry.status := 'DONE';
    v_entry.done_at := p_now;
    perform love.complete_route_station(p_user, v_clinic, p_now);
  end if;

  return jsonb_build_object(
    'success', true,
    'clinic', v_clinic,
    'user', p_user,
    'number', v_entry.number,
    'status', 'DONE',
    'entry_time', love.iso(v_entry.entered_at),
    'exit_time', love.iso(v_entry.done_at),
    'duration_minutes', round(extract(epoch from v_entry.done_at - v_entry.entered_at) / 60)::int,
    'remaining_in_queue', love.total_waiting(v_clinic, v_entry.queue_day),
    'already_done', v_already,
    'message', case when v_already then 'Already completed' else 'Clinic completed' end);
end
$$;

-- Contract row 18: finish a clinic with its PIN and advance the route. Like queue_done it needs the clinic's
-- ticket and the turn rule; a ticket already done (its PIN was checked then) only advances the route.
create or replace function love.clinic_exit(p_patient text, p_clinic text, p_pin text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_route love.routes;
  v_entry love.queue_entries;
  v_on_route boolean := false;
  v_failure jsonb;
  v_already boolean;
  v_next text;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  perform pg_advisory_xact_lock(hashtext('love.routes'), hashtext(p_patient));
  select * into v_route from love.sticky_route(p_patient, p_now);
  if found then
    v_on_route := exists (select 1 from jsonb_array_elements(v_route.stations) s where love.resolve_clinic(s ->> 'id') = v_clinic);
  else
    v_route := null;
  end if;
  select e.* into v_entry
  from love.queue_entries e
  where e.clinic_id = v_clinic and e.patient_key = p_patient
    and ((e.queue_day = v_day and e.status <> 'CANCELLED')
      or (e.queue_day = v_day - 1 and e.status in ('WAITING', 'CALLED', 'IN_SERVICE')))
  order by e.queue_day desc
  limit 1
  for update;
  if not found then
    return love.fail('NOT_IN_QUEUE', jsonb_build_object('clinic', v_clinic));
  end if;

  v_already := v_entry.status = 'DONE';
  if not v_already then
    v_failure := love.finish_entry(v_entry, p_pin, v_day, p_now);
    if v_failure is not null then
      return v_failure;
    end if;
  end if;
  if v_on_route and not (v_clinic = any (v_route.completed_stations)) then
    v_route := love.complete_route_station(p_patient, v_clinic, p_now);
  end if;

  if v_route.id is not null then
    select t.s ->> 'id' into v_next
    from jsonb_array_elements(v_route.stations) with ordinality as t (s, ord)
    where coalesce(love.resolve_clinic(t.s ->> 'id') <> all (v_route.completed_stations), true)
    order by t.ord
    limit 1;
  end if;
  return jsonb_build_object(
    'success', true,
    'clinic', v_clinic,
    'patientId', p_patient,
    'message', 'Clinic completed',
    'already_done', v_already,
    'next_clinic', v_next,
    'route', case when v_route.id is null then null else love.route_view(v_route) end);
end
$$;

revoke all on all functions in schema love from public, anon, authenticated;
