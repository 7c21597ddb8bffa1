-- The examinee flow's state-change API. One function per operation, each one transaction (the caller's
-- statement), idempotent where the contract needs it, never swallowing a database error (bug D3).
--
-- Every function takes the business instant `p_now` (default now()): the edge functions pass their clock, so
-- tests can freeze it. Results are jsonb envelopes: {success:true, ...contract fields} or
-- {success:false, code:'<MACHINE_CODE>', ...details}; the edge function turns codes into messages.
--
-- Nothing here is SECURITY DEFINER: the callers are the edge functions connected as `postgres`. The API
-- roles have no usage on schema `love` and no execute on any of its functions.

-- Clock and days -----------------------------------------------------------------------------------------

-- The queue (ticket) day: the Asia/Qatar calendar date.
create function love.qatar_day(p_now timestamptz) returns date
language sql stable
set search_path = ''
as $$ select (p_now at time zone 'Asia/Qatar')::date $$;

-- The PIN day: a new set of PINs at 05:00 Asia/Qatar; 00:00–04:59 belong to the previous date's set.
create function love.pin_day(p_now timestamptz) returns date
language sql stable
set search_path = ''
as $$ select ((p_now at time zone 'Asia/Qatar') - interval '5 hours')::date $$;

-- JavaScript's Date.toISOString() format.
create function love.iso(p_at timestamptz) returns text
language sql stable
set search_path = ''
as $$ select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

