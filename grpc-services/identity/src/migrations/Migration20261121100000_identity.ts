import { Migration } from '@core/platform';

/**
 * Users, refresh tokens (hashed, in rotation families), login attempts (lockout and audit) and
 * service clients (hashed secrets). Plain SQL so the same migration runs on PostgreSQL and PGlite.
 */
export class Migration20261121100000Identity extends Migration {
  override up(): void {
    this.addSql(`CREATE TABLE users (
  id                uuid        PRIMARY KEY,
  username          text        NULL UNIQUE,
  email             text        NULL UNIQUE,
  nip               text        NULL UNIQUE,
  name              text        NOT NULL,
  roles             jsonb       NOT NULL DEFAULT '[]',
  area              text        NOT NULL DEFAULT '',
  region            text        NOT NULL DEFAULT '',
  unit              text        NOT NULL DEFAULT '',
  approval_level    smallint    NULL CHECK (approval_level BETWEEN 1 AND 6),
  status            text        NOT NULL CHECK (status IN ('active', 'disabled')),
  password_hash     text        NOT NULL,
  locked_until      timestamptz NULL,
  failures_reset_at timestamptz NULL,
  search_text       text        NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  CHECK (username IS NOT NULL OR email IS NOT NULL OR nip IS NOT NULL)
)`);
    this.addSql('CREATE INDEX users_name_idx ON users (name, id)');
    this.addSql('CREATE INDEX users_roles_idx ON users USING gin (roles)');
    this.addSql(`CREATE TABLE refresh_tokens (
  id             uuid        PRIMARY KEY,
  token_hash     text        NOT NULL UNIQUE,
  family_id      uuid        NOT NULL,
  parent_id      uuid        NULL REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  issued_at      timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz NULL,
  revoked_at     timestamptz NULL,
  revoked_reason text        NULL
)`);
    this.addSql('CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)');
    this.addSql('CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL');
    this.addSql(`CREATE TABLE login_attempts (
  id           uuid        PRIMARY KEY,
  user_id      uuid        NULL REFERENCES users (id) ON DELETE CASCADE,
  login        text        NOT NULL,
  attempted_at timestamptz NOT NULL,
  outcome      text        NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'failed', 'locked', 'disabled')),
  remote       text        NULL
)`);
    this.addSql('CREATE INDEX login_attempts_user_idx ON login_attempts (user_id, attempted_at)');
    this.addSql(`CREATE TABLE service_clients (
  client_id    text        PRIMARY KEY,
  display_name text        NOT NULL,
  roles        jsonb       NOT NULL DEFAULT '[]',
  secret_hash  text        NOT NULL,
  created_at   timestamptz NOT NULL,
  created_by   text        NOT NULL,
  disabled_at  timestamptz NULL
)`);
  }

  override down(): void {
    this.addSql('DROP TABLE IF EXISTS service_clients');
    this.addSql('DROP TABLE IF EXISTS login_attempts');
    this.addSql('DROP TABLE IF EXISTS refresh_tokens');
    this.addSql('DROP TABLE IF EXISTS users');
  }
}
