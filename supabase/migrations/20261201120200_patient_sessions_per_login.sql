-- Issue 15, H2: patient/login with a known military number returned that patient's existing session id (one
-- session per patient per day) and overwrote their stored gender. With the id an attacker could read their
-- stream, position and route, lock their PIN and enter them into any queue.
--
-- Now every login opens a new session with a new unguessable id (the frontend's `<ms>-<random>` shape with 122
-- random bits: a version-4 UUID's hex digits), so a number never leads to anyone's session; and a login never
-- changes what is stored about the patient: a gender that differs from the stored one is the session's own
-- (the answer echoes what was sent, revealing nothing stored) and is recorded as a PATIENT_GENDER_MISMATCH event
-- for staff, never written over the patient's row. What a session id lets its holder do is unchanged: act on
-- that id's own tickets and route, like any id the frontend invents for itself.
-- Expand-only: the one-session-per-day unique constraint goes (nothing reads by it), the function is replaced.

alter table love.patient_sessions drop constraint patient_sessions_patient_id_session_day_key;
create index patient_sessions_by_patient on love.patient_sessions (patient_id, session_day);

create or replace function love.patient_login(p_patient_number text, p_gender text, p_now timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_patient love.patients;
  v_session love.patient_sessions;
begin
  if p_patient_number is null or p_patient_number !~ '^[0-9]{2,12}$' then
    return love.fail('INVALID_PATIENT_ID');
  end if;
  if p_gender is null or p_gender not in ('male', 'female') then
    return love.fail('INVALID_GENDER');
  end if;

  -- An upsert, never select-then-insert: concurrent first logins all succeed with one patient (bug Q8). The
  -- stored gender is the first login's; later logins only move last_login_at.
  insert into love.patients as p (patient_number, gender, created_at, last_login_at)
  values (p_patient_number, p_gender, p_now, p_now)
  on conflict (patient_number) do update set last_login_at = greatest(p.last_login_at, excluded.last_login_at)
  returning p.* into v_patient;

  insert into love.patient_sessions (id, patient_id, session_day, gender, created_at, last_login_at)
  values (
    floor(extract(epoch from p_now) * 1000)::bigint::text || '-' || replace(gen_random_uuid()::text, '-', ''),
    v_patient.id, love.qatar_day(p_now), p_gender, p_now, p_now)
  returning * into v_session;

  if v_patient.gender <> p_gender then
    insert into love.events (event_type, patient_id, data, created_at)
    values ('PATIENT_GENDER_MISMATCH', v_session.id, jsonb_build_object('patient', v_patient.id,
      'stored_gender', v_patient.gender, 'login_gender', p_gender), p_now);
  end if;

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

revoke all on all functions in schema love from public, anon, authenticated;