create function love.fail(p_code text, p_details jsonb default '{}'::jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$ select jsonb_build_object('success', false, 'code', p_code) || p_details $$;

-- Clinics ------------------------------------------------------------------------------------------------

-- A UI station id, backend code, station code or alias, in any case → the clinic id; null when unknown.
create function love.resolve_clinic(p_input text) returns text
language sql stable
set search_path = ''
as $$
  select c.id
  from love.clinic_aliases a
  join love.clinics c on c.id = a.clinic_id
  where a.alias = lower(btrim(p_input)) and c.active
$$;

-- Patients -----------------------------------------------------------------------------------------------

create function love.patient_login(p_patient_number text, p_gender text, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_patient bigint;
  v_session love.patient_sessions;
begin
  if p_patient_number is null or p_patient_number !~ '^[0-9]{2,12}$' then
    return love.fail('INVALID_PATIENT_ID');
  end if;
  if p_gender is null or p_gender not in ('male', 'female') then
    return love.fail('INVALID_GENDER');
  end if;

  -- Upserts, never select-then-insert: concurrent first logins all succeed with one patient (bug Q8).
  insert into love.patients as p (patient_number, gender, created_at, last_login_at)
  values (p_patient_number, p_gender, p_now, p_now)
  on conflict (patient_number) do update set gender = excluded.gender, last_login_at = excluded.last_login_at
  returning p.id into v_patient;

  insert into love.patient_sessions as s (id, patient_id, session_day, gender, created_at, last_login_at)
  values (
    floor(extract(epoch from p_now) * 1000)::bigint::text || '-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16),
    v_patient, love.qatar_day(p_now), p_gender, p_now, p_now)
  on conflict (patient_id, session_day) do update set gender = excluded.gender, last_login_at = excluded.last_login_at
  returning s.* into v_session;

  return jsonb_build_object(
    'success', true,
    'data', jsonb_build_object(
      'id', v_session.id,
      'patientId', p_patient_number,
      'gender', v_session.gender,
      'loginTime', love.iso(v_session.created_at),
      'status', 'logged_in'),
    'message', 'Login successful');
end
$$;

-- Queue reads --------------------------------------------------------------------------------------------

-- The patient's current entry in a clinic: today's (unless cancelled), else yesterday's if still live (a
-- patient queued before midnight keeps the ticket; a replayed enter after midnight finds it).
create function love.current_entry(p_clinic text, p_user text, p_day date) returns setof love.queue_entries
language sql stable
set search_path = ''
as $$
  select e.*
  from love.queue_entries e
  where e.clinic_id = p_clinic
    and e.patient_key = p_user
    and e.queue_day in (p_day, p_day - 1)
    and ((e.queue_day = p_day and e.status <> 'CANCELLED')
      or (e.queue_day = p_day - 1 and e.status in ('WAITING', 'CALLED', 'IN_SERVICE')))
  order by e.queue_day desc
  limit 1
$$;

-- The waiting entries of the clinic-day with a smaller number: the whole blocks before this number's block
-- (clinic_day_blocks) plus an index-only count inside its block. Flat in the queue's length.
create function love.waiting_ahead(p_clinic text, p_day date, p_number int) returns int
language sql stable
set search_path = ''
as $$
  select (
    coalesce((select sum(b.waiting) from love.clinic_day_blocks b
              where b.clinic_id = p_clinic and b.queue_day = p_day and b.block < love.number_block(p_number)), 0)
    + (select count(*) from love.queue_entries e
       where e.clinic_id = p_clinic and e.queue_day = p_day and e.status = 'WAITING'
         and e.number >= love.number_block(p_number) * 128 and e.number < p_number)
  )::int
$$;

create function love.total_waiting(p_clinic text, p_day date) returns int
language sql stable
set search_path = ''
as $$
  select coalesce((select d.waiting from love.clinic_days d where d.clinic_id = p_clinic and d.queue_day = p_day), 0)
$$;

-- Contract row 3: display_number is a position code: −1 done, 0 your turn / in service, N people ahead.
create function love.position_view(p_entry love.queue_entries, p_now timestamptz) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_ahead int := 0;
  v_status text;
  v_display int;
begin
  if p_entry.status = 'WAITING' then
    v_ahead := love.waiting_ahead(p_entry.clinic_id, p_entry.queue_day, p_entry.number);
    v_status := case when v_ahead = 0 then 'NEXT' else 'WAITING' end;
    v_display := v_ahead;
  elsif p_entry.status in ('CALLED', 'IN_SERVICE') then
    v_status := 'IN_SERVICE';
    v_display := 0;
  else
    v_status := 'DONE';
    v_display := -1;
  end if;
  return jsonb_build_object(
    'success', true,
    'clinic', p_entry.clinic_id,
    'user', p_entry.patient_key,
    'number', p_entry.number,
    'status', v_status,
    'display_number', v_display,
    'ahead', v_ahead,
    'total_waiting', love.total_waiting(p_entry.clinic_id, p_entry.queue_day),
    'estimated_wait_minutes', v_ahead * 5,
    'entered_at', love.iso(p_entry.entered_at),
    'queue_day', p_entry.queue_day,
    'verified_at', love.iso(p_now));
end
$$;

create function love.queue_position(p_clinic text, p_user text, p_now timestamptz default now()) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_entry love.queue_entries;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  select * into v_entry from love.current_entry(v_clinic, p_user, love.qatar_day(p_now));
  if not found then
    return love.fail('NOT_IN_QUEUE', jsonb_build_object('clinic', v_clinic, 'user', p_user));
  end if;
  return love.position_view(v_entry, p_now);
end
$$;

-- Contract row 4, the union of the shapes its readers expect: the Cloudflare counters, mms-api's list and
-- total_waiting (dynamic-pathways' weight), AdminQueueMonitor's waiting[]/in[]/done[] + stats + dateKey.
-- Lists are capped (waiting/in 100, done the last 10); the counts are exact. No session ids are exposed.
create function love.queue_status(p_clinic text, p_now timestamptz default now()) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_counts love.clinic_days;
  v_current int;
  v_waiting jsonb;
  v_in jsonb;
  v_done jsonb;
  v_total int;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  select * into v_counts from love.clinic_days d where d.clinic_id = v_clinic and d.queue_day = v_day;
  if not found then
    v_counts := row(v_clinic, v_day, 0, 0, 0, 0, 0)::love.clinic_days;
  end if;

  select e.number into v_current
  from love.queue_entries e
  where e.clinic_id = v_clinic and e.queue_day = v_day and e.status in ('CALLED', 'IN_SERVICE')
  order by e.called_at desc nulls last, e.number desc
  limit 1;

  select coalesce(jsonb_agg(jsonb_build_object(
      'ticket', w.number, 'number', w.number, 'visitId', v_clinic || '-' || w.number, 'status', w.status,
      'issuedAt', love.iso(w.entered_at)) order by w.number), '[]'::jsonb)
  into v_waiting
  from (select * from love.queue_entries e
        where e.clinic_id = v_clinic and e.queue_day = v_day and e.status = 'WAITING'
        order by e.number limit 100) w;

  select coalesce(jsonb_agg(jsonb_build_object(
      'ticket', s.number, 'number', s.number, 'visitId', v_clinic || '-' || s.number, 'status', s.status,
      'issuedAt', love.iso(s.entered_at), 'calledAt', love.iso(s.called_at)) order by s.number), '[]'::jsonb)
  into v_in
  from (select * from love.queue_entries e
        where e.clinic_id = v_clinic and e.queue_day = v_day and e.status in ('CALLED', 'IN_SERVICE')
        order by e.number limit 100) s;

  select coalesce(jsonb_agg(jsonb_build_object(
      'ticket', d.number, 'number', d.number, 'visitId', v_clinic || '-' || d.number, 'status', d.status,
      'issuedAt', love.iso(d.entered_at), 'calledAt', love.iso(d.called_at), 'doneAt', love.iso(d.done_at))
      order by d.done_at, d.number), '[]'::jsonb)
  into v_done
  from (select * from love.queue_entries e
        where e.clinic_id = v_clinic and e.queue_day = v_day and e.status = 'DONE'
        order by e.done_at desc, e.number desc limit 10) d;

  v_total := v_counts.waiting + v_counts.serving + v_counts.done;
  return jsonb_build_object(
    'success', true,
    'clinic', v_clinic,
    'date', v_day,
    'dateKey', v_day,
    'current', v_current,
    'current_display', coalesce(v_current, 0),
    'current_serving', v_current,
    'total', v_total,
    'total_waiting', v_counts.waiting,
    'waiting', v_waiting,
    'in_service', v_counts.serving,
    'completed', v_counts.done,
    'last_number', v_counts.last_number,
    'list', v_waiting,
    'in', v_in,
    'done', v_done,
    'stats', jsonb_build_object(
      'totalWaiting', v_counts.waiting,
      'totalIn', v_counts.serving,
      'totalDone', v_counts.done,
      'totalToday', v_total));
end
$$;

-- Queue writes -------------------------------------------------------------------------------------------

-- Contract row 2. Idempotent: the patient's current entry is returned if there is one (isAutoEntry false
-- then true, retries, offline replays). Otherwise the clinic-day counter row is created or locked first
-- (insert … on conflict do update), so concurrent enters — including the day's very first ones, when no
-- row exists yet to lock (bug Q4) — are serialised per clinic-day and get consecutive numbers (Q1, Q3).
create function love.queue_enter(p_clinic text, p_user text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_number int;
  v_entry love.queue_entries;
  v_already boolean := false;
  v_view jsonb;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;

  -- Fast path without any lock or write: the replays (and the frontend's second, isAutoEntry=true call).
  select * into v_entry from love.current_entry(v_clinic, p_user, v_day);
  if found then
    v_already := true;
  else
    insert into love.clinic_days as d (clinic_id, queue_day) values (v_clinic, v_day)
    on conflict (clinic_id, queue_day) do update set last_number = d.last_number;
    -- Read again after taking the lock: under READ COMMITTED this statement sees every entry committed by
    -- earlier holders of the counter row, so a concurrent replay of this enter is found here.
    select * into v_entry from love.current_entry(v_clinic, p_user, v_day);
    v_already := found;
  end if;
  if not v_already then
    update love.clinic_days d set last_number = d.last_number + 1
    where d.clinic_id = v_clinic and d.queue_day = v_day
    returning d.last_number into v_number;

    insert into love.queue_entries (clinic_id, queue_day, number, patient_key, status, entered_at)
    values (v_clinic, v_day, v_number, p_user, 'WAITING', p_now)
    returning * into v_entry;

    insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
    values ('ENTERED', v_clinic, p_user, v_number, jsonb_build_object('queue_day', v_day), p_now);
  end if;

  v_view := love.position_view(v_entry, p_now);
  return jsonb_build_object(
    'success', true,
    'clinic', v_clinic,
    'user', p_user,
    'number', v_entry.number,
    -- The ticket number: what the frontend shows as "your number" (App.jsx: display_number || number).
    'display_number', v_entry.number,
    'status', v_entry.status,
    'ahead', v_view -> 'ahead',
    'position', (v_view ->> 'ahead')::int + 1,
    'total_waiting', v_view -> 'total_waiting',
    'entry_time', love.iso(v_entry.entered_at),
    'queue_day', v_entry.queue_day)
    || case when v_already then jsonb_build_object('message', 'Already in queue', 'already_in_queue', true)
            else jsonb_build_object('message', 'Entered queue', 'already_in_queue', false) end;
end
$$;

-- PINs ---------------------------------------------------------------------------------------------------

-- Creates the PIN set of a PIN day for every active clinic that has none yet: distinct random 4-digit PINs.
create function love.ensure_pins(p_pin_day date, p_now timestamptz default now()) returns void
language plpgsql
set search_path = ''
as $$
begin
  if not exists (
    select 1 from love.clinics c
    where c.active
      and not exists (select 1 from love.daily_pins p where p.pin_day = p_pin_day and p.clinic_id = c.id)
  ) then
    return;
  end if;
  perform pg_advisory_xact_lock(hashtext('love.daily_pins'), p_pin_day - date '2000-01-01');
  insert into love.daily_pins (pin_day, clinic_id, pin, generated_at)
  select p_pin_day, missing.id, fresh.pin, p_now
  from (
    select c.id, row_number() over (order by c.sort_order) as rn
    from love.clinics c
    where c.active
      and not exists (select 1 from love.daily_pins p where p.pin_day = p_pin_day and p.clinic_id = c.id)
  ) missing
  join (
    select n::text as pin, row_number() over (order by gen_random_uuid()) as rn
    from generate_series(1000, 9999) n
    where not exists (select 1 from love.daily_pins p where p.pin_day = p_pin_day and p.pin = n::text)
  ) fresh using (rn);
end
$$;

-- Today's PIN of a clinic (for staff screens and tests; never reachable from a patient endpoint).
create function love.current_pin(p_clinic text, p_now timestamptz default now()) returns text
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.pin_day(p_now);
  v_pin text;
begin
  if v_clinic is null then
    return null;
  end if;
  perform love.ensure_pins(v_day, p_now);
  select p.pin into v_pin from love.daily_pins p where p.pin_day = v_day and p.clinic_id = v_clinic;
  return v_pin;
end
$$;

-- Checks a PIN against the clinic's PIN of the current PIN day, with a lockout per (user, clinic): 5 wrong
-- PINs within 15 minutes lock that pair for 15 minutes (bug S3). Returns null when the PIN is right,
-- otherwise the failure. A wrong PIN gets the same answer whether or not it is another clinic's (no oracle).
create function love.verify_pin(p_user text, p_clinic text, p_pin text, p_now timestamptz) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_max_failures constant int := 5;
  c_window constant interval := interval '15 minutes';
  c_lock constant interval := interval '15 minutes';
  v_pin text := btrim(coalesce(p_pin, ''));
  v_attempts love.pin_attempts;
  v_expected text;
  v_failures int;
  v_window_start timestamptz;
begin
  if v_pin = '' then
    return love.fail('PIN_REQUIRED');
  end if;

  -- Creates or locks the pair's row: concurrent wrong attempts are counted one by one.
  insert into love.pin_attempts as a (patient_key, clinic_id, failures, window_started_at)
  values (p_user, p_clinic, 0, p_now)
  on conflict (patient_key, clinic_id) do update set failures = a.failures
  returning a.* into v_attempts;

  if v_attempts.locked_until is not null and v_attempts.locked_until > p_now then
    return love.fail('PIN_LOCKED', jsonb_build_object(
      'retry_after_seconds', ceil(extract(epoch from v_attempts.locked_until - p_now))::int));
  end if;

  perform love.ensure_pins(love.pin_day(p_now), p_now);
  select p.pin into v_expected from love.daily_pins p where p.pin_day = love.pin_day(p_now) and p.clinic_id = p_clinic;

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
    locked_until = case when v_failures >= c_max_failures then p_now + c_lock end
  where a.patient_key = p_user and a.clinic_id = p_clinic;

  if v_failures >= c_max_failures then
    return love.fail('PIN_LOCKED', jsonb_build_object('retry_after_seconds', extract(epoch from c_lock)::int));
  end if;
  return love.fail('WRONG_PIN', jsonb_build_object('attempts_left', c_max_failures - v_failures));
end
$$;

-- Routes -------------------------------------------------------------------------------------------------

create function love.route_view(p_route love.routes) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'patientId', p_route.patient_key,
    'examType', p_route.exam_type,
    'gender', p_route.gender,
    'stations', p_route.stations,
    'currentStep', p_route.current_step,
    'completedStations', to_jsonb(p_route.completed_stations),
    'createdAt', love.iso(p_route.created_at),
    'updatedAt', love.iso(p_route.updated_at),
    'status', p_route.status,
    'dynamic', p_route.dynamic,
    'weights', coalesce((
      select jsonb_object_agg(s ->> 'id', case when jsonb_typeof(s -> 'weight') = 'number' then s -> 'weight' else '0'::jsonb end)
      from jsonb_array_elements(p_route.stations) s
      where jsonb_typeof(s -> 'id') = 'string'), '{}'::jsonb))
$$;

-- The patient's sticky route: the latest one created in the last 24 hours.
create function love.sticky_route(p_patient text, p_now timestamptz) returns setof love.routes
language sql stable
set search_path = ''
as $$
  select r.* from love.routes r
  where r.patient_key = p_patient and r.created_at > p_now - interval '24 hours' and r.created_at <= p_now
  order by r.created_at desc, r.id desc
  limit 1
$$;

-- The stations of an exam type's route, in the shape the frontend builds them (dynamic-pathways.js).
create function love.exam_stations(p_exam text) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', c.id,
      'name', c.name_ar,
      'nameAr', c.name_ar,
      'nameEn', c.name_en,
      'floor', case c.floor when 'M' then 'الميزانين' when 'G' then 'الطابق الأرضي' else 'الطابق ' || c.floor end,
      'floorCode', c.floor,
      'code', coalesce(c.station_code, upper(c.id)),
      'weight', 0) order by r.step), '[]'::jsonb)
  from love.exam_routes r
  join love.clinics c on c.id = r.clinic_id
  where r.exam_type = p_exam
