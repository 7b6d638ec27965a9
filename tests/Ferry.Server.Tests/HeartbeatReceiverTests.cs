using Ferry.Contracts.Resources;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class HeartbeatReceiverTests
{
    [Fact]
    public async Task The_first_heartbeat_brings_a_registered_node_and_its_runtime_online()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");

        await cp.HeartbeatAsync(node.NodeId);

        var events = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 2, default)).Value;
        Assert.Equal([(null, "Online", "node node-a: first heartbeat"), ("node-a", "Online", "first heartbeat")],
            events.Select(e => (e.NodeName, e.Status, e.Cause)));
    }

    [Fact]
    public async Task A_node_back_before_the_sweep_noticed_its_silence_still_has_the_outage_recorded()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");
        await cp.HeartbeatAsync(node.NodeId);

        cp.Time.Advance(TimeSpan.FromSeconds(45)); // silent past the threshold, and no sweep ran
        await cp.HeartbeatAsync(node.NodeId, lastError: "cannot reach the server");

        var nodeEvents = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 10, default)).Value
            .Where(e => e.NodeName == "node-a").Take(2).Select(e => (e.Status, e.Cause)).ToList();
        Assert.Equal(NodeStatus.Online, nodeEvents[0].Status);
        Assert.Equal("heartbeat resumed; while away the node saw: cannot reach the server", nodeEvents[0].Cause);
        Assert.Equal(NodeStatus.Offline, nodeEvents[1].Status);
        Assert.StartsWith("heartbeat lost: none for 45 s", nodeEvents[1].Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_whose_clock_is_off_beyond_the_leeway_is_limited_with_the_skew_named_until_it_is_set_right()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");
        await cp.HeartbeatAsync(node.NodeId, nodeClockOffset: TimeSpan.FromSeconds(-30)); // within the 60 s leeway

        await cp.HeartbeatAsync(node.NodeId, nodeClockOffset: TimeSpan.FromMinutes(-4));
        var skewed = (await cp.Runtimes.GetStatusAsync("default", "ir1", default)).Properties.TypeProperties.Nodes!.Single();
        await cp.HeartbeatAsync(node.NodeId);

        Assert.Equal(NodeStatus.Limited, skewed.Status);
        Assert.StartsWith("clock skew: the node's clock is 240 s behind the server's, beyond the 60 s tolerance; its calls are refused once it is 360 s behind",
            skewed.LastError, StringComparison.Ordinal);
        var events = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 10, default)).Value.Where(e => e.NodeName == "node-a").Take(3).ToList();
        Assert.Equal([(NodeStatus.Online, "clock in step with the server's again"), (NodeStatus.Limited, skewed.LastError!), (NodeStatus.Online, "first heartbeat")],
            events.Select(e => (e.Status, e.Cause)));
        Assert.Null((await cp.Runtimes.GetStatusAsync("default", "ir1", default)).Properties.TypeProperties.Nodes!.Single().LastError);
    }

    [Fact]
    public async Task A_node_too_old_for_the_server_is_limited_and_told_why_rather_than_given_work()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");

        await cp.HeartbeatAsync(node.NodeId, version: "0.0.9");

        var view = (await cp.Runtimes.GetStatusAsync("default", "ir1", default)).Properties.TypeProperties;
        var shown = view.Nodes!.Single();
        Assert.Equal((NodeStatus.Limited, "Expired", "Expired"), (shown.Status, shown.VersionStatus, view.VersionStatus));
        Assert.StartsWith("version 0.0.9 is older than 0.1.0, the oldest this server", shown.LastError, StringComparison.Ordinal);
        var recorded = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 10, default)).Value.First(e => e.NodeName == "node-a");
        Assert.Equal(NodeStatus.Limited, recorded.Status);
        Assert.Contains("it gets no jobs until it is updated", recorded.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steady_heartbeats_record_nothing_new()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a");
        await cp.HeartbeatAsync(node.NodeId);
        var before = (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 100, default)).Value.Count;

        for (var i = 0; i < 5; i++)
        {
            cp.Time.Advance(TimeSpan.FromSeconds(10));
            await cp.HeartbeatAsync(node.NodeId);
        }

        Assert.Equal(before, (await cp.Runtimes.ListStatusEventsAsync("default", "ir1", 100, default)).Value.Count);
    }
}
