-- The examinee side: clinics and their aliases, exam types and routes, patients and sessions, per-clinic
-- per-day ticket counters, queue entries, daily PINs, PIN attempt lockouts, routes, events, notifications.
--
-- The baseline (restructured once on 2026-12-01, before any environment applied it: the 2025-11-25 files put our
-- tables in `public`, where production already holds the 2025 backend's tables). Everything we own lives in schema
-- `love`: nothing collides with a legacy table, and PostgREST, which exposes `public`, never sees it. The schema
-- grants nothing to anon/authenticated, and every table has RLS on with no policy besides: the browser's anon key
-- reads and writes nothing here. State changes are SQL functions in `love` (next migration), called by the edge
-- functions as `postgres`.
--
-- Two business days, both in Asia/Qatar (UTC+3, no DST):
--   * the queue day (tickets, counters, "one entry per clinic per patient per day") is the Qatar calendar date;
--   * the PIN day starts at 05:00 Qatar time: 00:00–04:59 still use the previous date's PIN set.

create schema if not exists love;
revoke all on schema love from public;
comment on schema love is 'The examinee flow''s state-change API (SQL functions), called by the edge functions.';

-- Clinics -------------------------------------------------------------------------------------------------

create table love.clinics (
  id text primary key check (id ~ '^[a-z][a-z0-9_]{1,31}$'),
  -- The backend code the earlier servers used (xray, vitals, eyes, ...).
  backend_code text not null unique,
  -- The frontend's config/clinics.json code (LAB, XR, ...); null for backend-only clinics.
  station_code text unique,
  name_ar text not null,
  name_en text not null,
  floor text not null check (floor in ('G', 'M', '2', '3')),
  sort_order int not null,
  active boolean not null default true
);
comment on column love.clinics.id is 'The UI station id (config/clinics.json code, lower case): what the frontend sends.';

create table love.clinic_aliases (
  alias text primary key check (alias = lower(alias) and alias ~ '^[a-z0-9_-]{1,32}$'),
  clinic_id text not null references love.clinics (id)
);

insert into love.clinics (id, backend_code, station_code, name_ar, name_en, floor, sort_order) values
  ('lab', 'lab', 'LAB', 'المختبر', 'Laboratory', 'M', 1),
  ('xr', 'xray', 'XR', 'الأشعة', 'Radiology (X-ray)', 'M', 2),
  ('bio', 'vitals', 'BIO', 'القياسات الحيوية', 'Vital signs', '2', 3),
  ('eye', 'eyes', 'EYE', 'العيون', 'Ophthalmology', '2', 4),
  ('int', 'internal', 'INT', 'الباطنية', 'Internal medicine', '2', 5),
  ('sur', 'surgery', 'SUR', 'الجراحة العامة', 'General surgery', '2', 6),
  ('ent', 'ent', 'ENT', 'أنف وأذن وحنجرة', 'Ear, nose and throat', '2', 7),
  ('psy', 'psychiatry', 'PSY', 'الطب النفسي', 'Psychiatry', '2', 8),
  ('dnt', 'dental', 'DNT', 'الأسنان', 'Dental', '2', 9),
  ('der', 'derma', 'DER', 'الجلدية', 'Dermatology', '3', 10),
  ('aud', 'audio', 'AUD', 'قياس السمع', 'Audiology', '2', 11),
  ('ecg', 'ecg', 'ECG', 'تخطيط القلب', 'ECG', '2', 12),
  ('bones', 'bones', null, 'العظام', 'Orthopedics', '2', 13),
  ('women_internal', 'women_internal', null, 'الباطنية (نساء)', 'Internal medicine (women)', '3', 14),
  ('women_eyes', 'women_eyes', null, 'العيون (نساء)', 'Ophthalmology (women)', '3', 15),
  ('women_derma', 'women_derma', null, 'الجلدية (نساء)', 'Dermatology (women)', '3', 16);

-- Every id, backend code and station code resolves to its clinic; plus the ids of utils.js medicalPathways
-- and other spellings seen in the earlier backends (contract §3.3, bug C4).
insert into love.clinic_aliases (alias, clinic_id)
select lower(c.id), c.id from love.clinics c
union select lower(c.backend_code), c.id from love.clinics c
union select lower(c.station_code), c.id from love.clinics c where c.station_code is not null
union select a.alias, a.clinic_id from (values
  ('laboratory', 'lab'),
  ('x-ray', 'xr'), ('x_ray', 'xr'), ('radiology', 'xr'),
  ('vital', 'bio'), ('vital_signs', 'bio'), ('biometrics', 'bio'),
  ('ophthalmology', 'eye'), ('ophthalmic', 'eye'),
  ('internal_medicine', 'int'),
  ('general_surgery', 'sur'),
  ('psychology', 'psy'),
  ('dentistry', 'dnt'),
  ('dermatology', 'der'),
  ('audiology', 'aud'),
  ('orthopedics', 'bones'), ('ortho', 'bones'),
  ('internal_f', 'women_internal'),
  ('ophthalmology_f', 'women_eyes'), ('eyes_f', 'women_eyes'),
  ('dermatology_f', 'women_derma'), ('derma_f', 'women_derma')
) as a (alias, clinic_id);

-- Exam types and their routes (contract §3.2, §3.4; gender does not change the route, as in the frontend) ---

create table love.exam_types (
  id text primary key check (id ~ '^[a-z_]{2,32}$'),
  name_ar text not null,
  name_en text not null,
  sort_order int not null
);

insert into love.exam_types (id, name_ar, name_en, sort_order) values
  ('recruitment', 'فحص التجنيد', 'Recruitment', 1),
  ('promotion', 'فحص الترفيع', 'Promotion', 2),
  ('transfer', 'فحص النقل', 'Transfer', 3),
  ('referral', 'فحص التحويل', 'Referral', 4),
  ('contract', 'تجديد التعاقد', 'Contract renewal', 5),
  ('aviation', 'فحص الطيران السنوي', 'Aviation annual', 6),
  ('cooks', 'فحص الطباخين', 'Cooks', 7),
  ('courses', 'فحص الدورات الداخلية والخارجية', 'Internal and external courses', 8);

create table love.exam_routes (
  exam_type text not null references love.exam_types (id),
  step int not null check (step >= 0),
  clinic_id text not null references love.clinics (id),
  primary key (exam_type, step),
  unique (exam_type, clinic_id)
);

insert into love.exam_routes (exam_type, step, clinic_id)
select e.exam_type, r.ord - 1, r.clinic_id
from (values
  ('recruitment', array['lab','xr','bio','eye','int','sur','ent','psy','dnt','der']),
  ('promotion', array['lab','xr','bio','eye','int','sur','ent','psy','dnt','der']),
  ('transfer', array['lab','xr','bio','eye','int','sur','ent','psy','dnt','der']),
  ('referral', array['lab','xr','bio','eye','int','sur','ent','psy','dnt','der']),
  ('contract', array['lab','xr','bio','eye','int','sur','ent','psy','dnt','der']),
  ('aviation', array['lab','eye','int','ent','ecg','aud']),
  ('cooks', array['lab','int','ent','sur']),
  ('courses', array['lab','eye','sur','int'])
) as e (exam_type, clinics)
cross join lateral unnest(e.clinics) with ordinality as r (clinic_id, ord);

-- Patients and sessions ---------------------------------------------------------------------------------

create table love.patients (
  id bigint generated always as identity primary key,
  -- The military/personal number (2–12 digits).
  patient_number text not null unique check (patient_number ~ '^[0-9]{2,12}$'),
  gender text not null check (gender in ('male', 'female')),
  created_at timestamptz not null,
  last_login_at timestamptz not null
);

-- One session per patient per Qatar day: a repeated (or replayed, or concurrent) login that day returns it.
-- The session id is what the frontend sends as `user` in every queue call.
create table love.patient_sessions (
  id text primary key check (id ~ '^[0-9]{10,16}-[0-9a-z]{8,32}$'),
  patient_id bigint not null references love.patients (id),
  session_day date not null,
  gender text not null check (gender in ('male', 'female')),
  created_at timestamptz not null,
  last_login_at timestamptz not null,
  unique (patient_id, session_day)
);

-- Queue -------------------------------------------------------------------------------------------------

-- The per-clinic, per-Qatar-day ticket counter and the day's live counts (kept by a trigger on queue_entries,
-- so total_waiting is O(1) and never drifts from the rows).
create table love.clinic_days (
  clinic_id text not null references love.clinics (id),
  queue_day date not null,
  last_number int not null default 0 check (last_number >= 0),
  waiting int not null default 0 check (waiting >= 0),
  serving int not null default 0 check (serving >= 0),
  done int not null default 0 check (done >= 0),
  cancelled int not null default 0 check (cancelled >= 0),
  primary key (clinic_id, queue_day)
);