$$;

-- Contract row 9. Sticky: an existing route (last 24 h) is returned unchanged with sticky:true. Stations are
-- stored verbatim; when none are sent, the exam type's route is used.
create function love.route_create(p_patient text, p_exam text, p_gender text, p_stations jsonb,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_route love.routes;
  v_unknown text;
  v_stations jsonb := p_stations;
begin
  -- Serialises route creation per patient, so concurrent or replayed creates give one route.
  perform pg_advisory_xact_lock(hashtext('love.routes'), hashtext(p_patient));
  select * into v_route from love.sticky_route(p_patient, p_now);
  if found then
    return jsonb_build_object('success', true, 'sticky', true, 'route', love.route_view(v_route),
      'message', 'Existing route returned');
  end if;

  if not exists (select 1 from love.exam_types e where e.id = p_exam) then
    return love.fail('UNKNOWN_EXAM_TYPE');
  end if;
  if p_gender is not null and p_gender not in ('male', 'female') then
    return love.fail('INVALID_GENDER');
  end if;
  if v_stations is null or jsonb_typeof(v_stations) <> 'array' or jsonb_array_length(v_stations) = 0 then
    v_stations := love.exam_stations(p_exam);
  else
    select s ->> 'id' into v_unknown
    from jsonb_array_elements(v_stations) s
    where jsonb_typeof(s) <> 'object' or jsonb_typeof(s -> 'id') <> 'string' or love.resolve_clinic(s ->> 'id') is null
    limit 1;
    if found then
      return love.fail('UNKNOWN_STATION', jsonb_build_object('station', v_unknown));
    end if;
  end if;

  insert into love.routes (patient_key, exam_type, gender, stations, dynamic, created_at, updated_at)
  values (p_patient, p_exam, p_gender, v_stations, p_stations is not null and jsonb_typeof(p_stations) = 'array'
          and jsonb_array_length(p_stations) > 0, p_now, p_now)
  returning * into v_route;
  insert into love.events (event_type, patient_id, data, created_at)
  values ('ROUTE_CREATED', p_patient, jsonb_build_object('exam_type', p_exam), p_now);

  return jsonb_build_object('success', true, 'sticky', false, 'route', love.route_view(v_route),
    'message', 'Route created');
end
$$;

-- Contract row 10.
create function love.route_get(p_patient text, p_now timestamptz default now()) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_route love.routes;
begin
  select * into v_route from love.sticky_route(p_patient, p_now);
  if not found then
    return love.fail('ROUTE_NOT_FOUND');
  end if;
  return jsonb_build_object('success', true, 'route', love.route_view(v_route));
end
$$;

-- Contract row 11: the UI reads `route` (clinic ids); mms-api called it `path`.
create function love.path_choose(p_patient text, p_exam text, p_gender text, p_now timestamptz default now())
returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_route love.routes;
  v_exam text := coalesce(p_exam, 'recruitment');
  v_ids jsonb;
begin
  if p_patient is not null then
    select * into v_route from love.sticky_route(p_patient, p_now);
    if found then
      select coalesce(jsonb_agg(s ->> 'id' order by ord), '[]'::jsonb) into v_ids
      from jsonb_array_elements(v_route.stations) with ordinality as t (s, ord);
      return jsonb_build_object('success', true, 'sticky', true, 'route', v_ids, 'path', v_ids,
        'patientId', p_patient, 'examType', v_route.exam_type, 'gender', v_route.gender,
        'created_at', love.iso(v_route.created_at));
    end if;
  end if;
  if not exists (select 1 from love.exam_types e where e.id = v_exam) then
    return love.fail('UNKNOWN_EXAM_TYPE');
  end if;
  select coalesce(jsonb_agg(r.clinic_id order by r.step), '[]'::jsonb) into v_ids
  from love.exam_routes r where r.exam_type = v_exam;
  return jsonb_build_object('success', true, 'sticky', false, 'route', v_ids, 'path', v_ids,
    'patientId', p_patient, 'examType', v_exam, 'gender', p_gender, 'created_at', love.iso(p_now));
end
$$;

-- Marks a clinic completed on the patient's sticky route (if it is on it) and moves currentStep to the first
-- station not yet completed. Idempotent. Returns the route (or null without one).
create function love.complete_route_station(p_patient text, p_clinic text, p_now timestamptz) returns love.routes
language plpgsql
set search_path = ''
as $$
declare
  v_route love.routes;
  v_total int;
  v_step int;
begin
  select * into v_route from love.sticky_route(p_patient, p_now);
  if not found then
    return null;
  end if;
  select * into v_route from love.routes r where r.id = v_route.id for update;
  if p_clinic = any (v_route.completed_stations)
     or not exists (select 1 from jsonb_array_elements(v_route.stations) s where love.resolve_clinic(s ->> 'id') = p_clinic) then
    return v_route;
  end if;
  v_route.completed_stations := v_route.completed_stations || p_clinic;
  v_total := jsonb_array_length(v_route.stations);
  select coalesce(min(t.ord) - 1, v_total) into v_step
  from jsonb_array_elements(v_route.stations) with ordinality as t (s, ord)
  where coalesce(love.resolve_clinic(t.s ->> 'id') <> all (v_route.completed_stations), true);
  update love.routes r set
    completed_stations = v_route.completed_stations,
    current_step = v_step,
    status = case when v_step >= v_total then 'completed' else 'active' end,
    updated_at = p_now
  where r.id = v_route.id
  returning * into v_route;
  return v_route;
end
$$;

-- Contract row 5. The PIN is checked server-side against the clinic's PIN of the current PIN day (bug S1).
-- A failure changes nothing but the attempt counter. Replaying a successful done is a successful no-op.
create function love.queue_done(p_clinic text, p_user text, p_pin text, p_now timestamptz default now()) returns jsonb
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
    v_failure := love.verify_pin(p_user, v_clinic, p_pin, p_now);
    if v_failure is not null then
      return v_failure || jsonb_build_object('clinic', v_clinic);
    end if;
    update love.queue_entries e set status = 'DONE', done_at = p_now
    where e.id = v_entry.id
    returning * into v_entry;
    insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
    values ('COMPLETED', v_clinic, p_user, v_entry.number, jsonb_build_object('queue_day', v_entry.queue_day), p_now);
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

-- Contract row 18: finish a clinic with its PIN and advance the route (and complete the queue entry, if any).
create function love.clinic_exit(p_patient text, p_clinic text, p_pin text, p_now timestamptz default now()) returns jsonb
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
    v_entry := null;
  end if;

  if not v_on_route and v_entry.id is null then
    return love.fail('NOT_IN_QUEUE', jsonb_build_object('clinic', v_clinic));
  end if;

  -- Already finished everything this call would finish: a successful no-op (replays).
  if (v_entry.id is null or v_entry.status = 'DONE') and (not v_on_route or v_clinic = any (v_route.completed_stations)) then
    null;
  else
    v_failure := love.verify_pin(p_patient, v_clinic, p_pin, p_now);
    if v_failure is not null then
      return v_failure || jsonb_build_object('clinic', v_clinic);
    end if;
    if v_entry.id is not null and v_entry.status <> 'DONE' then
      update love.queue_entries e set status = 'DONE', done_at = p_now where e.id = v_entry.id;
      insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
      values ('COMPLETED', v_clinic, p_patient, v_entry.number, jsonb_build_object('queue_day', v_entry.queue_day), p_now);
    end if;
    if v_on_route then
      v_route := love.complete_route_station(p_patient, v_clinic, p_now);
    end if;
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
    'next_clinic', v_next,
    'route', case when v_route.id is null then null else love.route_view(v_route) end);
