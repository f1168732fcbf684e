-- Tickets: the helpdesk. Every table is tenant-owned (RLS forced), keyed (tenant_id, ...), with
-- foreign keys that include tenant_id, so a tenant's tickets can be distributed together.
--
-- The event log (ticket_events) is the source of WatchTickets: a per-tenant sequence number
-- orders it, and a resume token is simply the last sequence number seen.

-- Per-tenant counters (human ticket numbers, event sequence). Gap-free: taken with
-- UPDATE ... RETURNING inside the creating transaction, so a rolled-back create gives its
-- number back.
CREATE TABLE ticket_counters (
  tenant_id   uuid   PRIMARY KEY REFERENCES tenants,
  last_number bigint NOT NULL DEFAULT 0,
  last_seq    bigint NOT NULL DEFAULT 0
);

CREATE TABLE ticket_teams (
  tenant_id       uuid        NOT NULL REFERENCES tenants,
  id              uuid        NOT NULL DEFAULT hub_uuid_v7(),
  name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  assignment      text        NOT NULL DEFAULT 'manual' CHECK (assignment IN ('manual', 'round_robin', 'least_loaded')),
  members         uuid[]      NOT NULL DEFAULT '{}',
  last_assigned   uuid,                                  -- round-robin cursor
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name)
);

-- Agents marked away are skipped by automatic assignment.
CREATE TABLE ticket_agent_status (
  tenant_id uuid    NOT NULL REFERENCES tenants,
  user_id   uuid    NOT NULL,
  away      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE ticket_calendars (
  tenant_id  uuid   NOT NULL REFERENCES tenants,
  id         uuid   NOT NULL DEFAULT hub_uuid_v7(),
  name       text   NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  time_zone  text   NOT NULL,
  week       text   NOT NULL,                 -- "mon-fri 09:00-17:00" (see sla.h)
  holidays   date[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name)
);

CREATE TABLE ticket_sla_policies (
  tenant_id          uuid    NOT NULL REFERENCES tenants,
  id                 uuid    NOT NULL DEFAULT hub_uuid_v7(),
  name               text    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  position           int     NOT NULL,        -- evaluated in order; the first match applies
  priority           text    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  brand              text,
  tags               text[]  NOT NULL DEFAULT '{}',
  calendar_id        uuid,                    -- NULL: 24x7
  first_response_s   int     CHECK (first_response_s > 0),
  next_response_s    int     CHECK (next_response_s > 0),
  resolution_s       int     CHECK (resolution_s > 0),
  warn_before_s      int     NOT NULL DEFAULT 900 CHECK (warn_before_s >= 0),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, position),
  FOREIGN KEY (tenant_id, calendar_id) REFERENCES ticket_calendars (tenant_id, id)
);

