using Ferry.Contracts.Resources;
using Ferry.Server.Store;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class NodeStatusMonitorTests
{
    [Fact]
    public async Task Silence_beyond_the_threshold_is_recorded_as_offline_with_the_cause_and_the_runtime_follows()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");
        await cp.Store.RecordHeartbeatAsync(Heartbeat(node.NodeId, cp.Time.GetUtcNow()), default);
        var row = (await cp.Store.GetNodeAsync(node.NodeId, default))!;
        await cp.Store.SetNodeRecordedStatusAsync(row.Id, NodeStatus.Online, default);

        cp.Time.Advance(TimeSpan.FromSeconds(30));
        await cp.Monitor.SweepAsync(default);
        var stillOnline = (await cp.Store.GetNodeAsync(node.NodeId, default))!.RecordedStatus;
        cp.Time.Advance(TimeSpan.FromSeconds(1));
        await cp.Monitor.SweepAsync(default);

        Assert.Equal(NodeStatus.Online, stillOnline);
        Assert.Equal(NodeStatus.Offline, (await cp.Store.GetNodeAsync(node.NodeId, default))!.RecordedStatus);
        var events = await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 10, default);
        Assert.Contains(events.Value, e => e.NodeName == "node-a" && e.Status == NodeStatus.Offline && e.Cause.Contains("heartbeat lost", StringComparison.Ordinal));
        Assert.Equal(RuntimeState.Offline, events.Value[0].Status);
        Assert.Equal(RuntimeState.Offline, (await cp.Runtimes.GetStatusAsync("default", "ir1", default)).Properties.State);
    }

    [Fact]
    public async Task When_the_active_dispatcher_goes_silent_the_next_online_node_takes_the_role_at_once_and_the_hand_over_is_recorded()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        var a = await cp.RegisterAsync(key, "node-a");
        cp.Time.Advance(TimeSpan.FromSeconds(1));
        var b = await cp.RegisterAsync(key, "node-b");
        await cp.HeartbeatAsync(a.NodeId);
        await cp.HeartbeatAsync(b.NodeId);
        var before = (await cp.Runtimes.GetStatusAsync("default", "ir1", default)).Properties.TypeProperties.Nodes!;

        // node-b keeps heartbeating; node-a falls silent past the offline threshold (30 s).
        for (var i = 0; i < 4; i++)
        {
            cp.Time.Advance(TimeSpan.FromSeconds(10));
            await cp.HeartbeatAsync(b.NodeId);
            await cp.Monitor.SweepAsync(default);
        }

        Assert.Equal([("node-a", true), ("node-b", false)], before.Select(n => (n.NodeName, n.IsActiveDispatcher)));
        var after = (await cp.Runtimes.GetStatusAsync("default", "ir1", default)).Properties.TypeProperties.Nodes!;
        Assert.Equal([("node-a", NodeStatus.Offline, false), ("node-b", NodeStatus.Online, true)], after.Select(n => (n.NodeName, n.Status, n.IsActiveDispatcher)));
        var events = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 50, default)).Value;
        var handOver = Assert.Single(events, e => e.Cause.StartsWith("active dispatcher:", StringComparison.Ordinal));
        Assert.Equal((null, RuntimeState.Limited, "active dispatcher: node-b, taking over from node-a (node node-a went Offline)"),
            (handOver.NodeName, handOver.Status, handOver.Cause));
    }

    [Fact]
    public async Task Deleting_a_node_puts_the_jobs_it_holds_back_on_the_queue_at_once()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        var a = await cp.RegisterAsync(key, "node-a");
        var b = await cp.RegisterAsync(key, "node-b");
        var queue = (await cp.Store.GetNodeAsync(a.NodeId, default))!.RuntimeId.ToString();
        var now = cp.Time.GetUtcNow();
        var run = new PipelineRunRow(Guid.NewGuid(), "default", "p", "InProgress", "{}", "{}", now, null, null, false, now);
        await cp.Store.InsertPipelineRunAsync(run, default);
        var activityRun = new ActivityRunRow(Guid.NewGuid(), run.Id, "copy", "Copy", "Queued", "ir1", null, null, null, null, now, null, null, 1);
        await cp.Store.InsertActivityRunAsync(activityRun, default);
        await cp.Store.InsertJobAsync(new JobRow(Guid.NewGuid(), queue, activityRun.Id, "{}", JobStatus.Queued, null, null, 0, null, 0, 3, now, now, false, "[]"), default);
        var leased = (await cp.Store.TryLeaseJobAsync(queue, a.NodeId, "node-a", now, now.AddSeconds(60), default))!;

        await cp.Runtimes.DeleteNodeAsync("default", "ir1", "node-a", default);

        // The removed node's long poll, begun before the delete, asks once more: nothing for it.
        Assert.Null(await cp.Store.TryLeaseJobAsync(queue, a.NodeId, "node-a", now, now.AddSeconds(60), default));
        var again = await cp.Store.TryLeaseJobAsync(queue, b.NodeId, "node-b", now, now.AddSeconds(60), default);
        Assert.NotNull(again);
        Assert.Equal((leased.Id, leased.Epoch + 1), (again.Id, again.Epoch));
        Assert.Contains("node removed from the runtime while running it", again.HistoryJson, StringComparison.Ordinal);
        Assert.Null(await cp.Store.RenewJobAsync(leased.Id, a.NodeId, leased.Epoch, now.AddSeconds(60), default)); // the removed node's lease is stale
    }

    [Fact]
    public async Task A_node_that_never_heartbeats_after_registering_goes_offline()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");

        cp.Time.Advance(TimeSpan.FromSeconds(31));
        await cp.Monitor.SweepAsync(default);

        Assert.Equal(NodeStatus.Offline, (await cp.Store.GetNodeAsync(node.NodeId, default))!.RecordedStatus);
    }

    [Fact]
    public async Task Get_status_shows_one_node_offline_and_the_runtime_limited_when_one_of_two_goes_silent()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        var a = await cp.RegisterAsync(key, "node-a");
        var b = await cp.RegisterAsync(key, "node-b");
        await cp.Store.RecordHeartbeatAsync(Heartbeat(a.NodeId, cp.Time.GetUtcNow()), default);
        await cp.Store.RecordHeartbeatAsync(Heartbeat(b.NodeId, cp.Time.GetUtcNow()), default);

        cp.Time.Advance(TimeSpan.FromSeconds(20));
        await cp.Store.RecordHeartbeatAsync(Heartbeat(b.NodeId, cp.Time.GetUtcNow()), default);
        cp.Time.Advance(TimeSpan.FromSeconds(15));
        var status = await cp.Runtimes.GetStatusAsync("default", "ir1", default);

        Assert.Equal(RuntimeState.Limited, status.Properties.State);
        var nodes = status.Properties.TypeProperties.Nodes!.ToDictionary(n => n.NodeName);
        Assert.Equal(NodeStatus.Offline, nodes["node-a"].Status);
        Assert.Equal(NodeStatus.Online, nodes["node-b"].Status);
        Assert.True(nodes["node-b"].IsActiveDispatcher);
        Assert.False(nodes["node-a"].IsActiveDispatcher);
    }

    private static HeartbeatUpdate Heartbeat(Guid nodeId, DateTimeOffset at) =>
        new(nodeId, at, "0.1.0", at, Reconnected: true, 1, 1024, 0, 0, 0, "127.0.0.1", null);
}
