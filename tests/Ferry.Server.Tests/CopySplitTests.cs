using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Server.Jobs;
using Ferry.Server.Runs;
using Microsoft.Extensions.Logging.Abstractions;
using Ferry.Contracts;
using Ferry.Server.Store;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public sealed class CopySplitTests
{
    private static JobPayload Copy(string sourceType, string sourceLinked, JsonObject source, string sinkType = "PostgreSqlV2Table", string sinkLinked = "PostgreSqlV2",
        JsonObject? extra = null)
    {
        var typeProperties = new JsonObject { ["source"] = source, ["sink"] = new JsonObject() };
        foreach (var (name, value) in extra ?? [])
            typeProperties[name] = value?.DeepClone();
        return new JobPayload(Guid.Empty, Guid.Empty, "copy", "Copy", new JsonObject { ["typeProperties"] = typeProperties },
            new JsonObject { ["type"] = sourceType }, new JsonObject { ["type"] = sourceLinked },
            new JsonObject { ["type"] = sinkType }, new JsonObject { ["type"] = sinkLinked }, null, "ir");
    }

    private static JsonObject DynamicRange => new() { ["partitionOption"] = "DynamicRange" };
    private static JsonObject Wildcard => new() { ["storeSettings"] = new JsonObject { ["wildcardFileName"] = "*.csv" } };

    [Fact]
    public void A_DynamicRange_table_is_split_two_parts_per_node_and_a_folder_of_files_too()
    {
        Assert.Equal(6, CopySplits.PartsFor(Copy("PostgreSqlV2Table", "PostgreSqlV2", DynamicRange), 3));
        Assert.Equal(4, CopySplits.PartsFor(Copy("DelimitedText", "FileServer", Wildcard, "Parquet", "FileServer"), 2));
        Assert.Equal(5, CopySplits.PartsFor(Copy("PostgreSqlV2Table", "PostgreSqlV2", DynamicRange, extra: new JsonObject { ["parallelCopies"] = 5 }), 2));
    }

    [Fact]
    public void A_copy_runs_whole_on_one_node_when_it_cannot_be_split_or_there_is_one_node()
    {
        Assert.Null(CopySplits.PartsFor(Copy("PostgreSqlV2Table", "PostgreSqlV2", DynamicRange), 1));
        Assert.Null(CopySplits.PartsFor(Copy("PostgreSqlV2Table", "PostgreSqlV2", new JsonObject()), 3)); // no partitionOption
        Assert.Null(CopySplits.PartsFor(Copy("DelimitedText", "FileServer", new JsonObject()), 3)); // one file
        Assert.Null(CopySplits.PartsFor(Copy("DelimitedText", "HttpServer", Wildcard), 3));
        Assert.Null(CopySplits.PartsFor(Copy("PostgreSqlV2Table", "PostgreSqlV2", DynamicRange, "SqliteTable", "Sqlite"), 3)); // a sink that takes no parts
        Assert.Null(CopySplits.PartsFor(Copy("PostgreSqlV2Table", "PostgreSqlV2", DynamicRange, extra: new JsonObject { ["enableSkipIncompatibleRow"] = true }), 3));
    }

    [Fact]
    public async Task A_node_holding_as_many_leases_as_its_limit_is_given_no_more_whatever_free_slots_it_claims()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");
        var queue = (await cp.Store.GetNodeAsync(node.NodeId, default))!.RuntimeId.ToString();
        var now = cp.Time.GetUtcNow();
        for (var i = 0; i < 3; i++)
            await cp.Store.InsertJobAsync(new JobRow(Guid.NewGuid(), queue, Guid.NewGuid(), "{}", JobStatus.Queued, null, null, 0, null, 0, 3, now, now, false, "[]"), default);

        Assert.NotNull(await cp.Store.TryLeaseJobAsync(queue, node.NodeId, "node-a", now, now.AddSeconds(60), default, limit: 2));
        Assert.NotNull(await cp.Store.TryLeaseJobAsync(queue, node.NodeId, "node-a", now, now.AddSeconds(60), default, limit: 2));
        Assert.Null(await cp.Store.TryLeaseJobAsync(queue, node.NodeId, "node-a", now, now.AddSeconds(60), default, limit: 2));
        Assert.NotNull(await cp.Store.TryLeaseJobAsync(queue, node.NodeId, "node-a", now, now.AddSeconds(60), default, limit: 3));
    }

    [Fact]
    public async Task A_job_inserted_twice_under_one_id_is_one_job()
    {
        var cp = await ControlPlane.StartAsync();
        var now = cp.Time.GetUtcNow();
        var job = new JobRow(Guid.NewGuid(), "q", Guid.NewGuid(), "{}", JobStatus.Queued, null, null, 0, null, 0, 3, now, now, false, "[]", CopySplit.Commit);
        Assert.True(await cp.Store.InsertJobAsync(job, default));
        Assert.False(await cp.Store.InsertJobAsync(job, default));
        Assert.Equal(CopySplit.Commit, Assert.Single(await cp.Store.ListJobsOfActivityRunAsync(job.ActivityRunId, default)).Step);
    }

    [Fact]
    public async Task A_failed_part_has_its_staging_discarded_only_once_no_other_part_is_still_running()
    {
        var cp = await ControlPlane.StartAsync();
        var signals = new JobSignals();
        var splits = new CopySplits(cp.Store, new RunOrchestrator(cp.Store, signals, cp.Time, NullLogger<RunOrchestrator>.Instance), signals, cp.Time,
            NullLogger<CopySplits>.Instance);
        var node = Guid.NewGuid();
        var now = cp.Time.GetUtcNow();
        var activityRun = new ActivityRunRow(Guid.NewGuid(), Guid.NewGuid(), "copy", "Copy", RunStatus.InProgress, "ir", null, null, null, null, now, now, null, 1);
        await cp.Store.InsertActivityRunAsync(activityRun, default);
        var copy = Copy("PostgreSqlV2Table", "PostgreSqlV2", DynamicRange);
        JobRow Part(int part, string status) => new(Guid.NewGuid(), "q", activityRun.Id,
            System.Text.Json.JsonSerializer.Serialize(copy with { Split = new CopySplit(CopySplit.CopyPart, part, 3) }, Ferry.Contracts.FerryJsonContext.Default.JobPayload),
            status, status == JobStatus.Leased ? node : null, "node-a", 1, now.AddMinutes(1), 1, 3, now.AddSeconds(part), now, false, "[]", CopySplit.CopyPart);
        var failing = Part(0, JobStatus.Leased);
        var running = Part(1, JobStatus.Leased);
        foreach (var job in new[] { failing, running, Part(2, JobStatus.Queued) })
            await cp.Store.InsertJobAsync(job, default);
        string[] Steps(IEnumerable<JobRow> jobs) => jobs.Select(j => j.Step!).ToArray();

        Assert.True(await cp.Store.FinishJobAsync(failing.Id, node, 1, "[]", default, RunStatus.Failed));
        await splits.StepEndedAsync(failing, "node-a", RunStatus.Failed, null, new ActivityError("2200", "bad row", "UserError", "copy"), default);

        Assert.Equal(RunStatus.Failed, (await cp.Store.GetActivityRunAsync(activityRun.Id, default))!.Status);
        var jobs = await cp.Store.ListJobsOfActivityRunAsync(activityRun.Id, default);
        Assert.DoesNotContain(CopySplit.Discard, Steps(jobs)); // part 2 is still loading: a discard now would race it
        Assert.All(jobs.Where(j => j.Status != JobStatus.Done), j => Assert.True(j.CancelRequested));

        Assert.True(await cp.Store.FinishJobAsync(running.Id, node, 1, "[]", default, RunStatus.Cancelled));
        await splits.StepEndedAsync(running, "node-a", RunStatus.Cancelled, null, null, default);
        await splits.StepEndedAsync(running, "node-a", RunStatus.Cancelled, null, null, default); // a second instance seeing the same end

        var discard = Assert.Single(await cp.Store.ListJobsOfActivityRunAsync(activityRun.Id, default), j => j.Step == CopySplit.Discard);
        Assert.Equal(JobStatus.Queued, discard.Status);
        Assert.Equal(3, System.Text.Json.JsonSerializer.Deserialize(discard.PayloadJson, Ferry.Contracts.FerryJsonContext.Default.JobPayload)!.Split!.Parts);
    }
}
