/** Kanban lanes, cards and card events; brand profiles and directives, both with version history. */
export default `
CREATE TABLE lanes (
  id text PRIMARY KEY,
  name text NOT NULL,
  position integer NOT NULL
);
INSERT INTO lanes (id, name, position) VALUES
  ('backlog', 'Backlog', 0), ('ready', 'Ready', 1), ('in_progress', 'In progress', 2),
  ('review', 'Review', 3), ('done', 'Done', 4);

CREATE SEQUENCE card_numbers;
CREATE TABLE cards (
  id uuid PRIMARY KEY,
  key text NOT NULL UNIQUE,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  lane text NOT NULL REFERENCES lanes(id),
  position double precision NOT NULL,
  labels jsonb NOT NULL DEFAULT '[]'::jsonb,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cards_lane ON cards (lane, position);

CREATE TABLE card_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  card_id uuid NOT NULL REFERENCES cards(id),
  type text NOT NULL,
  actor text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  run_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX card_events_card ON card_events (card_id, id);

CREATE TABLE brand_profiles (
  profile_id text PRIMARY KEY,
  version integer NOT NULL,
  brand jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE brand_profile_history (
  profile_id text NOT NULL REFERENCES brand_profiles(profile_id),
  version integer NOT NULL,
  brand jsonb NOT NULL,
  changed_by text NOT NULL,
  run_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (profile_id, version)
);

CREATE TABLE directives (
  id text PRIMARY KEY,
  name text NOT NULL,
  tool text NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE directive_versions (
  directive_id text NOT NULL REFERENCES directives(id),
  version integer NOT NULL,
  text text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (directive_id, version)
);
`;
