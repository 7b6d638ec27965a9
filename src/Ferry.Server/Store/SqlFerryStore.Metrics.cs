namespace Ferry.Server.Store;

public sealed partial class SqlFerryStore
{
    public Task<IReadOnlyList<NodeStatusCount>> CountNodesByStatusAsync(CancellationToken ct) =>
        QueryAsync("SELECT r.factory, r.name, n.recorded_status, count(*) FROM nodes n JOIN runtimes r ON r.id = n.runtime_id " +
                   "GROUP BY r.factory, r.name, n.recorded_status ORDER BY r.factory, r.name, n.recorded_status",
            r => new NodeStatusCount(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)), ct);

    public Task<IReadOnlyList<QueueDepth>> ListQueueDepthsAsync(CancellationToken ct) =>
        QueryAsync("SELECT j.queue, r.factory, r.name, count(*), min(j.created_at) FROM jobs j LEFT JOIN runtimes r ON r.id = j.queue " +
                   "WHERE j.status = 'Queued' AND j.cancel_requested = 0 GROUP BY j.queue, r.factory, r.name ORDER BY j.queue",
            r => new QueueDepth(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt64(3),
                r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))), ct);
}
