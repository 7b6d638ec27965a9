using System.Data.Common;

namespace Ferry.Server.Store;

public sealed partial class SqlFerryStore
{
    private const string RunColumns = "id, factory, pipeline, status, parameters, pipeline_json, run_start, run_end, message, cancel_requested, last_updated";
    private const string ActivityRunColumns = "id, run_id, activity, type, status, runtime, node, input, output, error, queued_at, run_start, run_end, attempt";
    private const string JobColumns = "id, queue, activity_run_id, payload, status, node_id, node_name, epoch, lease_expires, attempts, max_attempts, " +
                                      "not_before, created_at, cancel_requested, history, step, outcome, output";

    public Task InsertPipelineRunAsync(PipelineRunRow r, CancellationToken ct) =>
        ExecuteAsync($"INSERT INTO pipeline_runs ({RunColumns}) VALUES (@id, @factory, @pipeline, @status, @parameters, @pipelineJson, @start, @end, " +
                     "@message, @cancel, @updated)", ct,
            ("id", r.Id.ToString()), ("factory", r.Factory), ("pipeline", r.Pipeline), ("status", r.Status), ("parameters", r.ParametersJson),
            ("pipelineJson", r.PipelineJson), ("start", r.RunStart.ToUnixTimeMilliseconds()), ("end", r.RunEnd?.ToUnixTimeMilliseconds()),
            ("message", r.Message), ("cancel", r.CancelRequested ? 1 : 0), ("updated", r.LastUpdated.ToUnixTimeMilliseconds()));

