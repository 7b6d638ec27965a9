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
