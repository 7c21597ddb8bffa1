-- Staff sign-in through the unchanged frontend (issue 12; issue 15 M3): password sign-in (HTTP Basic on the
-- staff endpoints, or POST /admin/login) with a lockout a stranger cannot use to keep an admin out, trusted
-- devices, one-time sign-in links, session rotation, sign-out, and an audit trail.
--
-- Expand-only: the earlier admin_login_* functions and admin_login_attempts stay as they are, so a rolled-back
-- release keeps working against this schema; the new code calls only the functions below.

-- Throttling ---------------------------------------------------------------------------------------------

-- One row per throttled key:
--   'name'   a user name (also names that do not exist): failures from untrusted devices, and the progressive
--            delay before the next attempt (next_allowed_at);
--   'pair'   (user name, client address): a short lock after a few failures from one address;
--   'device' a trusted device's cookie (its hash): a short lock after many failures from that device.
create table love.admin_sign_in_throttle (
  scope text not null check (scope in ('name', 'pair', 'device')),
  key text not null check (char_length(key) <= 200),
  failures int not null default 0 check (failures >= 0),
  window_started_at timestamptz not null,
  last_failure_at timestamptz,
  next_allowed_at timestamptz,
  locked_until timestamptz,
  primary key (scope, key)
);
create index admin_sign_in_throttle_by_time on love.admin_sign_in_throttle (window_started_at);

