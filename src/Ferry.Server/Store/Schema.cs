namespace Ferry.Server.Store;

/// <summary>The schema as an ordered list of migrations; a server applies those its database lacks at start-up. Never edit a shipped step: add one.</summary>
public static class Schema
{
    public static IReadOnlyList<string[]> Migrations(SqlDialect d) =>
    [
        [
            "CREATE TABLE factories (name TEXT PRIMARY KEY, created_at BIGINT NOT NULL)",
            "CREATE TABLE runtimes (id TEXT PRIMARY KEY, factory TEXT NOT NULL REFERENCES factories(name), name TEXT NOT NULL, " +
            "name_key TEXT NOT NULL, type TEXT NOT NULL, properties TEXT NOT NULL, etag TEXT NOT NULL, created_at BIGINT NOT NULL, " +
            "auto_update TEXT NOT NULL, update_delay_offset TEXT, key1_gen INTEGER NOT NULL, key1_hash TEXT, " +
            "key2_gen INTEGER NOT NULL, key2_hash TEXT, recorded_state TEXT NOT NULL, UNIQUE (factory, name_key))",
            "CREATE TABLE deleted_runtimes (id TEXT PRIMARY KEY, factory TEXT NOT NULL, name TEXT NOT NULL, deleted_at BIGINT NOT NULL)",
            "CREATE TABLE nodes (id TEXT PRIMARY KEY, runtime_id TEXT NOT NULL REFERENCES runtimes(id), name TEXT NOT NULL, " +
            "name_key TEXT NOT NULL, machine_name TEXT NOT NULL, public_key TEXT NOT NULL, version TEXT NOT NULL, " +
            "registered_at BIGINT NOT NULL, last_connect_at BIGINT, last_start_at BIGINT, last_stop_at BIGINT, last_heartbeat_at BIGINT, " +
            "stopped INTEGER NOT NULL, concurrent_jobs_limit INTEGER NOT NULL, max_concurrent_jobs INTEGER NOT NULL, " +
            "processor_count INTEGER NOT NULL, total_memory_mb BIGINT NOT NULL, operating_system TEXT NOT NULL, " +
            "cpu_utilization DOUBLE PRECISION NOT NULL, available_memory_mb BIGINT NOT NULL, jobs_running INTEGER NOT NULL, " +
            "sent_bytes BIGINT NOT NULL, received_bytes BIGINT NOT NULL, ip_address TEXT, last_error TEXT, " +
            "recorded_status TEXT NOT NULL, UNIQUE (runtime_id, name_key))",
            "CREATE INDEX nodes_by_status ON nodes (recorded_status)",
            $"CREATE TABLE status_events (id {d.AutoIncrementKey}, runtime_id TEXT NOT NULL, node_name TEXT, status TEXT NOT NULL, " +
            "cause TEXT NOT NULL, at BIGINT NOT NULL)",
            "CREATE INDEX status_events_by_runtime ON status_events (runtime_id, id)",
        ],
        [
            "CREATE TABLE resources (factory TEXT NOT NULL REFERENCES factories(name), kind TEXT NOT NULL, name TEXT NOT NULL, " +
            "name_key TEXT NOT NULL, properties TEXT NOT NULL, etag TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (factory, kind, name_key))",
        ],
        [
            "ALTER TABLE runtimes ADD COLUMN credential_key_version INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE runtimes ADD COLUMN credential_public_key TEXT",
            "ALTER TABLE nodes ADD COLUMN credential_key_version INTEGER NOT NULL DEFAULT 0",
        ],
        [
            "ALTER TABLE nodes ADD COLUMN sync_public_key TEXT",
            "ALTER TABLE nodes ADD COLUMN sealed_credential TEXT",
        ],
        [
            // What the node said about its relay WebSocket: NULL until it tried, then 1 or 0 with the reason.
            "ALTER TABLE nodes ADD COLUMN relay_connected INTEGER",
            "ALTER TABLE nodes ADD COLUMN relay_error TEXT",
        ],
        [
            // Set when a node is removed: a remaining node must rotate the credential key and re-seal every secret.
            "ALTER TABLE runtimes ADD COLUMN credential_rotation_pending INTEGER NOT NULL DEFAULT 0",
        ],
        [
            // A waiting node's signature over its sync key, checked by the holder before it seals anything.
            "ALTER TABLE nodes ADD COLUMN sync_signature TEXT",
        ],
        [
            // A node's remote access port and certificate fingerprint, for the direct node-to-node credential sync path.
            "ALTER TABLE nodes ADD COLUMN remote_port INTEGER",
            "ALTER TABLE nodes ADD COLUMN remote_certificate TEXT",
        ],
        [
            "CREATE TABLE pipeline_runs (id TEXT PRIMARY KEY, factory TEXT NOT NULL, pipeline TEXT NOT NULL, status TEXT NOT NULL, " +
            "parameters TEXT NOT NULL, pipeline_json TEXT NOT NULL, run_start BIGINT NOT NULL, run_end BIGINT, message TEXT, " +
            "cancel_requested INTEGER NOT NULL, last_updated BIGINT NOT NULL)",
            "CREATE INDEX pipeline_runs_by_factory ON pipeline_runs (factory, run_start)",
            "CREATE TABLE activity_runs (id TEXT PRIMARY KEY, run_id TEXT NOT NULL, activity TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, " +
            "runtime TEXT, node TEXT, input TEXT, output TEXT, error TEXT, queued_at BIGINT NOT NULL, run_start BIGINT, run_end BIGINT, attempt INTEGER NOT NULL)",
            "CREATE INDEX activity_runs_by_run ON activity_runs (run_id)",
            // One row per leasable piece of work; queue is the runtime's id, or 'managed'. epoch is the lease's fencing token.
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, queue TEXT NOT NULL, activity_run_id TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, " +
            "node_id TEXT, node_name TEXT, epoch INTEGER NOT NULL, lease_expires BIGINT, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, " +
            "not_before BIGINT NOT NULL, created_at BIGINT NOT NULL, cancel_requested INTEGER NOT NULL, history TEXT NOT NULL)",
            "CREATE INDEX jobs_by_queue ON jobs (queue, status, not_before)",
        ],
        [
            // One row per attempt of an activity: two completions moving one run on at once (two nodes, two server
            // instances) cannot both start the activity that follows.
            "CREATE UNIQUE INDEX activity_runs_one_attempt ON activity_runs (run_id, activity, attempt)",
        ],
        [
            // How far the node's clock was from the server's at its last heartbeat (seconds, + ahead), when beyond the leeway.
            "ALTER TABLE nodes ADD COLUMN clock_skew_seconds INTEGER",
            // The node last recorded as the runtime's active dispatcher, so a hand-over is recorded once.
            "ALTER TABLE runtimes ADD COLUMN recorded_dispatcher TEXT",
        ],
        [
            // A copy split over nodes: the step a job is (plan, part, commit, discard; NULL for a whole copy), and how it
            // ended with what it answered, for the steps that follow and the copy's output.
            "ALTER TABLE jobs ADD COLUMN step TEXT",
            "ALTER TABLE jobs ADD COLUMN outcome TEXT",
            "ALTER TABLE jobs ADD COLUMN output TEXT",
            "CREATE INDEX jobs_by_activity_run ON jobs (activity_run_id)",
            // The leases a node holds, counted at every lease against its concurrent jobs limit.
            "CREATE INDEX jobs_by_node ON jobs (node_id, status)",
        ],
        [
            // Alert webhooks to deliver: one row per rule and occurrence (so two server instances deliver it once),
            // retried with backoff until delivered or out of attempts.
            "CREATE TABLE alert_deliveries (id TEXT PRIMARY KEY, factory TEXT NOT NULL, rule TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, " +
            "attempts INTEGER NOT NULL, next_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL)",
            "CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_at)",
        ],
        [
            // Logs a node sent for support (dmgcmd -SendLogs), redacted on the node and again here.
            "CREATE TABLE support_logs (id TEXT PRIMARY KEY, factory TEXT NOT NULL, runtime TEXT NOT NULL, node_name TEXT NOT NULL, at BIGINT NOT NULL, content TEXT NOT NULL)",
        ],
        [
            // A proxy setting sent to a node through the control plane (its password sealed to the runtime's credential
            // key), until the node says it took it.
            "CREATE TABLE node_proxy_directives (node_id TEXT PRIMARY KEY, id TEXT NOT NULL, directive TEXT NOT NULL)",
        ],
    ];
}
