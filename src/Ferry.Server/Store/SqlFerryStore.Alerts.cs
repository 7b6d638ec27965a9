using System.Data.Common;

namespace Ferry.Server.Store;

public sealed partial class SqlFerryStore
{
    private const string DeliveryColumns = "id, factory, rule, payload, status, attempts, next_at, last_error, created_at";

    public Task InsertSupportLogAsync(SupportLogRow log, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO support_logs (id, factory, runtime, node_name, at, content) VALUES (@id, @factory, @runtime, @node, @at, @content)", ct,
            ("id", log.Id), ("factory", log.Factory), ("runtime", log.Runtime), ("node", log.NodeName), ("at", log.At.ToUnixTimeMilliseconds()), ("content", log.Content));

    public Task SetProxyDirectiveAsync(Guid nodeId, string id, string directiveJson, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO node_proxy_directives (node_id, id, directive) VALUES (@node, @id, @directive) " +
                     "ON CONFLICT (node_id) DO UPDATE SET id = excluded.id, directive = excluded.directive", ct,
            ("node", nodeId.ToString()), ("id", id), ("directive", directiveJson));

    public Task ClearProxyDirectiveAsync(Guid nodeId, string id, CancellationToken ct) =>
        ExecuteAsync("DELETE FROM node_proxy_directives WHERE node_id = @node AND id = @id", ct, ("node", nodeId.ToString()), ("id", id));

    public async Task<SupportLogRow?> GetSupportLogAsync(string factory, string id, CancellationToken ct)
    {
        var rows = await QueryAsync("SELECT id, factory, runtime, node_name, at, content FROM support_logs WHERE factory = @factory AND id = @id",
            r => new SupportLogRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetString(5)),
            ct, ("factory", factory), ("id", id));
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<string>> ListFactoriesAsync(CancellationToken ct) => QueryAsync("SELECT name FROM factories ORDER BY name", r => r.GetString(0), ct);

    public async Task<long> GetLastStatusEventIdAsync(CancellationToken ct) =>
        (await QueryAsync("SELECT COALESCE(max(id), 0) FROM status_events", r => r.GetInt64(0), ct))[0];

    public Task<IReadOnlyList<StatusEventRow>> ListStatusEventsAfterAsync(long afterId, int limit, CancellationToken ct) =>
        QueryAsync("SELECT e.id, e.runtime_id, r.factory, r.name, e.node_name, e.status, e.cause, e.at FROM status_events e " +
                   "JOIN runtimes r ON r.id = e.runtime_id WHERE e.id > @after ORDER BY e.id LIMIT @limit",
            r => new StatusEventRow(r.GetInt64(0), Guid.Parse(r.GetString(1)), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetString(5), r.GetString(6), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7))), ct, ("after", afterId), ("limit", limit));

    public async Task<string?> GetStatusBeforeAsync(Guid runtimeId, string? nodeName, long beforeId, CancellationToken ct)
    {
        var rows = await QueryAsync("SELECT status FROM status_events WHERE runtime_id = @runtime AND " +
                                    (nodeName is null ? "node_name IS NULL" : "node_name = @node") + " AND id < @before ORDER BY id DESC LIMIT 1",
            r => r.GetString(0), ct, ("runtime", runtimeId.ToString()), ("node", nodeName), ("before", beforeId));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<bool> InsertAlertDeliveryAsync(AlertDeliveryRow d, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, $"INSERT INTO alert_deliveries ({DeliveryColumns}) VALUES (@id, @factory, @rule, @payload, @status, @attempts, " +
                                                  "@next, @error, @created) ON CONFLICT DO NOTHING",
            [("id", d.Id), ("factory", d.Factory), ("rule", d.Rule), ("payload", d.PayloadJson), ("status", d.Status), ("attempts", d.Attempts),
             ("next", d.NextAt.ToUnixTimeMilliseconds()), ("error", d.LastError), ("created", d.CreatedAt.ToUnixTimeMilliseconds())]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<IReadOnlyList<AlertDeliveryRow>> ListDueAlertDeliveriesAsync(DateTimeOffset now, CancellationToken ct) =>
        QueryAsync($"SELECT {DeliveryColumns} FROM alert_deliveries WHERE status = 'Pending' AND next_at <= @now ORDER BY next_at LIMIT 100",
            ReadDelivery, ct, ("now", now.ToUnixTimeMilliseconds()));

    public Task<IReadOnlyList<AlertDeliveryRow>> ListAlertDeliveriesAsync(string factory, string rule, int limit, CancellationToken ct) =>
        QueryAsync($"SELECT {DeliveryColumns} FROM alert_deliveries WHERE factory = @factory AND rule = @rule ORDER BY created_at DESC LIMIT @limit",
            ReadDelivery, ct, ("factory", factory), ("rule", rule), ("limit", limit));

    public async Task<bool> ClaimAlertDeliveryAsync(string id, DateTimeOffset expectedNextAt, DateTimeOffset claimUntil, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE alert_deliveries SET next_at = @until WHERE id = @id AND next_at = @expected AND status = 'Pending'",
            [("id", id), ("expected", expectedNextAt.ToUnixTimeMilliseconds()), ("until", claimUntil.ToUnixTimeMilliseconds())]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task UpdateAlertDeliveryAsync(string id, string status, int attempts, DateTimeOffset nextAt, string? lastError, CancellationToken ct) =>
        ExecuteAsync("UPDATE alert_deliveries SET status = @status, attempts = @attempts, next_at = @next, last_error = @error WHERE id = @id", ct,
            ("id", id), ("status", status), ("attempts", attempts), ("next", nextAt.ToUnixTimeMilliseconds()), ("error", lastError));

    private static AlertDeliveryRow ReadDelivery(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.GetInt32(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), r.IsDBNull(7) ? null : r.GetString(7), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)));
}
