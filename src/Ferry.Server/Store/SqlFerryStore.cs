using System.Data.Common;
using Ferry.Contracts.Resources;

namespace Ferry.Server.Store;

/// <summary>
/// The store over plain ADO.NET. SQLite and PostgreSQL share every statement (named parameters, ON CONFLICT,
/// times as Unix milliseconds, flags as integers); <see cref="SqlDialect"/> holds the few differences.
/// </summary>
public sealed partial class SqlFerryStore(SqlDialect dialect) : IFerryStore
{
    private const string RuntimeColumns =
        "id, factory, name, type, properties, etag, created_at, auto_update, update_delay_offset, key1_gen, key1_hash, key2_gen, key2_hash, recorded_state";

    private const string NodeColumns =
        "id, runtime_id, name, machine_name, public_key, version, registered_at, last_connect_at, last_start_at, last_stop_at, " +
        "last_heartbeat_at, stopped, concurrent_jobs_limit, max_concurrent_jobs, processor_count, total_memory_mb, operating_system, " +
        "cpu_utilization, available_memory_mb, jobs_running, sent_bytes, received_bytes, ip_address, last_error, recorded_status, credential_key_version, sync_public_key, sealed_credential, " +
        "relay_connected, relay_error, remote_port, remote_certificate, clock_skew_seconds";