    public Task<PipelineRunRow?> GetPipelineRunAsync(Guid id, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {RunColumns} FROM pipeline_runs WHERE id = @id", ReadRun, ct, ("id", id.ToString()));

    public Task<IReadOnlyList<PipelineRunRow>> ListPipelineRunsAsync(string factory, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken ct) =>
        QueryAsync($"SELECT {RunColumns} FROM pipeline_runs WHERE factory = @factory AND run_start >= @from AND run_start < @to ORDER BY run_start DESC LIMIT @limit",
            ReadRun, ct, ("factory", factory), ("from", from.ToUnixTimeMilliseconds()), ("to", to.ToUnixTimeMilliseconds()), ("limit", limit));

    public Task UpdatePipelineRunAsync(Guid id, string status, DateTimeOffset? runEnd, string? message, DateTimeOffset now, CancellationToken ct) =>
        ExecuteAsync("UPDATE pipeline_runs SET status = @status, run_end = @end, message = @message, last_updated = @now WHERE id = @id", ct,
            ("id", id.ToString()), ("status", status), ("end", runEnd?.ToUnixTimeMilliseconds()), ("message", message), ("now", now.ToUnixTimeMilliseconds()));

    public Task RequestRunCancelAsync(Guid id, DateTimeOffset now, CancellationToken ct) =>
        ExecuteAsync("UPDATE pipeline_runs SET cancel_requested = 1, last_updated = @now WHERE id = @id", ct, ("id", id.ToString()), ("now", now.ToUnixTimeMilliseconds()));

    public async Task<bool> InsertActivityRunAsync(ActivityRunRow r, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, $"INSERT INTO activity_runs ({ActivityRunColumns}) VALUES (@id, @runId, @activity, @type, @status, @runtime, " +
                                                  "@node, @input, @output, @error, @queued, @start, @end, @attempt) ON CONFLICT DO NOTHING", ActivityRunParameters(r));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<ActivityRunRow?> GetActivityRunAsync(Guid id, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {ActivityRunColumns} FROM activity_runs WHERE id = @id", ReadActivityRun, ct, ("id", id.ToString()));

    public Task<IReadOnlyList<ActivityRunRow>> ListActivityRunsAsync(Guid runId, CancellationToken ct) =>
        QueryAsync($"SELECT {ActivityRunColumns} FROM activity_runs WHERE run_id = @runId ORDER BY queued_at, activity, attempt", ReadActivityRun, ct,
            ("runId", runId.ToString()));

    public Task UpdateActivityRunAsync(ActivityRunRow r, CancellationToken ct) =>
        ExecuteAsync("UPDATE activity_runs SET status = @status, runtime = @runtime, node = @node, input = @input, output = @output, error = @error, " +
                     "run_start = @start, run_end = @end WHERE id = @id", ct, ActivityRunParameters(r));

    public Task UpdateActivityRunProgressAsync(Guid id, string outputJson, CancellationToken ct) =>
        ExecuteAsync("UPDATE activity_runs SET output = @output WHERE id = @id AND status = 'InProgress'", ct, ("id", id.ToString()), ("output", outputJson));

    public async Task<bool> InsertJobAsync(JobRow j, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, $"INSERT INTO jobs ({JobColumns}) VALUES (@id, @queue, @activityRunId, @payload, @status, @nodeId, @nodeName, " +
                                                  "@epoch, @expires, @attempts, @max, @notBefore, @created, @cancel, @history, @step, @outcome, @output) ON CONFLICT DO NOTHING",
        [
            ("id", j.Id.ToString()), ("queue", j.Queue), ("activityRunId", j.ActivityRunId.ToString()), ("payload", j.PayloadJson), ("status", j.Status),
            ("nodeId", j.NodeId?.ToString()), ("nodeName", j.NodeName), ("epoch", j.Epoch), ("expires", j.LeaseExpires?.ToUnixTimeMilliseconds()),
            ("attempts", j.Attempts), ("max", j.MaxAttempts), ("notBefore", j.NotBefore.ToUnixTimeMilliseconds()), ("created", j.CreatedAt.ToUnixTimeMilliseconds()),
            ("cancel", j.CancelRequested ? 1 : 0), ("history", j.HistoryJson), ("step", j.Step), ("outcome", j.Outcome), ("output", j.OutputJson),
        ]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<IReadOnlyList<JobRow>> ListJobsOfActivityRunAsync(Guid activityRunId, CancellationToken ct) =>
        QueryAsync($"SELECT {JobColumns} FROM jobs WHERE activity_run_id = @id ORDER BY created_at", ReadJob, ct, ("id", activityRunId.ToString()));

    public Task<JobRow?> GetJobAsync(Guid id, CancellationToken ct) =>
        QuerySingleAsync($"SELECT {JobColumns} FROM jobs WHERE id = @id", ReadJob, ct, ("id", id.ToString()));

    public async Task<JobRow?> TryLeaseJobAsync(string queue, Guid nodeId, string nodeName, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken ct,
        bool registeredNode = true, int? limit = null)
    {
        // Claim with a guarded UPDATE: of two instances racing for the same row, only one sees it still Queued.
        var rows = await QueryAsync($"UPDATE jobs SET status = 'Leased', node_id = @nodeId, node_name = @nodeName, epoch = epoch + 1, " +
                                    "lease_expires = @until, attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE queue = @queue AND status = 'Queued' " +
                                    "AND not_before <= @now AND cancel_requested = 0 ORDER BY created_at LIMIT 1) AND status = 'Queued' " +
                                    (registeredNode ? "AND EXISTS (SELECT 1 FROM nodes WHERE id = @nodeId) " : "") +
                                    (limit is null ? "" : "AND (SELECT count(*) FROM jobs WHERE node_id = @nodeId AND status = 'Leased') < @limit ") +
                                    $"RETURNING {JobColumns}", ReadJob, ct,
            ("queue", queue), ("nodeId", nodeId.ToString()), ("nodeName", nodeName), ("now", now.ToUnixTimeMilliseconds()), ("until", leaseUntil.ToUnixTimeMilliseconds()),
            ("limit", limit ?? 0));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<JobRow?> RenewJobAsync(Guid id, Guid nodeId, int epoch, DateTimeOffset leaseUntil, CancellationToken ct)
    {
        var rows = await QueryAsync($"UPDATE jobs SET lease_expires = @until WHERE id = @id AND node_id = @nodeId AND epoch = @epoch AND status = 'Leased' " +
                                    $"RETURNING {JobColumns}", ReadJob, ct,
            ("id", id.ToString()), ("nodeId", nodeId.ToString()), ("epoch", epoch), ("until", leaseUntil.ToUnixTimeMilliseconds()));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<bool> FinishJobAsync(Guid id, Guid? nodeId, int epoch, string historyJson, CancellationToken ct, string? outcome = null, string? outputJson = null)
    {
        await using var conn = await OpenAsync(ct);
        // Without a node (the sweeper, a cancel) the epoch alone fences; with one, it must also be the holder.
        await using var cmd = Command(conn, null, "UPDATE jobs SET status = 'Done', lease_expires = NULL, history = @history, outcome = @outcome, output = @output " +
                                                  "WHERE id = @id AND epoch = @epoch AND status <> 'Done'" + (nodeId is null ? "" : " AND node_id = @nodeId"),
            [("id", id.ToString()), ("epoch", epoch), ("nodeId", nodeId?.ToString() ?? ""), ("history", historyJson), ("outcome", outcome), ("output", outputJson)]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> RequeueJobAsync(Guid id, int epoch, DateTimeOffset notBefore, string historyJson, CancellationToken ct)
    {
        await using var conn = await OpenAsync(ct);
        await using var cmd = Command(conn, null, "UPDATE jobs SET status = 'Queued', node_id = NULL, node_name = NULL, lease_expires = NULL, " +
                                                  "not_before = @notBefore, history = @history WHERE id = @id AND epoch = @epoch AND status = 'Leased'",
            [("id", id.ToString()), ("epoch", epoch), ("notBefore", notBefore.ToUnixTimeMilliseconds()), ("history", historyJson)]);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<IReadOnlyList<JobRow>> ListJobsLeasedByAsync(Guid nodeId, CancellationToken ct) =>
        QueryAsync($"SELECT {JobColumns} FROM jobs WHERE status = 'Leased' AND node_id = @nodeId", ReadJob, ct, ("nodeId", nodeId.ToString()));

    public Task<IReadOnlyList<JobRow>> ListLapsedJobsAsync(DateTimeOffset now, CancellationToken ct) =>
        QueryAsync($"SELECT {JobColumns} FROM jobs WHERE status = 'Leased' AND lease_expires < @now", ReadJob, ct, ("now", now.ToUnixTimeMilliseconds()));

    public async Task CancelJobsAsync(IReadOnlyCollection<Guid> activityRunIds, CancellationToken ct)
    {
        foreach (var id in activityRunIds)
            await ExecuteAsync("UPDATE jobs SET cancel_requested = 1 WHERE activity_run_id = @id AND status <> 'Done'", ct, ("id", id.ToString()));
    }

    private static (string, object?)[] ActivityRunParameters(ActivityRunRow r) =>
    [
        ("id", r.Id.ToString()), ("runId", r.RunId.ToString()), ("activity", r.Activity), ("type", r.Type), ("status", r.Status), ("runtime", r.Runtime),
        ("node", r.Node), ("input", r.InputJson), ("output", r.OutputJson), ("error", r.ErrorJson), ("queued", r.QueuedAt.ToUnixTimeMilliseconds()),
        ("start", r.RunStart?.ToUnixTimeMilliseconds()), ("end", r.RunEnd?.ToUnixTimeMilliseconds()), ("attempt", r.Attempt),
    ];

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static PipelineRunRow ReadRun(DbDataReader r) => new(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.GetString(5), Time(r, 6), NullableTime(r, 7), NullableString(r, 8), Convert.ToInt32(r.GetValue(9)) != 0, Time(r, 10));

    private static ActivityRunRow ReadActivityRun(DbDataReader r) => new(Guid.Parse(r.GetString(0)), Guid.Parse(r.GetString(1)), r.GetString(2), r.GetString(3),
        r.GetString(4), NullableString(r, 5), NullableString(r, 6), NullableString(r, 7), NullableString(r, 8), NullableString(r, 9), Time(r, 10),
        NullableTime(r, 11), NullableTime(r, 12), Convert.ToInt32(r.GetValue(13)));

    private static JobRow ReadJob(DbDataReader r) => new(Guid.Parse(r.GetString(0)), r.GetString(1), Guid.Parse(r.GetString(2)), r.GetString(3), r.GetString(4),
        r.IsDBNull(5) ? null : Guid.Parse(r.GetString(5)), NullableString(r, 6), Convert.ToInt32(r.GetValue(7)), NullableTime(r, 8), Convert.ToInt32(r.GetValue(9)),
        Convert.ToInt32(r.GetValue(10)), Time(r, 11), Time(r, 12), Convert.ToInt32(r.GetValue(13)) != 0, r.GetString(14),
        NullableString(r, 15), NullableString(r, 16), NullableString(r, 17));
}
