-- Issue 15, H3: anyone could fill a clinic's queue with invented ids (1,185 fake WAITING tickets put a real
-- patient at ahead: 1185; queue/call then called the fakes), and staff had no way to remove them.
--
-- What tells a flood from patients: the unchanged frontend asks for its position right after taking a ticket
-- (PatientPage: queue/enter, then queue/position) and keeps polling. So every new ticket starts "unseen" (a row
-- in unseen_entries) and its first position read removes that row. Then:
--   * budgets for new entries count live tickets nobody has looked at: per client address and clinic, and per
--     clinic over all addresses (limits passed by the edge function from its settings; 0 turns one off). Real
--     patients behind one address (a shared Wi-Fi) are not limited, because their pages poll;
--   * staff cancel one ticket (queue_cancel: absent, invented) or, in one action, every live ticket of a clinic
--     never seen since entering (queue_cancel_unseen); each cancellation is an audited event. Nobody else moves:
--     numbers never change, so the real patients behind the flood keep their order.
-- Expand-only: a new table, a new queue_enter signature (the edge function's) and new functions. The old
-- queue_enter(text, text, timestamptz), which the previous release calls, keeps working without budgets and
-- without unseen rows (that release records no sightings, so its tickets must never look like a flood).

create table love.unseen_entries (
  entry_id bigint primary key references love.queue_entries (id) on delete cascade,
  clinic_id text not null,
  queue_day date not null,
  -- The address the ticket was taken from (as clientAddress() saw it), for the per-address budget.
  client_address text check (char_length(client_address) <= 64),
  entered_at timestamptz not null
);
create index unseen_entries_by_clinic on love.unseen_entries (clinic_id, queue_day, entered_at);
create index unseen_entries_by_address on love.unseen_entries (clinic_id, client_address, queue_day)
  where client_address is not null;

alter table love.unseen_entries enable row level security;
revoke all on table love.unseen_entries from anon, authenticated, public;

-- The live tickets of a clinic (today's and yesterday's still live) nobody has looked at since they were taken,
-- counted up to p_limit (the budget check needs no more): from one address, or from all when p_client is null.
create function love.unseen_live_entries(p_clinic text, p_day date, p_client text, p_limit int) returns int
language sql stable
set search_path = ''
as $$
  select count(*)::int from (
    select 1
    from love.unseen_entries u
    join love.queue_entries e on e.id = u.entry_id
    where u.clinic_id = p_clinic and u.queue_day in (p_day, p_day - 1)
      and (p_client is null or u.client_address = p_client)
      and e.status in ('WAITING', 'CALLED', 'IN_SERVICE')
    limit greatest(p_limit, 0)
  ) x
$$;

-- Contract row 2, as the edge function calls it: the ticket, idempotent (see the first definition), and for a
-- new ticket the budgets: at most p_unseen_per_address live unseen tickets from p_client in this clinic and at
-- most p_unseen_per_clinic from all addresses (0 or null: no limit; an unknown address has no per-address
-- budget). Counted under the clinic-day counter lock, so concurrent enters cannot overshoot. A refusal is
-- ENTRY_BUDGET_EXCEEDED with retry_after_seconds (a ticket stops counting once its page polls or staff clear it).
create function love.queue_enter(p_clinic text, p_user text, p_now timestamptz, p_client text,
  p_unseen_per_address int, p_unseen_per_clinic int) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_retry_after constant int := 30;
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_client text := case when p_client is null or p_client = 'unknown' then null else left(p_client, 64) end;
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
    if coalesce(p_unseen_per_clinic, 0) > 0
       and love.unseen_live_entries(v_clinic, v_day, null, p_unseen_per_clinic) >= p_unseen_per_clinic then
      return love.fail('ENTRY_BUDGET_EXCEEDED', jsonb_build_object('clinic', v_clinic, 'scope', 'clinic',
        'retry_after_seconds', c_retry_after));
    end if;
    if v_client is not null and coalesce(p_unseen_per_address, 0) > 0
       and love.unseen_live_entries(v_clinic, v_day, v_client, p_unseen_per_address) >= p_unseen_per_address then
      return love.fail('ENTRY_BUDGET_EXCEEDED', jsonb_build_object('clinic', v_clinic, 'scope', 'address',
        'retry_after_seconds', c_retry_after));
    end if;

    update love.clinic_days d set last_number = d.last_number + 1
    where d.clinic_id = v_clinic and d.queue_day = v_day
    returning d.last_number into v_number;

    insert into love.queue_entries (clinic_id, queue_day, number, patient_key, status, entered_at)
    values (v_clinic, v_day, v_number, p_user, 'WAITING', p_now)
    returning * into v_entry;
    -- A null p_client is the previous release's call (no sightings recorded there): no unseen row.
    if p_client is not null then
      insert into love.unseen_entries (entry_id, clinic_id, queue_day, client_address, entered_at)
      values (v_entry.id, v_clinic, v_day, v_client, p_now);
    end if;

    insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
    values ('ENTERED', v_clinic, p_user, v_number, jsonb_build_object('queue_day', v_day), p_now);

    -- Keep the table small: rows of days no ticket can be live on any more.
    if random() < 0.01 then
      delete from love.unseen_entries u where u.queue_day < v_day - 2;
    end if;
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

-- The previous release's signature: no budgets and no unseen rows (it records no sightings, so its tickets must
-- never look like a flood to queue_cancel_unseen).
create or replace function love.queue_enter(p_clinic text, p_user text, p_now timestamptz default now()) returns jsonb
language sql
set search_path = ''
as $$ select love.queue_enter(p_clinic, p_user, p_now, null::text, 0, 0) $$;

