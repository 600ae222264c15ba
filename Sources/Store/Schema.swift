/// Stevedore's schema, one migration per `PRAGMA user_version` step (docs/STATE_LAYOUT.md).
/// Append only: never edit a migration that has shipped.
enum Schema {
    static let migrations: [String] = [
        // 1: deployments, their status, parameters, events.
        """
        CREATE TABLE deployments (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            branch TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            poll_interval_seconds INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE deployment_status (
            name TEXT PRIMARY KEY REFERENCES deployments(name) ON DELETE CASCADE,
            last_checked_at REAL, remote_commit TEXT,
            synced_commit TEXT, synced_at REAL,
            deployed_commit TEXT, deployed_at REAL,
            last_error TEXT, last_error_at REAL
        );
        CREATE TABLE parameters (
            deployment TEXT NOT NULL REFERENCES deployments(name) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (deployment, key)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            deployment TEXT,
            kind TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX events_by_deployment ON events(deployment, id);
        """,
        // 2: per-deployment SSH deploy keys (the Ed25519 seed: the private key's only copy
        // outside the agent's memory) and the `clean -fd` choice of `repo add --no-clean`.
        """
        CREATE TABLE deploy_keys (
            deployment TEXT PRIMARY KEY REFERENCES deployments(name) ON DELETE CASCADE,
            key_type TEXT NOT NULL,
            private_seed BLOB NOT NULL,
            public_key TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        ALTER TABLE deployments ADD COLUMN clean INTEGER NOT NULL DEFAULT 1;
        """,
        // 3: the deploy pipeline: one row per run (history), the commit that failed and is
        // not retried, the last outcome, webhook secrets and the delivery ids already seen.
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deployment TEXT NOT NULL REFERENCES deployments(name) ON DELETE CASCADE,
            triggers TEXT NOT NULL,
            target_commit TEXT,
            previous_commit TEXT,
            started_at REAL NOT NULL,
            ended_at REAL,
            outcome TEXT,
            reason TEXT
        );
        CREATE INDEX runs_by_deployment ON runs(deployment, id);
        ALTER TABLE deployment_status ADD COLUMN failed_commit TEXT;
        CREATE TABLE webhook_secrets (
            deployment TEXT PRIMARY KEY REFERENCES deployments(name) ON DELETE CASCADE,
            secret TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE webhook_deliveries (
            deployment TEXT NOT NULL REFERENCES deployments(name) ON DELETE CASCADE,
            delivery_id TEXT NOT NULL,
            received_at REAL NOT NULL,
            PRIMARY KEY (deployment, delivery_id)
        );
        """,
        // 4: parameters that may appear in logs (`param set --public`): not redacted.
        """
        ALTER TABLE parameters ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
        """,
    ]
}
