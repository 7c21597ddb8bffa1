-- The staff side (issue 4): admins with slow password hashes, a login lockout and server-side sessions, the
-- signing keys of the admin tokens, per-request idempotency of staff actions, the call-interval setting, stored
-- reports and the shared per-client rate limit. Tables follow the examinee schema's rule: RLS on, no policy,
-- no privilege for anon/authenticated. Functions live in `love`, are not SECURITY DEFINER and are executable
-- only by the owner (`postgres`, which the edge functions use).
--
-- Expand-only: no existing table or function is changed.

-- Admins -------------------------------------------------------------------------------------------------

create table love.admins (
  id bigint generated always as identity primary key,
  username text not null check (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$'),
  -- bcrypt only ($2a$/$2b$/$2y$, cost 04–31): a plaintext password cannot even be stored (bug S4/S5).
  password_hash text not null check (password_hash ~ '^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$'),
  role text not null default 'admin' check (role in ('super_admin', 'admin')),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login_at timestamptz
);
create unique index admins_username_ci on love.admins (lower(username));

-- Server-side sessions: the token names one; logout, a password change or deactivation ends it at once.
create table love.admin_sessions (
  id uuid primary key default gen_random_uuid(),
  admin_id bigint not null references love.admins (id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  client text check (char_length(client) <= 64)
);
create index admin_sessions_by_admin on love.admin_sessions (admin_id);

-- Failed-login lockout per user name (also for names that do not exist, so a lock reveals nothing).
create table love.admin_login_attempts (
  username_key text primary key check (char_length(username_key) <= 64),
  failures int not null default 0 check (failures >= 0),
  window_started_at timestamptz not null,
  locked_until timestamptz
);

-- HMAC keys of the admin tokens, made by the database itself: no secret to configure, the same in every
-- isolate, rotated with love.rotate_admin_token_key() (retired keys verify for one more session lifetime).
create table love.admin_token_keys (
  kid text primary key check (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
  secret text not null check (char_length(secret) >= 43),
  created_at timestamptz not null default now(),
  retired_at timestamptz
);
insert into love.admin_token_keys (kid, secret)
values ('k' || to_char(clock_timestamp() at time zone 'UTC', 'YYYYMMDDHH24MISSMS'),
        replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- Staff actions keyed by the client's X-Request-Id / Idempotency-Key: a replay returns the stored result.
create table love.admin_requests (
  operation text not null check (operation ~ '^[a-z_]{1,32}$'),
  request_key text not null check (request_key ~ '^[A-Za-z0-9._:-]{1,128}$'),
  admin_id bigint references love.admins (id) on delete set null,
  result jsonb not null,
  created_at timestamptz not null,
  primary key (operation, request_key)
);
create index admin_requests_by_time on love.admin_requests (created_at);

-- Per-clinic staff settings: the call interval (stored, shown, never used to call automatically: calling is
-- manual, contract §3.5) and the capacity behind stats/queues' occupancy.
create table love.clinic_settings (
  clinic_id text primary key references love.clinics (id),
  call_interval_minutes int check (call_interval_minutes between 1 and 240),
  capacity int check (capacity between 1 and 10000),
  updated_at timestamptz not null,
  updated_by bigint references love.admins (id) on delete set null
);

-- Generated reports (reports/history lists them).
create table love.reports (
  report_type text not null check (report_type in ('daily', 'weekly', 'monthly', 'annual')),
  period_key text not null check (period_key ~ '^[0-9]{4}(-W[0-9]{2}|-[0-9]{2}(-[0-9]{2})?)?$'),
  period_start date not null,
  period_end date not null,
  data jsonb not null,
  generated_at timestamptz not null,
  generated_by bigint references love.admins (id) on delete set null,
  primary key (report_type, period_key)
);
create index reports_by_time on love.reports (generated_at desc);

-- Fixed-window request counters per client, shared by every isolate (bug M3).
create table love.rate_limits (
  client_key text not null check (char_length(client_key) <= 128),
  window_start timestamptz not null,
  hits int not null default 0,
  primary key (client_key, window_start)
);
create index rate_limits_by_window on love.rate_limits (window_start);

do $$
declare
  t text;
begin
  foreach t in array array['admins', 'admin_sessions', 'admin_login_attempts', 'admin_token_keys', 'admin_requests',
    'clinic_settings', 'reports', 'rate_limits']
  loop
    execute format('alter table love.%I enable row level security', t);
    execute format('revoke all on table love.%I from anon, authenticated, public', t);
  end loop;
end
$$;
revoke all on sequence love.admins_id_seq from anon, authenticated, public;

-- Admin accounts -----------------------------------------------------------------------------------------

create function love.admin_view(p_admin love.admins) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('id', p_admin.id, 'username', p_admin.username, 'role', p_admin.role,
    'permissions', jsonb_build_array('all'))
$$;

create function love.valid_password_hash(p_hash text) returns boolean
language sql immutable
set search_path = ''
as $$ select coalesce(p_hash ~ '^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$', false) $$;

-- Creates the admin unless one with that name (any case) exists; never changes an existing one. The first
-- admin's bootstrap (local stack from LOVE_ADMIN_USERNAME/LOVE_ADMIN_PASSWORD, cloud from a stack secret).
create function love.ensure_admin(p_username text, p_password_hash text, p_role text default 'super_admin')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_admin love.admins;
begin
  if p_username is null or p_username !~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$' then
    return love.fail('INVALID_USERNAME');
  end if;
  if not love.valid_password_hash(p_password_hash) then
    return love.fail('INVALID_PASSWORD_HASH');
  end if;
  if p_role is null or p_role not in ('super_admin', 'admin') then
    return love.fail('INVALID_ROLE');
  end if;
  perform pg_advisory_xact_lock(hashtext('love.admins'), hashtext(lower(p_username)));
  select * into v_admin from love.admins a where lower(a.username) = lower(p_username);
  if found then
    return jsonb_build_object('success', true, 'created', false, 'admin', love.admin_view(v_admin));
  end if;
  insert into love.admins (username, password_hash, role) values (p_username, p_password_hash, p_role)
  returning * into v_admin;
  insert into love.events (event_type, data) values ('ADMIN_CREATED', jsonb_build_object('admin_id', v_admin.id));
  return jsonb_build_object('success', true, 'created', true, 'admin', love.admin_view(v_admin));
end
$$;

-- `npm run admin -- create`: like ensure_admin, but an existing name is an error.
create function love.create_admin(p_username text, p_password_hash text, p_role text default 'admin') returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_result jsonb := love.ensure_admin(p_username, p_password_hash, p_role);
begin
  if (v_result ->> 'success')::boolean and not (v_result ->> 'created')::boolean then
    return love.fail('ADMIN_EXISTS');
  end if;
  return v_result;
end
$$;

-- `npm run admin -- set-password`: new hash, every session of that admin ended, lockout cleared.
create function love.set_admin_password(p_username text, p_password_hash text, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_admin love.admins;
begin
  if not love.valid_password_hash(p_password_hash) then
    return love.fail('INVALID_PASSWORD_HASH');
  end if;
  update love.admins a set password_hash = p_password_hash, updated_at = p_now
  where lower(a.username) = lower(p_username)
  returning * into v_admin;
  if not found then
    return love.fail('ADMIN_NOT_FOUND');
  end if;
  update love.admin_sessions s set revoked_at = p_now where s.admin_id = v_admin.id and s.revoked_at is null;
  delete from love.admin_login_attempts a where a.username_key = lower(p_username);
  return jsonb_build_object('success', true, 'admin', love.admin_view(v_admin));
end
$$;

-- Login, in two steps around the password check (bcrypt runs in the edge function):
-- 1. admin_login_begin counts the attempt BEFORE the check, under the name's row lock, so concurrent guesses
--    cannot exceed the budget: 5 attempts per 15 minutes, then the name is locked for 15 minutes. It returns
--    the admin's hash (or none: the caller then checks a dummy hash, so timing tells nothing).
-- 2. admin_login_succeeded clears the counter and opens a session.
create function love.admin_login_begin(p_username text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_max_attempts constant int := 5;
  c_window constant interval := interval '15 minutes';
  c_lock constant interval := interval '15 minutes';
  v_key text := lower(btrim(coalesce(p_username, '')));
  v_attempts love.admin_login_attempts;
  v_failures int;
  v_window_start timestamptz;
  v_admin love.admins;
begin
  if v_key !~ '^[a-z0-9][a-z0-9._@-]{2,63}$' then
    return jsonb_build_object('locked', false, 'admin', null);
  end if;
  insert into love.admin_login_attempts as a (username_key, failures, window_started_at)
  values (v_key, 0, p_now)
  on conflict (username_key) do update set failures = a.failures
  returning a.* into v_attempts;

  if v_attempts.locked_until is not null and v_attempts.locked_until > p_now then
    return jsonb_build_object('locked', true,
      'retry_after', greatest(1, ceil(extract(epoch from v_attempts.locked_until - p_now))::int));
  end if;
  if v_attempts.window_started_at <= p_now - c_window or v_attempts.locked_until is not null then
    v_failures := 1;
    v_window_start := p_now;
  else
    v_failures := v_attempts.failures + 1;
    v_window_start := v_attempts.window_started_at;
  end if;
  update love.admin_login_attempts a set
    failures = v_failures,
    window_started_at = v_window_start,
    locked_until = case when v_failures >= c_max_attempts then p_now + c_lock end
  where a.username_key = v_key;

  -- Keep the table small: names nobody tried for a day go (names are attacker-chosen).
  if random() < 0.01 then
    delete from love.admin_login_attempts a
    where a.window_started_at < p_now - interval '1 day' and (a.locked_until is null or a.locked_until < p_now);
  end if;

  select * into v_admin from love.admins a where lower(a.username) = v_key and a.active;
  return jsonb_build_object('locked', false, 'attempt', v_failures,
    'admin', case when found then love.admin_view(v_admin) || jsonb_build_object('password_hash', v_admin.password_hash) end);
end
$$;

create function love.admin_login_succeeded(p_admin_id bigint, p_ttl_seconds int, p_client text,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_admin love.admins;
  v_session love.admin_sessions;
begin
  update love.admins a set last_login_at = p_now where a.id = p_admin_id and a.active returning * into v_admin;
  if not found then
    return love.fail('ADMIN_NOT_FOUND');
  end if;
  delete from love.admin_login_attempts a where a.username_key = lower(v_admin.username);
  insert into love.admin_sessions (admin_id, created_at, expires_at, client)
  values (v_admin.id, p_now, p_now + make_interval(secs => p_ttl_seconds), left(p_client, 64))
  returning * into v_session;
  insert into love.events (event_type, data)
  values ('ADMIN_LOGIN', jsonb_build_object('admin_id', v_admin.id, 'session_id', v_session.id));
  return jsonb_build_object('success', true, 'admin', love.admin_view(v_admin),
    'session_id', v_session.id, 'expires_at', love.iso(v_session.expires_at));
end
$$;

-- The admin behind a live session, or null (expired, revoked, admin deactivated, or not that admin's).
create function love.admin_session(p_session uuid, p_admin_id bigint, p_now timestamptz default now()) returns jsonb
language sql stable
set search_path = ''
as $$
  select love.admin_view(a) || jsonb_build_object('session_id', s.id, 'expires_at', love.iso(s.expires_at))
  from love.admin_sessions s
  join love.admins a on a.id = s.admin_id
  where s.id = p_session and s.admin_id = p_admin_id and s.revoked_at is null and s.expires_at > p_now and a.active
$$;

create function love.admin_logout(p_session uuid, p_now timestamptz default now()) returns jsonb
language sql
set search_path = ''
as $$
  with revoked as (
    update love.admin_sessions s set revoked_at = p_now where s.id = p_session and s.revoked_at is null returning s.id
  )
  select jsonb_build_object('success', true, 'revoked', (select count(*) from revoked) > 0, 'message', 'Logged out')
$$;

-- Verification keys (newest first); `signing` marks the one new tokens are signed with.
create function love.admin_token_keys(p_now timestamptz default now()) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('kid', k.kid, 'secret', k.secret, 'signing', k.retired_at is null)
    order by k.retired_at is null desc, k.created_at desc), '[]'::jsonb)
  from love.admin_token_keys k
  where k.retired_at is null or k.retired_at > p_now - interval '8 hours'
$$;

create function love.rotate_admin_token_key(p_now timestamptz default now()) returns text
language plpgsql
set search_path = ''
as $$
declare
  v_kid text := 'k' || to_char(clock_timestamp() at time zone 'UTC', 'YYYYMMDDHH24MISSMS');
begin
  update love.admin_token_keys k set retired_at = p_now where k.retired_at is null;
  insert into love.admin_token_keys (kid, secret, created_at)
  values (v_kid, replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), p_now);
  return v_kid;
end
$$;

-- Idempotency of staff actions ---------------------------------------------------------------------------

-- Serialises one (operation, key) and returns its stored result, if any. Call first in the transaction.
create function love.replayed_request(p_operation text, p_request_key text) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  if p_request_key is null then
    return null;
  end if;
  perform pg_advisory_xact_lock(hashtext('love.admin_requests'), hashtext(p_operation || ':' || p_request_key));
  select r.result into v_result from love.admin_requests r
  where r.operation = p_operation and r.request_key = p_request_key;
  return v_result;
end
$$;

create function love.remember_request(p_operation text, p_request_key text, p_admin_id bigint, p_result jsonb,
  p_now timestamptz) returns void
language plpgsql
set search_path = ''
as $$
begin
  if p_request_key is null then
    return;
  end if;
  insert into love.admin_requests (operation, request_key, admin_id, result, created_at)
  values (p_operation, p_request_key, p_admin_id, p_result, p_now);
  if random() < 0.01 then
    delete from love.admin_requests r where r.created_at < p_now - interval '1 day';
  end if;
end
$$;

-- Calling the next patient (contract row 6, bug D1) --------------------------------------------------------

-- Calls the longest-waiting WAITING entry of the clinic (yesterday's live ones first) and nothing else: the
-- patient being served stays CALLED until they finish with the PIN, nobody is completed implicitly. The row is
-- taken FOR UPDATE SKIP LOCKED, so concurrent calls by several operators get different patients (or "none").
-- With a request key the call is idempotent: a replay returns the stored result and calls nobody.
create function love.queue_call(p_clinic text, p_admin_id bigint, p_request_key text, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_previous jsonb;
  v_entry love.queue_entries;
  v_waiting int;
  v_patient jsonb;
  v_result jsonb;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  v_previous := love.replayed_request('queue_call', p_request_key);
  if v_previous is not null then
    return v_previous || jsonb_build_object('replayed', true);
  end if;

  select e.* into v_entry
  from love.queue_entries e
  where e.clinic_id = v_clinic and e.status = 'WAITING' and e.queue_day in (v_day, v_day - 1)
  order by e.queue_day, e.number
  limit 1
  for update skip locked;
  if not found then
    return love.fail('NO_PATIENTS_WAITING', jsonb_build_object('clinic', v_clinic,
      'waiting', love.total_waiting(v_clinic, v_day)));
  end if;

  update love.queue_entries e set status = 'CALLED', called_at = p_now
  where e.id = v_entry.id
  returning * into v_entry;
  insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
  values ('CALLED', v_clinic, v_entry.patient_key, v_entry.number,
    jsonb_build_object('queue_day', v_entry.queue_day, 'admin_id', p_admin_id), p_now);
  insert into love.notifications (patient_key, clinic_id, type, message, data, created_at)
  values (v_entry.patient_key, v_clinic, 'urgent', 'حان دورك، تفضل بالدخول إلى العيادة',
    jsonb_build_object('type', 'YOUR_TURN', 'clinic', v_clinic, 'number', v_entry.number), p_now);

  v_waiting := love.total_waiting(v_clinic, v_day);
  v_patient := jsonb_build_object('number', v_entry.number, 'user', v_entry.patient_key, 'status', 'CALLED',
    'enteredAt', love.iso(v_entry.entered_at), 'calledAt', love.iso(v_entry.called_at));
  v_result := jsonb_build_object(
    'success', true,
    'clinic', v_clinic,
    'number', v_entry.number,
    'user', v_entry.patient_key,
    'status', 'CALLED',
    'waiting', v_waiting,
    'remainingInQueue', v_waiting,
    'called', v_patient,
    'next_patient', v_patient,
    'calledPatient', v_patient,
    'called_at', love.iso(p_now),
    'queue_day', v_entry.queue_day,
    'message', 'Patient called');
  perform love.remember_request('queue_call', p_request_key, p_admin_id, v_result, p_now);
  return v_result || jsonb_build_object('replayed', false);
end
$$;

-- PINs for staff (contract rows 7 and 8) -----------------------------------------------------------------

-- The current PIN day's PINs (created on first use), keyed by UI station id, in the union of the shapes the
-- admin screens read (api.js getActivePins: pins{}, AdminPINMonitor: currentPin/allPins/totalIssued/dateKey).
create function love.pin_status(p_clinic text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_day date := love.pin_day(p_now);
  v_clinic text;
  v_pins jsonb;
  v_all jsonb;
  v_count int;
  v_current love.daily_pins;
begin
  if p_clinic is not null then
    v_clinic := love.resolve_clinic(p_clinic);
    if v_clinic is null then
      return love.fail('UNKNOWN_CLINIC');
    end if;
  end if;
  perform love.ensure_pins(v_day, p_now);
  select
    coalesce(jsonb_object_agg(p.clinic_id, jsonb_build_object('pin', p.pin, 'clinic', p.clinic_id,
      'backend_code', c.backend_code, 'name', c.name_ar, 'nameEn', c.name_en, 'active', true,
      'generatedAt', love.iso(p.generated_at))), '{}'::jsonb),
    coalesce(jsonb_agg(p.pin order by c.sort_order), '[]'::jsonb),
    count(*)
  into v_pins, v_all, v_count
  from love.daily_pins p
  join love.clinics c on c.id = p.clinic_id
  where p.pin_day = v_day and c.active and (v_clinic is null or p.clinic_id = v_clinic);
  if v_clinic is not null then
    select * into v_current from love.daily_pins p where p.pin_day = v_day and p.clinic_id = v_clinic;
  end if;
  return jsonb_build_object(
    'success', true,
    'date', v_day,
    'dateKey', v_day,
    'reset_time', '05:00',
    'timezone', 'Asia/Qatar',
    'pins', v_pins,
    'allPins', v_all,
    'totalIssued', v_count,
    'clinic', v_clinic,
    'currentPin', v_current.pin,
    'pin', v_current.pin,
    'generatedAt', love.iso(v_current.generated_at));
end
$$;

-- Replaces the current PIN day's PIN of one clinic (or of every clinic) with fresh ones: distinct within the
-- day and different from every PIN the day had, so an old PIN stops working at once.
create function love.pin_generate(p_clinic text, p_admin_id bigint, p_request_key text, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_day date := love.pin_day(p_now);
  v_clinic text;
  v_previous jsonb;
  v_old text[];
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
  delete from love.daily_pins p where p.pin_day = v_day and (v_clinic is null or p.clinic_id = v_clinic);
  insert into love.daily_pins (pin_day, clinic_id, pin, generated_at)
  select v_day, target.id, fresh.pin, p_now
  from (
    select c.id, row_number() over (order by c.sort_order) as rn
    from love.clinics c
    where c.active and (v_clinic is null or c.id = v_clinic)
  ) target
  join (
    select n::text as pin, row_number() over (order by gen_random_uuid()) as rn
    from generate_series(1000, 9999) n
    where n::text <> all (v_old)
  ) fresh using (rn);
  insert into love.events (event_type, clinic_code, data, created_at)
  values ('PINS_REGENERATED', v_clinic, jsonb_build_object('pin_day', v_day, 'admin_id', p_admin_id), p_now);

  v_result := love.pin_status(v_clinic, p_now)
    || jsonb_build_object('message', case when v_clinic is null then 'PINs regenerated' else 'PIN regenerated' end);
  perform love.remember_request('pin_generate', p_request_key, p_admin_id, v_result, p_now);
  return v_result || jsonb_build_object('replayed', false);
end
$$;

-- Admin status, stats (contract rows 12–14, bug C9) --------------------------------------------------------

-- The staff view of one clinic today, shared by admin/status and stats/queues.
create function love.clinic_staff_view(p_clinic love.clinics, p_day date) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'clinic', p_clinic.id,
    'id', p_clinic.id,
    'backend_code', p_clinic.backend_code,
    'name', p_clinic.name_ar,
    'name_ar', p_clinic.name_ar,
    'name_en', p_clinic.name_en,
    'current', cur.number,
    'current_display', coalesce(cur.number, 0),
    'total', coalesce(d.waiting + d.serving + d.done, 0),
    'waiting', coalesce(d.waiting, 0),
    'in_service', coalesce(d.serving, 0),
    'completed', coalesce(d.done, 0),
    'active', coalesce(d.waiting + d.serving, 0) > 0,
    'current_load', coalesce(d.waiting + d.serving, 0),
    'capacity', coalesce(s.capacity, 20),
    'occupancy_percent', round(100.0 * coalesce(d.waiting + d.serving, 0) / coalesce(s.capacity, 20))::int,
    'call_interval_minutes', s.call_interval_minutes)
  from (select 1) one
  left join love.clinic_days d on d.clinic_id = p_clinic.id and d.queue_day = p_day
  left join love.clinic_settings s on s.clinic_id = p_clinic.id
  left join lateral (
    select e.number from love.queue_entries e
    where e.clinic_id = p_clinic.id and e.queue_day = p_day and e.status in ('CALLED', 'IN_SERVICE')
    order by e.called_at desc nulls last, e.number desc
    limit 1
  ) cur on true
$$;

-- Contract row 12 (AdminPage.loadQueues): queues keyed by the backend code AdminPage names them by, each with
-- list (waiting tickets, capped at 100), current, served (today's done numbers, last 50), pin and waiting.
create function love.admin_status(p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_day date := love.qatar_day(p_now);
  v_pin_day date := love.pin_day(p_now);
  v_queues jsonb;
  v_stats jsonb;
begin
  perform love.ensure_pins(v_pin_day, p_now);
  select coalesce(jsonb_object_agg(c.backend_code, love.clinic_staff_view(c, v_day) || jsonb_build_object(
      'pin', p.pin,
      'list', coalesce(waiting.items, '[]'::jsonb),
      'served', coalesce(served.items, '[]'::jsonb))), '{}'::jsonb)
  into v_queues
  from love.clinics c
  left join love.daily_pins p on p.clinic_id = c.id and p.pin_day = v_pin_day
  left join lateral (
    select jsonb_agg(jsonb_build_object('number', w.number, 'ticket', w.number, 'visitId', c.id || '-' || w.number,
      'status', w.status, 'enteredAt', love.iso(w.entered_at)) order by w.number) as items
    from (select * from love.queue_entries e
          where e.clinic_id = c.id and e.queue_day = v_day and e.status = 'WAITING'
          order by e.number limit 100) w
  ) waiting on true
  left join lateral (
    select jsonb_agg(x.number order by x.done_at, x.number) as items
    from (select e.number, e.done_at from love.queue_entries e
          where e.clinic_id = c.id and e.queue_day = v_day and e.status = 'DONE'
          order by e.done_at desc, e.number desc limit 50) x
  ) served on true
  where c.active;

  select jsonb_build_object(
    'total_waiting', coalesce(sum(d.waiting), 0),
    'total_in_service', coalesce(sum(d.serving), 0),
    'total_served', coalesce(sum(d.done), 0),
    'active_clinics', count(*) filter (where d.waiting + d.serving > 0))
  into v_stats
  from love.clinic_days d
  join love.clinics c on c.id = d.clinic_id
  where d.queue_day = v_day and c.active;

  return jsonb_build_object('success', true, 'queues', v_queues, 'stats', v_stats, 'date', v_day,
    'timestamp', love.iso(p_now));
end
$$;

-- Contract row 13: exactly totalWaiting, activeQueues, completedToday, avgWaitTime (minutes: mean of done −
-- entered over today's DONE entries) in `stats`; EnhancedAdminDashboard's currentPatients/throughputHour beside.
create function love.stats_dashboard(p_now timestamptz default now()) returns jsonb
language sql stable
set search_path = ''
as $$
  with day as (select love.qatar_day(p_now) as d),
  counts as (
    select d.* from love.clinic_days d join love.clinics c on c.id = d.clinic_id
    where d.queue_day = (select day.d from day) and c.active
  )
  select jsonb_build_object(
    'success', true,
    'stats', jsonb_build_object(
      'totalWaiting', (select coalesce(sum(counts.waiting), 0) from counts)::int,
      'activeQueues', (select count(*) from counts where counts.waiting + counts.serving > 0)::int,
      'completedToday', (select coalesce(sum(counts.done), 0) from counts)::int,
      'avgWaitTime', (select coalesce(round(avg(extract(epoch from e.done_at - e.entered_at)) / 60), 0)
                      from love.queue_entries e
                      where e.queue_day = (select day.d from day) and e.status = 'DONE')::int),
    'currentPatients', (select coalesce(sum(counts.waiting + counts.serving), 0) from counts)::int,
    'throughputHour', (select count(*) from love.queue_entries e
                       where e.status = 'DONE' and e.queue_day >= (select day.d from day) - 1
                         and e.done_at > p_now - interval '1 hour' and e.done_at <= p_now)::int,
    'date', (select day.d from day),
    'timestamp', love.iso(p_now))
$$;

-- Contract row 14: one entry per active clinic, with EnhancedAdminDashboard's occupancy fields too.
create function love.stats_queues(p_now timestamptz default now()) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'success', true,
    'queues', coalesce(jsonb_agg(love.clinic_staff_view(c, love.qatar_day(p_now)) order by c.sort_order), '[]'::jsonb),
    'date', love.qatar_day(p_now),
    'timestamp', love.iso(p_now))
  from love.clinics c
  where c.active
$$;

-- The call-interval setting (admin/set-call-interval) ------------------------------------------------------

create function love.set_call_interval(p_clinic text, p_minutes int, p_admin_id bigint, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  if p_minutes is null or p_minutes < 1 or p_minutes > 240 then
    return love.fail('INVALID_INTERVAL');
  end if;
  insert into love.clinic_settings as s (clinic_id, call_interval_minutes, updated_at, updated_by)
  values (v_clinic, p_minutes, p_now, p_admin_id)
  on conflict (clinic_id) do update set call_interval_minutes = excluded.call_interval_minutes,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by;
  insert into love.events (event_type, clinic_code, data, created_at)
  values ('CALL_INTERVAL_SET', v_clinic, jsonb_build_object('minutes', p_minutes, 'admin_id', p_admin_id), p_now);
  return jsonb_build_object('success', true, 'clinic', v_clinic, 'interval_minutes', p_minutes,
    'call_interval_minutes', p_minutes, 'message', format('Call interval set to %s minutes', p_minutes));
end
$$;

create function love.call_intervals(p_clinic text) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_clinic text;
  v_intervals jsonb;
begin
  if p_clinic is not null then
    v_clinic := love.resolve_clinic(p_clinic);
    if v_clinic is null then
      return love.fail('UNKNOWN_CLINIC');
    end if;
  end if;
  select coalesce(jsonb_object_agg(c.id, s.call_interval_minutes), '{}'::jsonb) into v_intervals
  from love.clinics c
  left join love.clinic_settings s on s.clinic_id = c.id
  where c.active and (v_clinic is null or c.id = v_clinic);
  return jsonb_build_object('success', true, 'clinic', v_clinic, 'intervals', v_intervals,
    'interval_minutes', case when v_clinic is not null then v_intervals -> v_clinic end);
end
$$;

-- Reports ------------------------------------------------------------------------------------------------

-- A report over the queue days [p_from, p_to], computed now and stored (reports/history lists it).
create function love.report(p_type text, p_period text, p_from date, p_to date, p_admin_id bigint,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinics jsonb;
  v_totals record;
  v_data jsonb;
begin
  if p_type is null or p_type not in ('daily', 'weekly', 'monthly', 'annual') or p_from is null or p_to is null
     or p_to < p_from or p_to - p_from > 366 then
    return love.fail('INVALID_PERIOD');
  end if;

  with per_clinic as (
    select e.clinic_id,
      count(*) as total,
      count(*) filter (where e.status = 'DONE') as completed,
      count(*) filter (where e.status = 'CANCELLED') as cancelled,
      count(*) filter (where e.status = 'WAITING') as waiting,
      count(*) filter (where e.status in ('CALLED', 'IN_SERVICE')) as in_service,
      round(avg(extract(epoch from e.done_at - e.entered_at) / 60) filter (where e.status = 'DONE'), 1) as avg_wait
    from love.queue_entries e
    where e.queue_day between p_from and p_to
    group by e.clinic_id
  )
  select coalesce(jsonb_agg(jsonb_build_object('clinic', c.id, 'name', c.name_ar, 'name_en', c.name_en,
      'total', coalesce(pc.total, 0), 'completed', coalesce(pc.completed, 0), 'cancelled', coalesce(pc.cancelled, 0),
      'waiting', coalesce(pc.waiting, 0), 'in_service', coalesce(pc.in_service, 0),
      'avg_wait_minutes', coalesce(pc.avg_wait, 0)) order by c.sort_order), '[]'::jsonb)
  into v_clinics
  from love.clinics c
  left join per_clinic pc on pc.clinic_id = c.id
  where c.active or pc.total > 0;

  select count(distinct e.patient_key) as patients, count(*) as visits,
    count(*) filter (where e.status = 'DONE') as completed,
    count(*) filter (where e.status = 'CANCELLED') as cancelled,
    coalesce(round(avg(extract(epoch from e.done_at - e.entered_at) / 60) filter (where e.status = 'DONE'), 1), 0)
      as avg_wait
  into v_totals
  from love.queue_entries e
  where e.queue_day between p_from and p_to;

  v_data := jsonb_build_object(
    'type', p_type,
    'period', p_period,
    'date', p_period,
    'from', p_from,
    'to', p_to,
    'total_patients', v_totals.patients,
    'total_visits', v_totals.visits,
    'completed', v_totals.completed,
    'cancelled', v_totals.cancelled,
    'avg_wait_minutes', v_totals.avg_wait,
    'clinics', v_clinics,
    'generatedAt', love.iso(p_now));
  insert into love.reports as r (report_type, period_key, period_start, period_end, data, generated_at, generated_by)
  values (p_type, p_period, p_from, p_to, v_data, p_now, p_admin_id)
  on conflict (report_type, period_key) do update set data = excluded.data, period_start = excluded.period_start,
    period_end = excluded.period_end, generated_at = excluded.generated_at, generated_by = excluded.generated_by;
  return jsonb_build_object('success', true, 'report', v_data);
end
$$;

-- Contract row 19 (AdminPage reads reports[].name, .size, .date).
create function love.reports_history(p_limit int) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('success', true, 'reports', coalesce(jsonb_agg(jsonb_build_object(
      'id', r.report_type || ':' || r.period_key,
      'name', case r.report_type when 'daily' then 'التقرير اليومي' when 'weekly' then 'التقرير الأسبوعي'
                when 'monthly' then 'التقرير الشهري' else 'التقرير السنوي' end || ' ' || r.period_key,
      'type', r.report_type,
      'period', r.period_key,
      'date', r.period_key,
      'size', pg_size_pretty(octet_length(r.data::text)::bigint),
      'generatedAt', love.iso(r.generated_at),
      'total_patients', r.data -> 'total_patients',
      'completed', r.data -> 'completed') order by r.generated_at desc, r.report_type, r.period_key), '[]'::jsonb))
  from (select * from love.reports order by generated_at desc limit greatest(1, least(coalesce(p_limit, 20), 100))) r
$$;

-- notify/status: the latest notifications (of a clinic, or all), newest first, without patient identifiers.
create function love.notify_status(p_clinic text, p_limit int) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_clinic text;
  v_items jsonb;
begin
  if p_clinic is not null then
    v_clinic := love.resolve_clinic(p_clinic);
    if v_clinic is null then
      return love.fail('UNKNOWN_CLINIC');
    end if;
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('id', n.id, 'type', n.type, 'clinic', n.clinic_id,
      'message', n.message, 'number', n.data -> 'number', 'event', n.data -> 'type', 'read', n.read,
      'timestamp', love.iso(n.created_at)) order by n.id desc), '[]'::jsonb)
  into v_items
  from (select * from love.notifications n
        where v_clinic is null or n.clinic_id = v_clinic
        order by n.id desc
        limit greatest(1, least(coalesce(p_limit, 20), 100))) n;
  return jsonb_build_object('success', true, 'clinic', v_clinic, 'notifications', v_items,
    'count', jsonb_array_length(v_items));
end
$$;

-- Rate limit ---------------------------------------------------------------------------------------------

-- Counts one request of a client in the current fixed window and says whether it is within the limit.
create function love.rate_limit_hit(p_client text, p_limit int, p_window_seconds int default 60,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_window timestamptz := to_timestamp(floor(extract(epoch from p_now) / p_window_seconds) * p_window_seconds);
  v_hits int;
begin
  insert into love.rate_limits as r (client_key, window_start, hits) values (left(p_client, 128), v_window, 1)
  on conflict (client_key, window_start) do update set hits = r.hits + 1
  returning r.hits into v_hits;
  if random() < 0.005 then
    delete from love.rate_limits r where r.window_start < v_window - make_interval(secs => 2 * p_window_seconds);
  end if;
  return jsonb_build_object(
    'allowed', v_hits <= p_limit,
    'hits', v_hits,
    'limit', p_limit,
    'remaining', greatest(p_limit - v_hits, 0),
    'retry_after', greatest(1, ceil(extract(epoch from v_window + make_interval(secs => p_window_seconds) - p_now))::int));
end
$$;

revoke all on all functions in schema love from public, anon, authenticated;
