-- Pacing the unchanged frontend's polling loop (issue 11) and the rate limits' shared counters. Expand-only.
--
-- 1. love.change_versions: one counter per clinic, moved on in the same transaction as every change of that
--    clinic's queue entries or PIN. An isolate holding reads of a clinic polls this tiny table (one indexed read
--    for all its held requests) to learn that something changed: it works through the transaction pooler, with
--    any number of isolates, and holds no connection between polls. (LISTEN does not pass the pooler.)
-- 2. love.position_answers: what queue/position last answered each (clinic, user), and when (the real clock), so
--    every isolate can tell a repeated unchanged read (held) from a first one, one after a pause, or one whose
--    answer differs (answered at once).
-- 3. love.queue_position_paced: queue/position plus that decision, in one statement.
-- 4. love.rate_limit_add: adds an isolate's batched request counts for many clients in one statement.

create table love.change_versions (
  clinic_id text primary key references love.clinics (id),
  version bigint not null default 0 check (version >= 0),
  changed_at timestamptz not null
);

-- Statement-level (one upsert per statement, however many rows it touched), clinics in a fixed order so two
-- statements touching the same clinics lock their rows in the same order. One function for both tables: each
-- trigger names its changed rows `changed`, and both tables key them by clinic_id.
create function love.bump_change_versions() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into love.change_versions as v (clinic_id, version, changed_at)
  select c.clinic_id, 1, now() from (select distinct clinic_id from changed) c order by c.clinic_id
  on conflict (clinic_id) do update set version = v.version + 1, changed_at = excluded.changed_at;
  return null;
end
$$;

create trigger queue_entries_versions_insert
  after insert on love.queue_entries referencing new table as changed
  for each statement execute function love.bump_change_versions();
create trigger queue_entries_versions_update
  after update on love.queue_entries referencing new table as changed
  for each statement execute function love.bump_change_versions();
create trigger daily_pins_versions_insert
  after insert on love.daily_pins referencing new table as changed
  for each statement execute function love.bump_change_versions();
create trigger daily_pins_versions_update
  after update on love.daily_pins referencing new table as changed
  for each statement execute function love.bump_change_versions();

create table love.position_answers (
  clinic_id text not null references love.clinics (id),
  patient_key text not null check (char_length(patient_key) <= 64),
  -- What the answer shows (status, number, position code, ahead, total waiting, queue day): never a timestamp.
  fingerprint text not null check (char_length(fingerprint) <= 200),
  answered_at timestamptz not null,
  primary key (clinic_id, patient_key)
);
create index position_answers_by_time on love.position_answers (answered_at);

-- p_mode: 'arrive' (a new request: held when the last answer to this clinic and user showed the same and was sent
-- within p_hold_within_ms), 'recheck' (a held request woken by a change: held on while the answer still shows
-- p_seen), 'answer' (the hold is over: answered whatever it shows). Whenever the result is not held, it is
-- recorded as answered now. Failures (unknown clinic, not in queue) are returned as they are, never held.
-- The clinic's version is read before the position: a change committed after that read moves the version on,
-- so a hold taken on this answer is always woken by it.
create function love.queue_position_paced(p_clinic text, p_user text, p_now timestamptz, p_mode text,
  p_seen text default null, p_hold_within_ms int default 5000) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_version bigint;
  v_view jsonb;
  v_fingerprint text;
  v_last love.position_answers;
  v_hold boolean;
begin
  if p_mode is null or p_mode not in ('arrive', 'recheck', 'answer') then
    raise exception 'queue_position_paced: unknown mode %', p_mode using errcode = 'invalid_parameter_value';
  end if;
  select v.version into v_version from love.change_versions v where v.clinic_id = v_clinic;
  v_view := love.queue_position(p_clinic, p_user, p_now);
  if not coalesce((v_view ->> 'success')::boolean, false) then
    return v_view;
  end if;
  v_fingerprint := concat_ws('|', v_view ->> 'status', v_view ->> 'number', v_view ->> 'display_number',
    v_view ->> 'ahead', v_view ->> 'total_waiting', v_view ->> 'queue_day');

  if p_mode = 'arrive' then
    select * into v_last from love.position_answers a
    where a.clinic_id = v_view ->> 'clinic' and a.patient_key = p_user;
    v_hold := found and v_last.fingerprint = v_fingerprint
      and v_last.answered_at > clock_timestamp() - make_interval(secs => greatest(p_hold_within_ms, 0) / 1000.0);
  elsif p_mode = 'recheck' then
    v_hold := v_fingerprint = p_seen;
  else
    v_hold := false;
  end if;

  if not v_hold then
    insert into love.position_answers as a (clinic_id, patient_key, fingerprint, answered_at)
    values (v_view ->> 'clinic', p_user, v_fingerprint, clock_timestamp())
    on conflict (clinic_id, patient_key)
    do update set fingerprint = excluded.fingerprint, answered_at = excluded.answered_at;
    -- Answers older than a day mean nothing: dropped now and then, so the table does not grow with the days.
    if random() < 0.001 then
      delete from love.position_answers a
      where a.answered_at < clock_timestamp() - interval '1 day';
    end if;
  end if;

  return v_view || jsonb_build_object('pacing', jsonb_build_object(
    'hold', v_hold, 'version', coalesce(v_version, 0), 'fingerprint', v_fingerprint));
end
$$;

-- After queue/enter: the page's next position read is a first one (a page load or reload enters, then reads).
create function love.forget_position_answer(p_clinic text, p_user text) returns void
language sql
set search_path = ''
as $$
  delete from love.position_answers a where a.clinic_id = love.resolve_clinic(p_clinic) and a.patient_key = p_user
$$;

-- The current versions of some clinics (0 for a clinic that never changed).
create function love.change_versions_of(p_clinics text[]) returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(c.id, coalesce(v.version, 0)), '{}'::jsonb)
  from love.clinics c left join love.change_versions v on v.clinic_id = c.id
  where c.id = any(p_clinics)
$$;

-- Rate limits: adds counts for many clients to one fixed window in one statement and returns every client's
-- total so far ({key: hits}). Keys in a fixed order, so concurrent batches lock their rows in the same order.
create function love.rate_limit_add(p_keys text[], p_counts int[], p_window_start timestamptz,
  p_window_seconds int default 60) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_totals jsonb;
begin
  with added as (
    insert into love.rate_limits as r (client_key, window_start, hits)
    select t.client_key, p_window_start, least(sum(t.hits), 2147483647)::int
    from (select left(k, 128) as client_key, greatest(c, 0)::bigint as hits
          from unnest(p_keys, p_counts) as u (k, c) where k is not null) t
    group by t.client_key
    order by t.client_key
    on conflict (client_key, window_start)
    do update set hits = least(r.hits::bigint + excluded.hits, 2147483647)::int
    returning r.client_key, r.hits
  )
  select coalesce(jsonb_object_agg(a.client_key, a.hits), '{}'::jsonb) into v_totals from added a;
  if random() < 0.01 then
    delete from love.rate_limits r
    where r.window_start < p_window_start - make_interval(secs => 2 * greatest(p_window_seconds, 1));
  end if;
  return v_totals;
end
$$;

alter table love.change_versions enable row level security;
alter table love.position_answers enable row level security;
revoke all on table love.change_versions, love.position_answers from anon, authenticated, public;
revoke all on all functions in schema love from public, anon, authenticated;