-- Waiting counts per block of 128 consecutive numbers (kept by the same trigger): "how many are ahead of me"
-- sums at most N/128 block rows plus an index-only count inside one block, so its cost stays flat as the
-- queue grows (10,000 waiting: ~80 block rows + ≤127 index entries instead of up to 10,000).
create table love.clinic_day_blocks (
  clinic_id text not null,
  queue_day date not null,
  block int not null check (block >= 0),
  waiting int not null default 0 check (waiting >= 0),
  primary key (clinic_id, queue_day, block),
  foreign key (clinic_id, queue_day) references love.clinic_days (clinic_id, queue_day)
);

create table love.queue_entries (
  id bigint generated always as identity primary key,
  clinic_id text not null references love.clinics (id),
  queue_day date not null,
  number int not null check (number > 0),
  -- The frontend's `user` (a session id; the frontend may also use ids issued by its own local login).
  patient_key text not null check (patient_key ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  -- One status vocabulary, upper case, enforced here (bug C6).
  status text not null default 'WAITING'
    check (status in ('WAITING', 'CALLED', 'IN_SERVICE', 'DONE', 'CANCELLED')),
  entered_at timestamptz not null,
  called_at timestamptz,
  done_at timestamptz,
  cancelled_at timestamptz,
  foreign key (clinic_id, queue_day) references love.clinic_days (clinic_id, queue_day),
  -- Numbers are never reused within a clinic's day, whatever happens to the entry (bug Q2).
  unique (clinic_id, queue_day, number)
);

-- One live entry per (clinic, patient, day): done is final for the day (a replayed enter returns it);
-- only a cancelled entry lets the patient take a new number.
create unique index queue_entries_one_per_day
  on love.queue_entries (clinic_id, patient_key, queue_day) where status <> 'CANCELLED';
-- "How many are ahead of me" is an index-only count over the waiting entries of one clinic-day.
create index queue_entries_waiting_order
  on love.queue_entries (clinic_id, queue_day, number) where status = 'WAITING';
create index queue_entries_serving
  on love.queue_entries (clinic_id, queue_day, called_at) where status in ('CALLED', 'IN_SERVICE');
create index queue_entries_done
  on love.queue_entries (clinic_id, queue_day, done_at) where status = 'DONE';
create index queue_entries_by_patient on love.queue_entries (patient_key, queue_day);

create function love.track_clinic_day_counts() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  old_bucket text := case when tg_op = 'UPDATE' then love.status_bucket(old.status) end;
  new_bucket text := love.status_bucket(new.status);
  waiting_delta int;
begin
  if tg_op = 'UPDATE' and old_bucket = new_bucket then
    return null;
  end if;
  waiting_delta := (new_bucket = 'waiting')::int - coalesce((old_bucket = 'waiting')::int, 0);
  update love.clinic_days d set
    waiting = d.waiting + waiting_delta,
    serving = d.serving + (new_bucket = 'serving')::int - coalesce((old_bucket = 'serving')::int, 0),
    done = d.done + (new_bucket = 'done')::int - coalesce((old_bucket = 'done')::int, 0),
    cancelled = d.cancelled + (new_bucket = 'cancelled')::int - coalesce((old_bucket = 'cancelled')::int, 0)
  where d.clinic_id = new.clinic_id and d.queue_day = new.queue_day;
  if waiting_delta > 0 then
    insert into love.clinic_day_blocks as b (clinic_id, queue_day, block, waiting)
    values (new.clinic_id, new.queue_day, love.number_block(new.number), 1)
    on conflict (clinic_id, queue_day, block) do update set waiting = b.waiting + 1;
  elsif waiting_delta < 0 then
    update love.clinic_day_blocks b set waiting = b.waiting - 1
    where b.clinic_id = new.clinic_id and b.queue_day = new.queue_day and b.block = love.number_block(new.number);
  end if;
  return null;
end
$$;

create function love.status_bucket(p_status text) returns text
language sql immutable
as $$
  select case p_status
    when 'WAITING' then 'waiting'
    when 'CALLED' then 'serving'
    when 'IN_SERVICE' then 'serving'
    when 'DONE' then 'done'
    when 'CANCELLED' then 'cancelled'
  end
$$;

-- Pure arithmetic, no object referenced: left without SET so the planner can inline it.
create function love.number_block(p_number int) returns int
language sql immutable
as $$ select p_number / 128 $$;

create trigger queue_entries_counts
  after insert or update of status on love.queue_entries
  for each row execute function love.track_clinic_day_counts();

-- Moving an entry to another clinic or day would break the counters and the numbering (bug Q7): a new
-- clinic means a new entry with a number from that clinic's counter.
create function love.forbid_entry_move() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.clinic_id <> old.clinic_id or new.queue_day <> old.queue_day or new.number <> old.number
     or new.patient_key <> old.patient_key then
    raise exception 'queue entries never move: enter the target clinic for a new number'
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;

create trigger queue_entries_immovable
  before update of clinic_id, queue_day, number, patient_key on love.queue_entries
  for each row execute function love.forbid_entry_move();

-- PINs --------------------------------------------------------------------------------------------------

-- One set per PIN day (which starts at 05:00 Qatar), one 4-digit PIN per active clinic, distinct within the
-- day so a PIN identifies one clinic. Created on first use by love.ensure_pins().
create table love.daily_pins (
  pin_day date not null,
  clinic_id text not null references love.clinics (id),
  pin text not null check (pin ~ '^[0-9]{4}$'),
  generated_at timestamptz not null,
  primary key (pin_day, clinic_id),
  unique (pin_day, pin)
);

-- Brute-force lockout per (user, clinic) (bug S3).
create table love.pin_attempts (
  patient_key text not null,
  clinic_id text not null references love.clinics (id),
  failures int not null default 0 check (failures >= 0),
  window_started_at timestamptz not null,
  locked_until timestamptz,
  primary key (patient_key, clinic_id)
);

-- Routes ------------------------------------------------------------------------------------------------

create table love.routes (
  id bigint generated always as identity primary key,
  -- As the frontend sends it (`patientId`, in practice its session id).
  patient_key text not null check (patient_key ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  exam_type text not null references love.exam_types (id),
  gender text check (gender in ('male', 'female')),
  -- Stored verbatim as the frontend sent them.
  stations jsonb not null check (jsonb_typeof(stations) = 'array'),
  dynamic boolean not null,
  current_step int not null default 0 check (current_step >= 0),
  completed_stations text[] not null default '{}',
  status text not null default 'active' check (status in ('active', 'completed')),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index routes_by_patient on love.routes (patient_key, created_at desc);

-- Events (the audit trail and, later, the cache-invalidation outbox) and patient notifications -----------

create table love.events (
  id bigint generated always as identity primary key,
  event_type text not null check (event_type ~ '^[A-Z][A-Z_]{1,63}$'),
  clinic_code text,
  patient_id text,
  position int,
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index events_by_type_time on love.events (event_type, created_at);

create table love.notifications (
  id bigint generated always as identity primary key,
  patient_key text not null,
  clinic_id text references love.clinics (id),
  type text not null default 'info' check (type in ('info', 'warning', 'urgent', 'success')),
  message text not null,
  data jsonb not null default '{}'::jsonb,
  read boolean not null default false,
  created_at timestamptz not null default now()
);
create index notifications_by_patient on love.notifications (patient_key, id);

-- Lock it all down: RLS on, no policies, nothing for the API roles (service_role bypasses RLS as on Supabase).

do $$
declare
  t text;
begin
  foreach t in array array['clinics', 'clinic_aliases', 'exam_types', 'exam_routes', 'patients',
    'patient_sessions', 'clinic_days', 'clinic_day_blocks', 'queue_entries', 'daily_pins', 'pin_attempts', 'routes', 'events',
    'notifications']
  loop
    execute format('alter table love.%I enable row level security', t);
    execute format('revoke all on table love.%I from anon, authenticated, public', t);
  end loop;
end
$$;

revoke all on sequence love.patients_id_seq, love.queue_entries_id_seq, love.routes_id_seq,
  love.events_id_seq, love.notifications_id_seq from anon, authenticated, public;
revoke all on all functions in schema love from public, anon, authenticated;
alter default privileges in schema love revoke execute on functions from public;
