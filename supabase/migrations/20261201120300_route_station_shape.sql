-- Issue 15, H2/L1: route stations were stored verbatim, whatever they held (markup, nested objects thousands of
-- levels deep). The edge function now validates them field by field (functions/_shared/stations.ts); this is
-- the same rule in the database, so no other caller can store anything else: 1–30 flat objects of at most 16
-- fields, names like identifiers, values scalars (strings of at most 200 characters), 16 KiB in all. Strings
-- stay text: stored and returned exactly as sent, never interpreted (functions/README.md says who escapes what).
-- Expand-only: a new check function and route_create replaced (same signature).

create function love.valid_stations(p_stations jsonb) returns boolean
language sql immutable
set search_path = ''
as $$
  select case when jsonb_typeof(p_stations) is distinct from 'array' then false
    else jsonb_array_length(p_stations) between 1 and 30
      and octet_length(p_stations::text) <= 16384
      and not exists (
        select 1 from jsonb_array_elements(p_stations) s
        where case when jsonb_typeof(s) <> 'object' then true
          else (select count(*) from jsonb_object_keys(s)) > 16
            or exists (select 1 from jsonb_each(s) kv
                       where kv.key !~ '^[A-Za-z][A-Za-z0-9_]{0,31}$'
                          or jsonb_typeof(kv.value) in ('object', 'array')
                          or (jsonb_typeof(kv.value) = 'string' and char_length(kv.value #>> '{}') > 200))
          end)
    end
$$;

-- Contract row 9. Sticky: an existing route (last 24 h) is returned unchanged with sticky:true. Stations of the
-- shape above are stored as sent; when none are sent, the exam type's route is used.
create or replace function love.route_create(p_patient text, p_exam text, p_gender text, p_stations jsonb,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_route love.routes;
  v_unknown text;
  v_sent boolean := p_stations is not null and p_stations <> '[]'::jsonb;
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
  if not v_sent then
    v_stations := love.exam_stations(p_exam);
  elsif not love.valid_stations(p_stations) then
    return love.fail('INVALID_STATIONS');
  else
    select s ->> 'id' into v_unknown
    from jsonb_array_elements(v_stations) s
    where jsonb_typeof(s -> 'id') <> 'string' or love.resolve_clinic(s ->> 'id') is null
    limit 1;
    if found then
      return love.fail('UNKNOWN_STATION', jsonb_build_object('station', v_unknown));
    end if;
  end if;

  insert into love.routes (patient_key, exam_type, gender, stations, dynamic, created_at, updated_at)
  values (p_patient, p_exam, p_gender, v_stations, v_sent, p_now, p_now)
  returning * into v_route;
  insert into love.events (event_type, patient_id, data, created_at)
  values ('ROUTE_CREATED', p_patient, jsonb_build_object('exam_type', p_exam), p_now);

  return jsonb_build_object('success', true, 'sticky', false, 'route', love.route_view(v_route),
    'message', 'Route created');
end
$$;

revoke all on all functions in schema love from public, anon, authenticated;