    public string DatabaseKind => dialect.Name;

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await dialect.LockForMigrationAsync(conn, tx, ct);
        await ExecAsync(conn, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", ct);
        var current = Convert.ToInt32(await ScalarAsync(conn, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version", ct) ?? 0);
        var migrations = Schema.Migrations(dialect);
        for (var v = current; v < migrations.Count; v++)
        {
            foreach (var statement in migrations[v])
                await ExecAsync(conn, tx, statement, ct);
            await ExecAsync(conn, tx, $"INSERT INTO schema_version (version) VALUES ({v + 1})", ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task<bool> FactoryExistsAsync(string factory, CancellationToken ct) =>
        await QuerySingleAsync("SELECT 1 FROM factories WHERE name = @name", r => true, ct, ("name", factory));

    public Task EnsureFactoryAsync(string factory, DateTimeOffset now, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO factories (name, created_at) VALUES (@name, @at) ON CONFLICT (name) DO NOTHING", ct,
            ("name", factory), ("at", now.ToUnixTimeMilliseconds()));

    public Task<RuntimeRow?> GetRuntimeAsync(string factory, string name, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {RuntimeColumns} FROM runtimes WHERE factory = @factory AND name_key = @nameKey", ReadRuntime, ct,
            ("factory", factory), ("nameKey", name.ToUpperInvariant()));

    public Task<RuntimeCredentialState?> GetHeartbeatStateAsync(Guid runtimeId, Guid nodeId, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {RuntimeColumns}, credential_key_version, credential_public_key, credential_rotation_pending, " +
                         "(SELECT directive FROM node_proxy_directives WHERE node_id = @node) FROM runtimes WHERE id = @id",
            r => new RuntimeCredentialState(ReadRuntime(r), Convert.ToInt32(r.GetValue(14)), r.IsDBNull(15) ? null : r.GetString(15),
                Convert.ToInt32(r.GetValue(16)) != 0, r.IsDBNull(17) ? null : r.GetString(17)), ct,
            ("id", runtimeId.ToString()), ("node", nodeId.ToString()));

    public Task<RuntimeRow?> GetRuntimeByIdAsync(Guid id, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {RuntimeColumns} FROM runtimes WHERE id = @id", ReadRuntime, ct, ("id", id.ToString()));

    public Task<IReadOnlyList<RuntimeRow>> ListRuntimesAsync(string factory, CancellationToken ct) =>
        QueryAsync($"SELECT {RuntimeColumns} FROM runtimes WHERE factory = @factory ORDER BY name", ReadRuntime, ct, ("factory", factory));

    public Task InsertRuntimeAsync(RuntimeRow r, CancellationToken ct) =>
        ExecuteAsync($"INSERT INTO runtimes ({RuntimeColumns}, name_key) VALUES (@id, @factory, @name, @type, @properties, @etag, @createdAt, " +
                     "@autoUpdate, @delay, @k1g, @k1h, @k2g, @k2h, @state, @nameKey)", ct, RuntimeParameters(r));

    public Task UpdateRuntimeAsync(RuntimeRow r, CancellationToken ct) =>
        ExecuteAsync("UPDATE runtimes SET properties = @properties, etag = @etag, auto_update = @autoUpdate, update_delay_offset = @delay, " +
                     "key1_gen = @k1g, key1_hash = @k1h, key2_gen = @k2g, key2_hash = @k2h WHERE id = @id", ct, RuntimeParameters(r));

    public async Task DeleteRuntimeAsync(RuntimeRow runtime, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var id = ("id", (object?)runtime.Id.ToString());
        await ExecAsync(conn, tx, "DELETE FROM status_events WHERE runtime_id = @id", ct, id);
        await ExecAsync(conn, tx, "DELETE FROM nodes WHERE runtime_id = @id", ct, id);
        await ExecAsync(conn, tx, "DELETE FROM runtimes WHERE id = @id", ct, id);
        await ExecAsync(conn, tx, "INSERT INTO deleted_runtimes (id, factory, name, deleted_at) VALUES (@id, @factory, @name, @at) " +
                                  "ON CONFLICT (id) DO NOTHING", ct,
            id, ("factory", runtime.Factory), ("name", runtime.Name), ("at", now.ToUnixTimeMilliseconds()));
        await tx.CommitAsync(ct);
    }

    public Task<DeletedRuntimeRow?> GetDeletedRuntimeAsync(Guid id, CancellationToken ct) =>
        QuerySingleAsync("SELECT id, factory, name, deleted_at FROM deleted_runtimes WHERE id = @id",
            r => new DeletedRuntimeRow(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), Time(r, 3)), ct, ("id", id.ToString()));

    public Task<string?> GetDispatcherByRecordedStatusAsync(Guid runtimeId, CancellationToken ct) =>
        QuerySingleAsync("SELECT name FROM nodes WHERE runtime_id = @id AND recorded_status = 'Online' ORDER BY registered_at, name LIMIT 1",
            r => (string?)r.GetString(0), ct, ("id", runtimeId.ToString()));

    public async Task<string?> GetRuntimeDispatcherAsync(Guid runtimeId, CancellationToken ct) =>
        (await QuerySingleAsync("SELECT recorded_dispatcher FROM runtimes WHERE id = @id", r => r.IsDBNull(0) ? null : r.GetString(0), ct,
            ("id", runtimeId.ToString())));

    public async Task<bool> SetRuntimeDispatcherAsync(Guid runtimeId, string? expected, string? dispatcher, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE runtimes SET recorded_dispatcher = @dispatcher WHERE id = @id AND " +
                                                  (expected is null ? "recorded_dispatcher IS NULL" : "recorded_dispatcher = @expected"),
            [("id", runtimeId.ToString()), ("dispatcher", dispatcher), ("expected", expected)]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task SetRuntimeRecordedStateAsync(Guid runtimeId, string state, CancellationToken ct) =>
        ExecuteAsync("UPDATE runtimes SET recorded_state = @state WHERE id = @id", ct, ("state", state), ("id", runtimeId.ToString()));

    public Task<NodeRow?> GetNodeAsync(Guid nodeId, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {NodeColumns} FROM nodes WHERE id = @id", ReadNode, ct, ("id", nodeId.ToString()));

    public Task<NodeRow?> GetNodeByNameAsync(Guid runtimeId, string name, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {NodeColumns} FROM nodes WHERE runtime_id = @runtimeId AND name_key = @nameKey", ReadNode, ct,
            ("runtimeId", runtimeId.ToString()), ("nameKey", name.ToUpperInvariant()));

    public Task<IReadOnlyList<NodeRow>> ListNodesAsync(Guid runtimeId, CancellationToken ct) =>
        QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE runtime_id = @runtimeId ORDER BY registered_at, name", ReadNode, ct,
            ("runtimeId", runtimeId.ToString()));

    public Task<IReadOnlyList<string>> ListNodeRecordedStatusesAsync(Guid runtimeId, CancellationToken ct) =>
        QueryAsync("SELECT recorded_status FROM nodes WHERE runtime_id = @runtimeId", r => r.GetString(0), ct, ("runtimeId", runtimeId.ToString()));

    public async Task<bool> InsertNodeAsync(NodeRow n, int maxNodes, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Lock the runtime's row so two registrations racing for the last free place cannot both win.
        await ExecAsync(conn, tx, "UPDATE runtimes SET etag = etag WHERE id = @id", ct, ("id", n.RuntimeId.ToString()));
        var count = Convert.ToInt32(await ScalarAsync(conn, tx, "SELECT COUNT(*) FROM nodes WHERE runtime_id = @id", ct,
            ("id", n.RuntimeId.ToString())));
        if (count >= maxNodes)
            return false;
        await ExecAsync(conn, tx, $"INSERT INTO nodes ({NodeColumns}, name_key) VALUES (@id, @runtimeId, @name, @machineName, @publicKey, " +
                                  "@version, @registeredAt, @lastConnectAt, @lastStartAt, @lastStopAt, @lastHeartbeatAt, @stopped, @limit, @max, " +
                                  "@cores, @memory, @os, @cpu, @available, @running, @sent, @received, @ip, @lastError, @status, @credentialVersion, @syncKey, @sealed, @relayConnected, @relayError, @remotePort, @remoteCertificate, @clockSkew, @nameKey)",
            ct, NodeParameters(n));
        await tx.CommitAsync(ct);
        return true;
    }

    public Task ReplaceNodeAsync(NodeRow n, CancellationToken ct) =>
        ExecuteAsync("UPDATE nodes SET machine_name = @machineName, public_key = @publicKey, version = @version, registered_at = @registeredAt, " +
                     "last_connect_at = @lastConnectAt, last_heartbeat_at = @lastHeartbeatAt, stopped = @stopped, max_concurrent_jobs = @max, " +
                     "concurrent_jobs_limit = @limit, processor_count = @cores, total_memory_mb = @memory, operating_system = @os, " +
                     "last_error = @lastError, recorded_status = @status WHERE id = @id", ct, NodeParameters(n));

    public Task RecordHeartbeatAsync(HeartbeatUpdate h, CancellationToken ct) =>
        ExecuteAsync("UPDATE nodes SET last_heartbeat_at = @at, version = @version, last_start_at = @startedAt, stopped = 0, " +
                     "last_connect_at = CASE WHEN @reconnected = 1 THEN @at ELSE last_connect_at END, " +
                     "cpu_utilization = @cpu, available_memory_mb = @available, jobs_running = @running, sent_bytes = @sent, " +
                     "received_bytes = @received, ip_address = @ip, last_error = @lastError, credential_key_version = @credentialVersion, " +
                     // A new one-off sync key makes anything sealed to the previous one useless.
                     "sealed_credential = CASE WHEN sync_public_key = @syncKey THEN sealed_credential ELSE NULL END, sync_public_key = @syncKey, " +
                     "sync_signature = @syncSignature, remote_port = @remotePort, remote_certificate = @remoteCertificate, " +
                     "relay_connected = @relayConnected, relay_error = @relayError, clock_skew_seconds = @clockSkew WHERE id = @id", ct,
            ("id", h.NodeId.ToString()), ("at", h.At.ToUnixTimeMilliseconds()), ("version", h.Version),
            ("startedAt", h.StartedAt.ToUnixTimeMilliseconds()), ("reconnected", h.Reconnected ? 1 : 0), ("cpu", h.CpuUtilization),
            ("available", h.AvailableMemoryMB), ("running", h.ConcurrentJobsRunning), ("sent", h.SentBytes),
            ("received", h.ReceivedBytes), ("ip", h.IpAddress), ("lastError", h.LastError), ("credentialVersion", h.CredentialKeyVersion), ("syncKey", h.SyncPublicKey),
            ("relayConnected", h.RelayConnected is { } relay ? relay ? 1 : 0 : null), ("relayError", h.RelayError), ("syncSignature", h.SyncSignature),
            ("remotePort", h.RemotePort), ("remoteCertificate", h.RemoteCertificate), ("clockSkew", h.ClockSkewSeconds));

    public Task MarkStoppedAsync(Guid nodeId, DateTimeOffset at, CancellationToken ct) =>
        ExecuteAsync("UPDATE nodes SET stopped = 1, last_stop_at = @at WHERE id = @id", ct,
            ("id", nodeId.ToString()), ("at", at.ToUnixTimeMilliseconds()));

    public Task SetNodeLastErrorAsync(Guid nodeId, string? error, CancellationToken ct) =>
        ExecuteAsync("UPDATE nodes SET last_error = @error WHERE id = @id", ct, ("id", nodeId.ToString()), ("error", error));

    public Task SetConcurrentJobsLimitAsync(Guid nodeId, int limit, CancellationToken ct) =>
        ExecuteAsync("UPDATE nodes SET concurrent_jobs_limit = @limit WHERE id = @id", ct, ("id", nodeId.ToString()), ("limit", limit));

    public Task SetNodeRecordedStatusAsync(Guid nodeId, string status, CancellationToken ct) =>
        ExecuteAsync("UPDATE nodes SET recorded_status = @status WHERE id = @id", ct, ("id", nodeId.ToString()), ("status", status));

    public Task DeleteNodeAsync(Guid nodeId, CancellationToken ct) =>
        ExecuteAsync("DELETE FROM nodes WHERE id = @id", ct, ("id", nodeId.ToString()));

    public Task<IReadOnlyList<NodeRow>> ListSilentNodesAsync(DateTimeOffset cutoff, CancellationToken ct) =>
        QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE recorded_status <> 'Offline' AND " +
                   "COALESCE(last_heartbeat_at, registered_at) < @cutoff", ReadNode, ct, ("cutoff", cutoff.ToUnixTimeMilliseconds()));

    public Task AddStatusEventAsync(Guid runtimeId, StatusEvent e, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO status_events (runtime_id, node_name, status, cause, at) VALUES (@runtimeId, @node, @status, @cause, @at)", ct,
            ("runtimeId", runtimeId.ToString()), ("node", e.NodeName), ("status", e.Status), ("cause", e.Cause),
            ("at", e.Time.ToUnixTimeMilliseconds()));

    public Task<IReadOnlyList<StatusEvent>> ListStatusEventsAsync(Guid runtimeId, int limit, CancellationToken ct) =>
        QueryAsync("SELECT at, node_name, status, cause FROM status_events WHERE runtime_id = @runtimeId ORDER BY id DESC LIMIT @limit",
            r => new StatusEvent(Time(r, 0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), r.GetString(3)), ct,
            ("runtimeId", runtimeId.ToString()), ("limit", limit));

    public async Task<bool> AdoptCredentialKeyAsync(Guid runtimeId, string publicKey, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE runtimes SET credential_key_version = 1, credential_public_key = @key " +
                                                  "WHERE id = @id AND credential_key_version = 0", [("id", runtimeId.ToString()), ("key", publicKey)]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<(int Version, string PublicKey)?> GetCredentialKeyAsync(Guid runtimeId, CancellationToken ct)
    {
        var rows = await QueryAsync("SELECT credential_key_version, credential_public_key FROM runtimes WHERE id = @id AND credential_key_version > 0",
            r => (Convert.ToInt32(r.GetValue(0)), r.GetString(1)), ct, ("id", runtimeId.ToString()));
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<Ferry.Contracts.Protocol.CredentialSyncRequest>> ListCredentialSyncRequestsAsync(Guid runtimeId, CancellationToken ct) =>
        QueryAsync("SELECT id, sync_public_key, name, public_key, sync_signature FROM nodes WHERE runtime_id = @id AND sync_public_key IS NOT NULL AND sealed_credential IS NULL",
            r => new Ferry.Contracts.Protocol.CredentialSyncRequest(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4)), ct, ("id", runtimeId.ToString()));

    public async Task<int> ResetSealedCredentialsAsync(Guid runtimeId, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE nodes SET sealed_credential = NULL WHERE runtime_id = @id AND sealed_credential IS NOT NULL",
            [("id", runtimeId.ToString())]);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> SetSealedCredentialAsync(Guid nodeId, string syncPublicKey, string envelope, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE nodes SET sealed_credential = @envelope WHERE id = @id AND sync_public_key = @syncKey",
            [("id", nodeId.ToString()), ("syncKey", syncPublicKey), ("envelope", envelope)]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task MarkCredentialRotationPendingAsync(Guid runtimeId, CancellationToken ct) =>
        ExecuteAsync("UPDATE runtimes SET credential_rotation_pending = 1 WHERE id = @id AND credential_key_version > 0", ct, ("id", runtimeId.ToString()));

    public async Task<bool> IsCredentialRotationPendingAsync(Guid runtimeId, CancellationToken ct) =>
        (await QueryAsync("SELECT credential_rotation_pending FROM runtimes WHERE id = @id", r => Convert.ToInt32(r.GetValue(0)), ct,
            ("id", runtimeId.ToString()))) is [1];

    public async Task<bool> RotateCredentialKeyAsync(Guid runtimeId, int fromVersion, string newPublicKey,
        IReadOnlyList<Ferry.Contracts.Protocol.ResealedCredential> resealed, string etag, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var rotate = Command(conn, tx, "UPDATE runtimes SET credential_key_version = @from + 1, credential_public_key = @key, " +
                                                    "credential_rotation_pending = 0 WHERE id = @id AND credential_key_version = @from AND credential_rotation_pending = 1",
                         [("id", runtimeId.ToString()), ("from", fromVersion), ("key", newPublicKey)]))
        {
            if (await rotate.ExecuteNonQueryAsync(ct) != 1)
                return false;
        }
        foreach (var r in resealed)
        {
            var where = ("nameKey", (object?)r.LinkedService.ToUpperInvariant());
            var json = await ScalarAsync(conn, tx, "SELECT properties FROM resources WHERE factory = @factory AND kind = 'linkedservices' AND name_key = @nameKey",
                ct, ("factory", r.Factory), where) as string;
            var properties = json is null ? null : System.Text.Json.Nodes.JsonNode.Parse(json);
            if (properties?["typeProperties"] is not System.Text.Json.Nodes.JsonObject typeProperties
                || typeProperties["encryptedCredential"]?.GetValue<string>() != r.OldEnvelope)
                return false; // changed or deleted meanwhile: the rotation is asked for again with the current list
            typeProperties["encryptedCredential"] = r.NewEnvelope;
            await ExecAsync(conn, tx, "UPDATE resources SET properties = @properties, etag = @etag WHERE factory = @factory AND kind = 'linkedservices' AND name_key = @nameKey",
                ct, ("properties", properties.ToJsonString()), ("etag", etag), ("factory", r.Factory), where);
        }
        await ExecAsync(conn, tx, "UPDATE nodes SET sealed_credential = NULL WHERE runtime_id = @id", ct, ("id", runtimeId.ToString()));
        await tx.CommitAsync(ct);
        return true;
    }

    public Task<FactoryResourceRow?> GetResourceAsync(string factory, string kind, string name, CancellationToken ct) =>
        QuerySingleAsync("SELECT factory, kind, name, properties, etag, created_at FROM resources WHERE factory = @factory AND kind = @kind AND name_key = @nameKey",
            ReadResource, ct, ("factory", factory), ("kind", kind), ("nameKey", name.ToUpperInvariant()));

    public Task<IReadOnlyList<FactoryResourceRow>> ListResourcesAsync(string factory, string kind, CancellationToken ct) =>
        QueryAsync("SELECT factory, kind, name, properties, etag, created_at FROM resources WHERE factory = @factory AND kind = @kind ORDER BY name_key",
            ReadResource, ct, ("factory", factory), ("kind", kind));

    public Task UpsertResourceAsync(FactoryResourceRow r, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO resources (factory, kind, name, name_key, properties, etag, created_at) " +
                     "VALUES (@factory, @kind, @name, @nameKey, @properties, @etag, @createdAt) " +
                     "ON CONFLICT (factory, kind, name_key) DO UPDATE SET name = excluded.name, properties = excluded.properties, etag = excluded.etag", ct,
            ("factory", r.Factory), ("kind", r.Kind), ("name", r.Name), ("nameKey", r.Name.ToUpperInvariant()), ("properties", r.PropertiesJson),
            ("etag", r.Etag), ("createdAt", r.CreatedAt.ToUnixTimeMilliseconds()));

    public async Task<bool> DeleteResourceAsync(string factory, string kind, string name, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "DELETE FROM resources WHERE factory = @factory AND kind = @kind AND name_key = @nameKey",
            [("factory", factory), ("kind", kind), ("nameKey", name.ToUpperInvariant())]);
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    private static FactoryResourceRow ReadResource(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), Time(r, 5));

    private static (string, object?)[] RuntimeParameters(RuntimeRow r) =>
    [
        ("id", r.Id.ToString()), ("factory", r.Factory), ("name", r.Name), ("type", r.Type), ("properties", r.PropertiesJson),
        ("etag", r.Etag), ("createdAt", r.CreatedAt.ToUnixTimeMilliseconds()), ("autoUpdate", r.AutoUpdate), ("delay", r.UpdateDelayOffset),
        ("k1g", r.Key1Generation), ("k1h", r.Key1Hash), ("k2g", r.Key2Generation), ("k2h", r.Key2Hash), ("state", r.RecordedState),
        ("nameKey", r.Name.ToUpperInvariant()),
    ];

    private static (string, object?)[] NodeParameters(NodeRow n) =>
    [
        ("id", n.Id.ToString()), ("runtimeId", n.RuntimeId.ToString()), ("name", n.Name), ("machineName", n.MachineName),
        ("publicKey", n.PublicKey), ("version", n.Version), ("registeredAt", n.RegisteredAt.ToUnixTimeMilliseconds()),
        ("lastConnectAt", n.LastConnectAt?.ToUnixTimeMilliseconds()), ("lastStartAt", n.LastStartAt?.ToUnixTimeMilliseconds()),
        ("lastStopAt", n.LastStopAt?.ToUnixTimeMilliseconds()), ("lastHeartbeatAt", n.LastHeartbeatAt?.ToUnixTimeMilliseconds()),
        ("stopped", n.Stopped ? 1 : 0), ("limit", n.ConcurrentJobsLimit), ("max", n.MaxConcurrentJobs), ("cores", n.ProcessorCount),
        ("memory", n.TotalMemoryMB), ("os", n.OperatingSystem), ("cpu", n.CpuUtilization), ("available", n.AvailableMemoryMB),
        ("running", n.ConcurrentJobsRunning), ("sent", n.SentBytes), ("received", n.ReceivedBytes), ("ip", n.IpAddress),
        ("lastError", n.LastError), ("status", n.RecordedStatus), ("credentialVersion", n.CredentialKeyVersion), ("syncKey", n.SyncPublicKey), ("sealed", n.SealedCredential),
        ("relayConnected", n.RelayConnected is { } relay ? relay ? 1 : 0 : null), ("relayError", n.RelayError), ("remotePort", n.RemotePort), ("remoteCertificate", n.RemoteCertificate), ("nameKey", n.Name.ToUpperInvariant()),
        ("clockSkew", n.ClockSkewSeconds),
    ];

    private static RuntimeRow ReadRuntime(DbDataReader r) => new(
        Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), Time(r, 6),
        r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), Convert.ToInt32(r.GetValue(9)), r.IsDBNull(10) ? null : r.GetString(10),
        Convert.ToInt32(r.GetValue(11)), r.IsDBNull(12) ? null : r.GetString(12), r.GetString(13));

    private static NodeRow ReadNode(DbDataReader r) => new(
        Guid.Parse(r.GetString(0)), Guid.Parse(r.GetString(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        Time(r, 6), NullableTime(r, 7), NullableTime(r, 8), NullableTime(r, 9), NullableTime(r, 10), Convert.ToInt32(r.GetValue(11)) != 0,
        Convert.ToInt32(r.GetValue(12)), Convert.ToInt32(r.GetValue(13)), Convert.ToInt32(r.GetValue(14)), Convert.ToInt64(r.GetValue(15)),
        r.GetString(16), Convert.ToDouble(r.GetValue(17)), Convert.ToInt64(r.GetValue(18)), Convert.ToInt32(r.GetValue(19)),
        Convert.ToInt64(r.GetValue(20)), Convert.ToInt64(r.GetValue(21)), r.IsDBNull(22) ? null : r.GetString(22),
        r.IsDBNull(23) ? null : r.GetString(23), r.GetString(24), Convert.ToInt32(r.GetValue(25)),
        r.IsDBNull(26) ? null : r.GetString(26), r.IsDBNull(27) ? null : r.GetString(27),
        r.IsDBNull(28) ? null : Convert.ToInt32(r.GetValue(28)) != 0, r.IsDBNull(29) ? null : r.GetString(29),
        r.IsDBNull(30) ? null : Convert.ToInt32(r.GetValue(30)), r.IsDBNull(31) ? null : r.GetString(31),
        r.IsDBNull(32) ? null : Convert.ToInt32(r.GetValue(32)));

    private static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(r.GetValue(i)));
    private static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r, i);

    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var conn = dialect.CreateConnection();
        await conn.OpenAsync(ct);
        await dialect.PrepareConnectionAsync(conn, ct);
        return conn;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var conn = await OpenAsync(ct);
        await ExecAsync(conn, null, sql, ct, parameters);
    }

    private async Task<T?> QuerySingleAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var rows = await QueryAsync(sql, read, ct, parameters);
        return rows.Count == 0 ? default : rows[0];
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
            rows.Add(read(reader));
        return rows;
    }

    private static async Task ExecAsync(DbConnection conn, DbTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(conn, tx, sql, parameters);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(DbConnection conn, DbTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(conn, tx, sql, parameters);
        return await cmd.ExecuteScalarAsync(ct);
    }

    private static DbCommand Command(DbConnection conn, DbTransaction? tx, string sql, (string Name, object? Value)[] parameters)
    {
        var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