CREATE TABLE tickets (
  tenant_id          uuid        NOT NULL REFERENCES tenants,
  id                 uuid        NOT NULL DEFAULT hub_uuid_v7(),
  number             bigint      NOT NULL,
  brand              text        NOT NULL,
  subject            text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
  description        text        NOT NULL DEFAULT '',
  requester_user_id  uuid,
  requester_email    text        NOT NULL DEFAULT '',
  assignee_id        uuid,
  team_id            uuid,
  priority           text        NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  status             text        NOT NULL DEFAULT 'new'
                       CHECK (status IN ('new', 'open', 'pending', 'on_hold', 'solved', 'closed')),
  channel            text        NOT NULL DEFAULT 'api' CHECK (channel IN ('api', 'email', 'web', 'phone', 'chat')),
  tags               text[]      NOT NULL DEFAULT '{}',
  custom_fields      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  followers          uuid[]      NOT NULL DEFAULT '{}',
  merged_into        uuid,
  sla_policy_id      uuid,
  first_response_at  timestamptz,
  last_agent_reply_at timestamptz,
  last_requester_reply_at timestamptz,
  solved_at          timestamptz,
  closed_at          timestamptz,
  -- SLA, stored so lists and reports read it: business seconds and due instants computed by
  -- the server on every change (and by the sweeper for warnings and breaches).
  sla_first_response_due timestamptz,
  sla_next_response_due  timestamptz,
  sla_resolution_due     timestamptz,
  sla_paused         boolean     NOT NULL DEFAULT false,
  sla_breached       boolean     NOT NULL DEFAULT false,
  sla_warned         boolean     NOT NULL DEFAULT false,
  csat_score         smallint    CHECK (csat_score BETWEEN 1 AND 5),
  csat_comment       text,
  request_id         uuid,
  version            bigint      NOT NULL DEFAULT 1,
  created_by         uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  deleted_at         timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, team_id) REFERENCES ticket_teams (tenant_id, id),
  FOREIGN KEY (tenant_id, sla_policy_id) REFERENCES ticket_sla_policies (tenant_id, id) ON DELETE SET NULL (sla_policy_id)
);
-- Create is idempotent by request_id.
CREATE UNIQUE INDEX tickets_request ON tickets (tenant_id, request_id) WHERE request_id IS NOT NULL;
-- Keyset pagination: the default order (updated_at desc, id) and the common filters.
CREATE INDEX tickets_updated ON tickets (tenant_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_status ON tickets (tenant_id, status, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_team ON tickets (tenant_id, team_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_priority ON tickets (tenant_id, priority, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_tags ON tickets USING gin (tags) WHERE deleted_at IS NULL;
CREATE INDEX tickets_created ON tickets (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

-- Periods during which a ticket's SLA clock was paused (pending, on_hold).
CREATE TABLE ticket_sla_pauses (
  tenant_id uuid        NOT NULL,
  ticket_id uuid        NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at  timestamptz,
  PRIMARY KEY (tenant_id, ticket_id, started_at),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);

CREATE TABLE ticket_comments (
  tenant_id   uuid        NOT NULL,
  id          uuid        NOT NULL DEFAULT hub_uuid_v7(),
  ticket_id   uuid        NOT NULL,
  author_id   uuid,
  author_kind text        NOT NULL CHECK (author_kind IN ('agent', 'requester', 'system')),
  public      boolean     NOT NULL,
  body        text        NOT NULL CHECK (length(body) BETWEEN 1 AND 65536),
  time_spent_s int        NOT NULL DEFAULT 0 CHECK (time_spent_s >= 0),
  moved_from  uuid,                                   -- the ticket it was merged or split from
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (tenant_id, ticket_id, created_at, id);

-- Every change: actor, time, field, old -> new. seq orders a tenant's events for WatchTickets.
CREATE TABLE ticket_events (
  tenant_id  uuid        NOT NULL,
  seq        bigint      NOT NULL,
  ticket_id  uuid        NOT NULL,
  actor_id   uuid,
  kind       text        NOT NULL,        -- created, updated, commented, merged, split, sla_warning, sla_breach, ...
  field      text        NOT NULL DEFAULT '',
  old_value  text,
  new_value  text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seq),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);
CREATE INDEX ticket_events_ticket ON ticket_events (tenant_id, ticket_id, seq);

-- SLA timers the sweeper fires (warnings, breaches): pointers to tickets, so one indexed scan
-- finds what is due across tenants. Row-level security like every tenant-owned table; the
-- sweeper's transaction alone declares itself (hub.scope = 'sla_sweeper') to read across
-- tenants, and fires each timer in a transaction of the ticket's own tenant.
CREATE TABLE ticket_sla_timers (
  tenant_id  uuid        NOT NULL,
  ticket_id  uuid        NOT NULL,
  kind       text        NOT NULL CHECK (kind IN ('warning', 'breach')),
  fire_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, ticket_id, kind)
);
CREATE INDEX ticket_sla_timers_due ON ticket_sla_timers (fire_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ticket_counters', 'ticket_teams', 'ticket_agent_status', 'ticket_calendars',
                           'ticket_sla_policies', 'tickets', 'ticket_sla_pauses', 'ticket_comments', 'ticket_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (tenant_id = hub_current_tenant()) '
                   'WITH CHECK (tenant_id = hub_current_tenant())', t || '_tenant', t);
  END LOOP;
END $$;

ALTER TABLE ticket_sla_timers ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_sla_timers FORCE ROW LEVEL SECURITY;
CREATE POLICY ticket_sla_timers_tenant ON ticket_sla_timers
  USING (tenant_id = hub_current_tenant()) WITH CHECK (tenant_id = hub_current_tenant());
CREATE POLICY ticket_sla_timers_sweeper ON ticket_sla_timers
  USING (current_setting('hub.scope', true) = 'sla_sweeper');