end
$$;

-- Realtime (SSE) snapshots -------------------------------------------------------------------------------

-- The patient's live positions (all clinics, or one), as position views.
create function love.patient_positions(p_user text, p_clinic text, p_now timestamptz default now()) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(love.position_view(x, p_now) order by x.clinic_id), '[]'::jsonb)
  from (
    select distinct on (e.clinic_id) e.*
    from love.queue_entries e
    where e.patient_key = p_user
      and (p_clinic is null or e.clinic_id = love.resolve_clinic(p_clinic))
      and e.queue_day in (love.qatar_day(p_now), love.qatar_day(p_now) - 1)
      and ((e.queue_day = love.qatar_day(p_now) and e.status <> 'CANCELLED')
        or (e.queue_day = love.qatar_day(p_now) - 1 and e.status in ('WAITING', 'CALLED', 'IN_SERVICE')))
    order by e.clinic_id, e.queue_day desc
  ) x
$$;

-- A clinic's counters for the clinic-level stream.
create function love.clinic_snapshot(p_clinic text, p_now timestamptz default now()) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'clinic', c.id,
    'total_waiting', coalesce(d.waiting, 0),
    'in_service', coalesce(d.serving, 0),
    'completed', coalesce(d.done, 0),
    'current', (select e.number from love.queue_entries e
                where e.clinic_id = c.id and e.queue_day = love.qatar_day(p_now) and e.status in ('CALLED', 'IN_SERVICE')
                order by e.called_at desc nulls last, e.number desc limit 1))
  from love.clinics c
  left join love.clinic_days d on d.clinic_id = c.id and d.queue_day = love.qatar_day(p_now)
  where c.id = love.resolve_clinic(p_clinic)
$$;

-- Notifications for a patient after a given id (the stream remembers the last one it sent).
create function love.notifications_after(p_user text, p_after bigint) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', n.id, 'type', n.type, 'clinic', n.clinic_id, 'message', n.message, 'data', n.data,
      'created_at', love.iso(n.created_at)) order by n.id), '[]'::jsonb)
  from (select * from love.notifications n
        where n.patient_key = p_user and n.id > p_after order by n.id limit 50) n
$$;

create function love.last_notification_id() returns bigint
language sql stable
set search_path = ''
as $$ select coalesce(max(n.id), 0) from love.notifications n $$;

-- Lock the API down (functions are executable by PUBLIC by default).
revoke all on all functions in schema love from public, anon, authenticated;