-- A browser in which an admin signed in before (an HttpOnly cookie; only its SHA-256 is stored). Failed
-- attempts from it are counted apart from strangers', so strangers' failures never lock the owner out.
create table love.admin_devices (
  token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
  admin_id bigint not null references love.admins (id) on delete cascade,
  created_at timestamptz not null,
  last_used_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index admin_devices_by_admin on love.admin_devices (admin_id);

-- One-time sign-in links (`npm run admin -- link`, POST /admin/link): only the code's SHA-256 is stored.
create table love.admin_sign_in_links (
  code_hash text primary key check (code_hash ~ '^[0-9a-f]{64}$'),
  admin_id bigint not null references love.admins (id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  issued_by bigint references love.admins (id) on delete set null,
  issued_by_session uuid,
  used_at timestamptz,
  used_session uuid,
  revoked_at timestamptz
);
create index admin_sign_in_links_by_admin on love.admin_sign_in_links (admin_id);
create index admin_sign_in_links_by_session on love.admin_sign_in_links (issued_by_session);

-- Who signed in, failed, signed out, issued a link or revoked a session: kept 180 days.
create table love.admin_audit (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  action text not null check (action ~ '^[A-Z][A-Z_]{1,39}$'),
  username_key text check (char_length(username_key) <= 64),
  admin_id bigint references love.admins (id) on delete set null,
  client text check (char_length(client) <= 64),
  detail jsonb not null default '{}'::jsonb
);
create index admin_audit_by_time on love.admin_audit (at);

-- How a session was opened (password, basic, link); null for sessions of the earlier login.
alter table love.admin_sessions add column method text check (method in ('password', 'basic', 'link'));

do $$
declare
  t text;
begin
  foreach t in array array['admin_sign_in_throttle', 'admin_devices', 'admin_sign_in_links', 'admin_audit']
  loop
    execute format('alter table love.%I enable row level security', t);
    execute format('revoke all on table love.%I from anon, authenticated, public', t);
  end loop;
end
$$;
revoke all on sequence love.admin_audit_id_seq from anon, authenticated, public;

create function love.admin_audit_write(p_action text, p_username_key text, p_admin_id bigint, p_client text,
  p_detail jsonb, p_now timestamptz) returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into love.admin_audit (at, action, username_key, admin_id, client, detail)
  values (p_now, p_action, left(p_username_key, 64), p_admin_id, left(p_client, 64), coalesce(p_detail, '{}'::jsonb));
  -- Keep the tables small: audit rows go after 180 days, throttle rows nobody touched for a day.
  if random() < 0.01 then
    delete from love.admin_audit a where a.at < p_now - interval '180 days';
    -- Rows someone is signing in with right now are skipped, never waited for.
    delete from love.admin_sign_in_throttle t
    where (t.scope, t.key) in (
      select o.scope, o.key from love.admin_sign_in_throttle o
      where coalesce(o.last_failure_at, o.window_started_at) < p_now - interval '1 day'
        and coalesce(o.locked_until, o.next_allowed_at, '-infinity') < p_now
      for update skip locked);
    delete from love.admin_sign_in_links l where l.expires_at < p_now - interval '7 days';
    delete from love.admin_devices d where d.expires_at < p_now - interval '7 days';
  end if;
end
$$;

create function love.admin_user_key(p_username text) returns text
language sql immutable
set search_path = ''
as $$
  select case when lower(btrim(coalesce(p_username, ''))) ~ '^[a-z0-9][a-z0-9._@-]{2,63}$'
    then lower(btrim(p_username)) end
$$;

-- The first step of a password sign-in, before the password is checked. It counts the attempt first (under the
-- throttle rows' locks, so concurrent guesses cannot overrun a budget); a success refunds it. Budgets:
--   trusted device of this admin: 10 failures per 15 minutes, then that device waits 15 minutes; strangers'
--     failures do not touch it, so the owner's own browser always gets in;
--   any other client: 5 failures per 15 minutes per (name, address), then that pair waits 15 minutes; and per
--     name, 5 failures free, then a delay before each next attempt doubling from 1 minute up to 15 minutes
--     (from any number of addresses: about 4 guesses an hour at most), forgotten after an hour without one.
-- Unknown names are counted the same way, so a lock tells nothing. Returns the admin with its hash (or none,
-- and the caller compares against a decoy hash of `decoy_cost`, so timing tells nothing either).
create function love.admin_sign_in_begin(p_username text, p_client text, p_device_hash text,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_pair_max constant int := 5;
  c_device_max constant int := 10;
  c_window constant interval := interval '15 minutes';
  c_lock constant interval := interval '15 minutes';
  c_name_free constant int := 5;
  c_name_forget constant interval := interval '1 hour';
  c_delay_first_seconds constant int := 60;
  c_delay_max_seconds constant int := 900;
  v_key text := love.admin_user_key(p_username);
  v_client text := left(coalesce(nullif(p_client, ''), 'unknown'), 64);
  v_admin love.admins;
  v_found boolean;
  v_trusted boolean := false;
  v_row love.admin_sign_in_throttle;
  v_pair love.admin_sign_in_throttle;
  v_failures int;
  v_decoy_cost int;
begin
  if v_key is null then
    return jsonb_build_object('locked', false, 'admin', null, 'trusted', false, 'decoy_cost', 12);
  end if;
  select * into v_admin from love.admins a where lower(a.username) = v_key and a.active;
  v_found := found;
  if v_found and p_device_hash ~ '^[0-9a-f]{64}$' then
    v_trusted := exists (select 1 from love.admin_devices d where d.token_hash = p_device_hash
      and d.admin_id = v_admin.id and d.revoked_at is null and d.expires_at > p_now);
  end if;
  select coalesce(max(substring(a.password_hash from 5 for 2)::int), 12) into v_decoy_cost
  from love.admins a where a.active;

  if v_trusted then
    insert into love.admin_sign_in_throttle as t (scope, key, window_started_at) values ('device', p_device_hash, p_now)
    on conflict (scope, key) do update set failures = t.failures returning t.* into v_row;
    if v_row.locked_until > p_now then
      return jsonb_build_object('locked', true, 'scope', 'device',
        'retry_after', greatest(1, ceil(extract(epoch from v_row.locked_until - p_now))::int));
    end if;
    v_failures := case when v_row.window_started_at <= p_now - c_window or v_row.locked_until is not null
      then 1 else v_row.failures + 1 end;
    update love.admin_sign_in_throttle t set
      failures = v_failures,
      window_started_at = case when v_failures = 1 then p_now else t.window_started_at end,
      last_failure_at = p_now,
      locked_until = case when v_failures >= c_device_max then p_now + c_lock end
    where t.scope = 'device' and t.key = p_device_hash;
  else
    -- The name's row first, then the pair's: one lock order for every attempt.
    insert into love.admin_sign_in_throttle as t (scope, key, window_started_at) values ('name', v_key, p_now)
    on conflict (scope, key) do update set failures = t.failures returning t.* into v_row;
    insert into love.admin_sign_in_throttle as t (scope, key, window_started_at)
    values ('pair', v_key || ' ' || v_client, p_now)
    on conflict (scope, key) do update set failures = t.failures returning t.* into v_pair;
    if v_row.next_allowed_at > p_now then
      return jsonb_build_object('locked', true, 'scope', 'name',
        'retry_after', greatest(1, ceil(extract(epoch from v_row.next_allowed_at - p_now))::int));
    end if;
    if v_pair.locked_until > p_now then
      return jsonb_build_object('locked', true, 'scope', 'pair',
        'retry_after', greatest(1, ceil(extract(epoch from v_pair.locked_until - p_now))::int));
    end if;

    v_failures := case when v_pair.window_started_at <= p_now - c_window or v_pair.locked_until is not null
      then 1 else v_pair.failures + 1 end;
    update love.admin_sign_in_throttle t set
      failures = v_failures,
      window_started_at = case when v_failures = 1 then p_now else t.window_started_at end,
      last_failure_at = p_now,
      locked_until = case when v_failures >= c_pair_max then p_now + c_lock end
    where t.scope = 'pair' and t.key = v_pair.key;

    v_failures := case when v_row.last_failure_at is null or v_row.last_failure_at <= p_now - c_name_forget
      then 1 else v_row.failures + 1 end;
    update love.admin_sign_in_throttle t set
      failures = v_failures,
      window_started_at = case when v_failures = 1 then p_now else t.window_started_at end,
      last_failure_at = p_now,
      next_allowed_at = case when v_failures >= c_name_free then p_now + make_interval(secs =>
        least(c_delay_max_seconds, c_delay_first_seconds * power(2, least(v_failures - c_name_free, 10))::int)) end
    where t.scope = 'name' and t.key = v_key;
  end if;

  return jsonb_build_object('locked', false, 'trusted', v_trusted, 'decoy_cost', v_decoy_cost,
    'admin', case when v_found then love.admin_view(v_admin) || jsonb_build_object('password_hash', v_admin.password_hash) end);
end
$$;

-- A wrong password (or an unknown name): recorded in the audit trail; the attempt was already counted.
create function love.admin_sign_in_failed(p_username text, p_client text, p_method text, p_trusted boolean,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_key text := love.admin_user_key(p_username);
begin
  perform love.admin_audit_write('SIGN_IN_FAILED', v_key,
    (select a.id from love.admins a where lower(a.username) = v_key), p_client,
    jsonb_build_object('method', p_method, 'trusted_device', coalesce(p_trusted, false)), p_now);
  return jsonb_build_object('success', true);
end
$$;

-- Opens a session for an admin who proved who they are: revokes the session the browser still carried
-- (rotation: a new id on every sign-in), trusts the device (a new cookie's hash, or the current one again),
-- audits. Shared by the password and the link sign-in.
create function love.admin_open_session(p_admin_id bigint, p_method text, p_ttl_seconds int, p_client text,
  p_device_hash text, p_new_device_hash text, p_replaces uuid, p_now timestamptz) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  c_device_life constant interval := interval '180 days';
  v_admin love.admins;
  v_session love.admin_sessions;
begin
  update love.admins a set last_login_at = p_now where a.id = p_admin_id and a.active returning * into v_admin;
  if not found then
    return love.fail('ADMIN_NOT_FOUND');
  end if;
  if p_replaces is not null then
    update love.admin_sessions s set revoked_at = p_now where s.id = p_replaces and s.revoked_at is null;
  end if;
  -- The admin screens fire several staff calls at once and the browser answers each one's Basic challenge
  -- (each staff function checks its answer): answers from one address within seconds share one session. The
  -- admin row's lock (the update above) makes concurrent answers wait for the first one's session.
  if p_method = 'basic' then
    select * into v_session from love.admin_sessions s
    where s.admin_id = v_admin.id and s.method = 'basic' and s.client is not distinct from left(p_client, 64)
      and s.revoked_at is null and s.expires_at > p_now and s.created_at > p_now - interval '10 seconds'
    order by s.created_at desc limit 1;
    if found then
      if p_new_device_hash ~ '^[0-9a-f]{64}$' then
        insert into love.admin_devices (token_hash, admin_id, created_at, last_used_at, expires_at)
        values (p_new_device_hash, v_admin.id, p_now, p_now, p_now + c_device_life)
        on conflict (token_hash) do nothing;
      end if;
      return jsonb_build_object('success', true, 'admin', love.admin_view(v_admin), 'shared', true,
        'session_id', v_session.id, 'expires_at', love.iso(v_session.expires_at));
    end if;
  end if;
  if p_new_device_hash ~ '^[0-9a-f]{64}$' then
    insert into love.admin_devices (token_hash, admin_id, created_at, last_used_at, expires_at)
    values (p_new_device_hash, v_admin.id, p_now, p_now, p_now + c_device_life)
    on conflict (token_hash) do nothing;
  elsif p_device_hash ~ '^[0-9a-f]{64}$' then
    update love.admin_devices d set last_used_at = p_now, expires_at = p_now + c_device_life
    where d.token_hash = p_device_hash and d.admin_id = v_admin.id and d.revoked_at is null;
  end if;
  insert into love.admin_sessions (admin_id, created_at, expires_at, client, method)
  values (v_admin.id, p_now, p_now + make_interval(secs => greatest(60, least(p_ttl_seconds, 86400))), left(p_client, 64),
    p_method)
  returning * into v_session;
  perform love.admin_audit_write('SIGN_IN', lower(v_admin.username), v_admin.id, p_client,
    jsonb_build_object('method', p_method, 'session_id', v_session.id, 'rotated', p_replaces), p_now);
  return jsonb_build_object('success', true, 'admin', love.admin_view(v_admin),
    'session_id', v_session.id, 'expires_at', love.iso(v_session.expires_at));
end
$$;

-- The password was right: the attempt counted by admin_sign_in_begin is refunded, then the session opens.
create function love.admin_sign_in_succeeded(p_admin_id bigint, p_method text, p_ttl_seconds int, p_client text,
  p_device_hash text, p_new_device_hash text, p_replaces uuid, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_key text;
  v_client text := left(coalesce(nullif(p_client, ''), 'unknown'), 64);
begin
  if p_method not in ('password', 'basic') then
    return love.fail('INVALID_METHOD');
  end if;
  select lower(a.username) into v_key from love.admins a where a.id = p_admin_id;
  if v_key is not null then
    -- The lock order of admin_sign_in_begin (name, then pair), so concurrent sign-ins cannot deadlock.
    update love.admin_sign_in_throttle t set failures = greatest(t.failures - 1, 0)
    where t.scope = 'name' and t.key = v_key and t.last_failure_at is not null;
    delete from love.admin_sign_in_throttle t where t.scope = 'pair' and t.key = v_key || ' ' || v_client;
    if p_device_hash ~ '^[0-9a-f]{64}$' then
      delete from love.admin_sign_in_throttle t where t.scope = 'device' and t.key = p_device_hash;
    end if;
  end if;
  return love.admin_open_session(p_admin_id, p_method, p_ttl_seconds, p_client, p_device_hash, p_new_device_hash,
    p_replaces, p_now);
end
$$;

-- Sign-in links --------------------------------------------------------------------------------------------

-- Issues a one-time code for an admin, valid p_ttl_seconds (1 minute to 1 hour). From the CLI (no issuer) for
-- anyone; from a signed-in admin for themselves or a colleague, but only a super_admin may let in a super_admin.
create function love.admin_link_create(p_username text, p_code_hash text, p_ttl_seconds int, p_issuer_id bigint,
  p_issuer_session uuid, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_admin love.admins;
  v_issuer love.admins;
  v_expires timestamptz;
begin
  if p_code_hash is null or p_code_hash !~ '^[0-9a-f]{64}$' then
    return love.fail('INVALID_CODE');
  end if;
  if p_ttl_seconds is null or p_ttl_seconds < 60 or p_ttl_seconds > 3600 then
    return love.fail('INVALID_TTL');
  end if;
  select * into v_admin from love.admins a where lower(a.username) = love.admin_user_key(p_username) and a.active;
  if not found then
    return love.fail('ADMIN_NOT_FOUND');
  end if;
  if p_issuer_id is not null then
    select * into v_issuer from love.admins a where a.id = p_issuer_id and a.active;
    if not found then
      return love.fail('ADMIN_NOT_FOUND');
    end if;
    if v_admin.role = 'super_admin' and v_issuer.role <> 'super_admin' and v_admin.id <> v_issuer.id then
      return love.fail('FORBIDDEN');
    end if;
  end if;
  v_expires := p_now + make_interval(secs => p_ttl_seconds);
  insert into love.admin_sign_in_links (code_hash, admin_id, created_at, expires_at, issued_by, issued_by_session)
  values (p_code_hash, v_admin.id, p_now, v_expires, p_issuer_id, p_issuer_session);
  perform love.admin_audit_write('LINK_ISSUED', lower(v_admin.username), v_admin.id, null,
    jsonb_build_object('issued_by', p_issuer_id, 'expires_at', love.iso(v_expires)), p_now);
  return jsonb_build_object('success', true, 'admin', love.admin_view(v_admin), 'expires_at', love.iso(v_expires));
end
$$;

-- Redeems a code once (expired, used and revoked codes fail alike) and opens a session.
create function love.admin_link_sign_in(p_code_hash text, p_ttl_seconds int, p_client text, p_device_hash text,
  p_new_device_hash text, p_replaces uuid, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_link love.admin_sign_in_links;
  v_result jsonb;
begin
  update love.admin_sign_in_links l set used_at = p_now
  where l.code_hash = p_code_hash and l.used_at is null and l.revoked_at is null and l.expires_at > p_now
  returning * into v_link;
  if not found then
    perform love.admin_audit_write('LINK_REFUSED', null, null, p_client, '{}'::jsonb, p_now);
    return love.fail('INVALID_LINK');
  end if;
  v_result := love.admin_open_session(v_link.admin_id, 'link', p_ttl_seconds, p_client, p_device_hash,
    p_new_device_hash, p_replaces, p_now);
  if (v_result ->> 'success')::boolean then
    update love.admin_sign_in_links l set used_session = (v_result ->> 'session_id')::uuid
    where l.code_hash = p_code_hash;
  end if;
  return v_result;
end
$$;

-- Sessions -------------------------------------------------------------------------------------------------

-- Sign-out: the session ends at once, and so do the links it issued that nobody used yet.
create function love.admin_sign_out(p_session uuid, p_client text, p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_session love.admin_sessions;
  v_links int;
begin
  update love.admin_sessions s set revoked_at = p_now where s.id = p_session and s.revoked_at is null
  returning * into v_session;
  if not found then
    return jsonb_build_object('success', true, 'revoked', false, 'message', 'Logged out');
  end if;
  update love.admin_sign_in_links l set revoked_at = p_now
  where l.issued_by_session = p_session and l.used_at is null and l.revoked_at is null;
  get diagnostics v_links = row_count;
  perform love.admin_audit_write('SIGN_OUT', null, v_session.admin_id, p_client,
    jsonb_build_object('session_id', p_session, 'links_revoked', v_links), p_now);
  return jsonb_build_object('success', true, 'revoked', true, 'message', 'Logged out');
end
$$;

-- Live sessions: the admin's own, or (p_all, super_admin only) everyone's; newest first.
create function love.admin_sessions_list(p_admin_id bigint, p_all boolean, p_now timestamptz default now())
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_actor love.admins;
begin
  select * into v_actor from love.admins a where a.id = p_admin_id and a.active;
  if not found then
    return love.fail('ADMIN_NOT_FOUND');
  end if;
  if coalesce(p_all, false) and v_actor.role <> 'super_admin' then
    return love.fail('FORBIDDEN');
  end if;
  return jsonb_build_object('success', true, 'sessions', coalesce((
    select jsonb_agg(jsonb_build_object('id', s.id, 'username', a.username, 'method', s.method,
      'created_at', love.iso(s.created_at), 'expires_at', love.iso(s.expires_at), 'client', s.client)
      order by s.created_at desc)
    from (select * from love.admin_sessions s
          where s.revoked_at is null and s.expires_at > p_now and (coalesce(p_all, false) or s.admin_id = p_admin_id)
          order by s.created_at desc limit 200) s
    join love.admins a on a.id = s.admin_id), '[]'::jsonb));
end
$$;

-- Revokes one session: an admin their own, a super_admin anyone's.
create function love.admin_session_revoke(p_actor_id bigint, p_session uuid, p_client text,
  p_now timestamptz default now()) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_actor love.admins;
  v_session love.admin_sessions;
begin
  select * into v_actor from love.admins a where a.id = p_actor_id and a.active;
  if not found then
    return love.fail('ADMIN_NOT_FOUND');
  end if;
  update love.admin_sessions s set revoked_at = p_now
  where s.id = p_session and s.revoked_at is null and s.expires_at > p_now
    and (s.admin_id = v_actor.id or v_actor.role = 'super_admin')
  returning * into v_session;
  if not found then
    return love.fail('SESSION_NOT_FOUND');
  end if;
  update love.admin_sign_in_links l set revoked_at = p_now
  where l.issued_by_session = p_session and l.used_at is null and l.revoked_at is null;
  perform love.admin_audit_write('SESSION_REVOKED', null, v_session.admin_id, p_client,
    jsonb_build_object('session_id', p_session, 'by', v_actor.id), p_now);
  return jsonb_build_object('success', true, 'revoked', true, 'session_id', p_session);
end
$$;

-- `npm run admin -- set-password`: as before (new hash, sessions ended, old lockout cleared), and now also every
-- trusted device and unused link of that admin, and the new lockout's rows for the name.
create or replace function love.set_admin_password(p_username text, p_password_hash text, p_now timestamptz default now())
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
  update love.admin_devices d set revoked_at = p_now where d.admin_id = v_admin.id and d.revoked_at is null;
  update love.admin_sign_in_links l set revoked_at = p_now
  where l.admin_id = v_admin.id and l.used_at is null and l.revoked_at is null;
  delete from love.admin_login_attempts a where a.username_key = lower(p_username);
  delete from love.admin_sign_in_throttle t
  where (t.scope = 'name' and t.key = lower(v_admin.username))
     or (t.scope = 'pair' and left(t.key, char_length(v_admin.username) + 1) = lower(v_admin.username) || ' ');
  perform love.admin_audit_write('PASSWORD_CHANGED', lower(v_admin.username), v_admin.id, null, '{}'::jsonb, p_now);
  return jsonb_build_object('success', true, 'admin', love.admin_view(v_admin));
end
$$;

revoke all on all functions in schema love from public, anon, authenticated;