-- The ticket's holder asked where they stand: it is no longer unseen. Called by queue/position after a
-- successful answer (once per ticket and isolate); a no-op for a ticket already seen.
create function love.queue_entry_seen(p_clinic text, p_user text, p_now timestamptz default now()) returns void
language sql
set search_path = ''
as $$
  delete from love.unseen_entries u
  using love.queue_entries e
  where u.entry_id = e.id
    and e.clinic_id = love.resolve_clinic(p_clinic)
    and e.patient_key = p_user
    and e.queue_day in (love.qatar_day(p_now), love.qatar_day(p_now) - 1)
$$;

-- Staff: cancel one live ticket of a clinic (today's, or yesterday's still live), found by its number or by its
-- holder. Audited (a CANCELLED event naming the admin and the reason); the holder gets a notice. Cancelling a
-- cancelled ticket is a successful no-op; a done one cannot be cancelled. The holder may take a new number.
-- Idempotent per request key.
create function love.queue_cancel(p_clinic text, p_number int, p_user text, p_reason text, p_admin_id bigint,
  p_request_key text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_reason text := coalesce(nullif(btrim(p_reason), ''), 'staff');
  v_previous jsonb;
  v_entry love.queue_entries;
  v_was text;
  v_result jsonb;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  if p_number is null and p_user is null then
    return love.fail('MISSING_FIELDS', jsonb_build_object('missing_fields', jsonb_build_array('number')));
  end if;
  v_previous := love.replayed_request('queue_cancel', p_request_key);
  if v_previous is not null then
    return v_previous || jsonb_build_object('replayed', true);
  end if;

  select e.* into v_entry
  from love.queue_entries e
  where e.clinic_id = v_clinic and e.queue_day in (v_day, v_day - 1)
    and (p_number is null or e.number = p_number)
    and (p_user is null or e.patient_key = p_user)
    and (e.queue_day = v_day or e.status in ('WAITING', 'CALLED', 'IN_SERVICE'))
  order by e.status in ('WAITING', 'CALLED', 'IN_SERVICE') desc, e.queue_day desc, e.id desc
  limit 1
  for update;
  if not found then
    return love.fail('NOT_IN_QUEUE', jsonb_build_object('clinic', v_clinic, 'number', p_number));
  end if;
  if v_entry.status = 'DONE' then
    return love.fail('NOT_CANCELLABLE', jsonb_build_object('clinic', v_clinic, 'number', v_entry.number,
      'status', v_entry.status));
  end if;
  if v_entry.status = 'CANCELLED' then
    return jsonb_build_object('success', true, 'clinic', v_clinic, 'number', v_entry.number, 'status', 'CANCELLED',
      'already_cancelled', true, 'waiting', love.total_waiting(v_clinic, v_day), 'message', 'Already cancelled');
  end if;

  v_was := v_entry.status;
  update love.queue_entries e set status = 'CANCELLED', cancelled_at = p_now where e.id = v_entry.id;
  delete from love.unseen_entries u where u.entry_id = v_entry.id;
  insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
  values ('CANCELLED', v_clinic, v_entry.patient_key, v_entry.number, jsonb_build_object('queue_day', v_entry.queue_day,
    'number', v_entry.number, 'previous_status', v_was, 'reason', v_reason, 'admin_id', p_admin_id), p_now);
  insert into love.notifications (patient_key, clinic_id, type, message, data, created_at)
  values (v_entry.patient_key, v_clinic, 'warning', 'تم إلغاء رقمك في هذه العيادة، يمكنك أخذ رقم جديد',
    jsonb_build_object('type', 'CANCELLED', 'clinic', v_clinic, 'number', v_entry.number), p_now);

  v_result := jsonb_build_object('success', true, 'clinic', v_clinic, 'number', v_entry.number,
    'status', 'CANCELLED', 'previous_status', v_was, 'already_cancelled', false, 'reason', v_reason,
    'queue_day', v_entry.queue_day, 'waiting', love.total_waiting(v_clinic, v_day), 'message', 'Ticket cancelled');
  perform love.remember_request('queue_cancel', p_request_key, p_admin_id, v_result, p_now);
  return v_result || jsonb_build_object('replayed', false);
end
$$;

-- Staff, one action: cancel every live ticket of a clinic that nobody has looked at since it was taken and that
-- is at least p_min_age_seconds old (a page that has not polled yet is not a flood). Each cancellation is a
-- CANCELLED event (reason 'unseen', the admin), plus one QUEUE_UNSEEN_CANCELLED event with the count and
-- numbers. Idempotent per request key (a replay returns the first answer and cancels nothing).
create function love.queue_cancel_unseen(p_clinic text, p_min_age_seconds int, p_admin_id bigint,
  p_request_key text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_listed constant int := 200;
  v_clinic text := love.resolve_clinic(p_clinic);
  v_day date := love.qatar_day(p_now);
  v_previous jsonb;
  v_ids bigint[];
  v_numbers int[];
  v_result jsonb;
begin
  if v_clinic is null then
    return love.fail('UNKNOWN_CLINIC');
  end if;
  if p_min_age_seconds is null or p_min_age_seconds < 0 or p_min_age_seconds > 86400 then
    return love.fail('INVALID_MIN_AGE');
  end if;
  v_previous := love.replayed_request('queue_cancel_unseen', p_request_key);
  if v_previous is not null then
    return v_previous || jsonb_build_object('replayed', true);
  end if;

  select coalesce(array_agg(t.id order by t.queue_day, t.number), '{}'), coalesce(array_agg(t.number order by t.queue_day, t.number), '{}')
  into v_ids, v_numbers
  from (
    select e.id, e.queue_day, e.number
    from love.unseen_entries u
    join love.queue_entries e on e.id = u.entry_id
    where u.clinic_id = v_clinic and u.queue_day in (v_day, v_day - 1)
      and e.status in ('WAITING', 'CALLED', 'IN_SERVICE')
      and e.entered_at <= p_now - make_interval(secs => p_min_age_seconds)
    -- Both rows: a sighting committed meanwhile removes its ticket from this set instead of racing it.
    for update of e, u
  ) t;

  with cancelled as (
    update love.queue_entries e set status = 'CANCELLED', cancelled_at = p_now
    from love.queue_entries before
    where e.id = any (v_ids) and before.id = e.id
    returning e.*, before.status as previous_status
  )
  insert into love.events (event_type, clinic_code, patient_id, position, data, created_at)
  select 'CANCELLED', v_clinic, c.patient_key, c.number, jsonb_build_object('queue_day', c.queue_day, 'number', c.number,
    'previous_status', c.previous_status, 'reason', 'unseen', 'admin_id', p_admin_id), p_now
  from cancelled c;
  delete from love.unseen_entries u where u.entry_id = any (v_ids);
  insert into love.events (event_type, clinic_code, data, created_at)
  values ('QUEUE_UNSEEN_CANCELLED', v_clinic, jsonb_build_object('cancelled', cardinality(v_ids),
    'numbers', to_jsonb(v_numbers), 'min_age_seconds', p_min_age_seconds, 'admin_id', p_admin_id), p_now);

  v_result := jsonb_build_object('success', true, 'clinic', v_clinic, 'cancelled', cardinality(v_ids),
    'numbers', to_jsonb(v_numbers[1:c_listed]), 'numbers_truncated', cardinality(v_ids) > c_listed,
    'waiting', love.total_waiting(v_clinic, v_day),
    'message', format('%s tickets never seen since entering cancelled', cardinality(v_ids)));
  perform love.remember_request('queue_cancel_unseen', p_request_key, p_admin_id, v_result, p_now);
  return v_result || jsonb_build_object('replayed', false);
end
$$;

revoke all on all functions in schema love from public, anon, authenticated;
