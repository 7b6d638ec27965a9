using Ferry.Contracts.Resources;
using Ferry.Server.Hosting;
using Ferry.Server.Nodes;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class NodeStatusRulesTests
{
    private readonly FakeTime _time = new();
    private readonly TimeSpan _offlineAfter = new ServerOptions().OfflineAfter;

    [Fact]
    public void The_default_offline_threshold_is_three_missed_ten_second_heartbeats() =>
        Assert.Equal(TimeSpan.FromSeconds(30), _offlineAfter);

    [Fact]
    public void A_node_is_online_until_three_heartbeats_are_missed_and_offline_after()
    {
        var node = Rows.Node(Guid.NewGuid(), "n1", _time.GetUtcNow()) with { LastHeartbeatAt = _time.GetUtcNow() };

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(NodeStatus.Online, NodeStatusRules.Derive(node, _time.GetUtcNow(), _offlineAfter));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(NodeStatus.Offline, NodeStatusRules.Derive(node, _time.GetUtcNow(), _offlineAfter));
    }

    [Fact]
    public void A_node_that_stopped_gracefully_is_offline_at_once()
    {
        var node = Rows.Node(Guid.NewGuid(), "n1", _time.GetUtcNow()) with { LastHeartbeatAt = _time.GetUtcNow(), Stopped = true };

        Assert.Equal(NodeStatus.Offline, NodeStatusRules.Derive(node, _time.GetUtcNow(), _offlineAfter));
    }

    [Fact]
    public void A_registered_node_is_initializing_until_its_first_heartbeat_and_offline_if_it_never_comes()
    {
        var node = Rows.Node(Guid.NewGuid(), "n1", _time.GetUtcNow());

        Assert.Equal(NodeStatus.Initializing, NodeStatusRules.Derive(node, _time.GetUtcNow(), _offlineAfter));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(NodeStatus.Offline, NodeStatusRules.Derive(node, _time.GetUtcNow(), _offlineAfter));
    }

    [Theory]
    [InlineData(new string[0], "NeedRegistration")]
    [InlineData(new[] { "Online", "Online" }, "Online")]
    [InlineData(new[] { "Online", "Offline" }, "Limited")]
    [InlineData(new[] { "Limited", "Offline" }, "Limited")]
    [InlineData(new[] { "Offline", "Offline" }, "Offline")]
    [InlineData(new[] { "Initializing" }, "Offline")]
    public void The_runtime_state_aggregates_its_nodes(string[] nodes, string expected) =>
        Assert.Equal(expected, NodeStatusRules.Aggregate(nodes));

    [Theory]
    [InlineData("0.1.0", "0.1.0", "UpToDate")]
    [InlineData("0.2.0", "0.1.0", "UpToDate")]
    [InlineData("0.1.0", "0.3.0", "UpdateAvailable")]
    [InlineData("0.1.0", "0.4.0", "Expired")]
    [InlineData("1.4.0", "2.0.0", "Expired")]
    [InlineData("0.0.9", "0.1.0", "Expired")]
    [InlineData("garbage", "0.1.0", "Expired")]
    public void A_nodes_version_is_up_to_date_behind_within_the_window_or_expired(string node, string server, string expected) =>
        Assert.Equal(expected, NodeStatusRules.VersionStatus(node, server));

    [Fact]
    public void The_longest_registered_online_node_is_the_active_dispatcher_and_the_role_moves_when_it_goes_offline()
    {
        var runtimeId = Guid.NewGuid();
        var first = Rows.Node(runtimeId, "first", _time.GetUtcNow());
        var second = Rows.Node(runtimeId, "second", _time.GetUtcNow().AddSeconds(1));

        Assert.Equal(first.Id, NodeStatusRules.ActiveDispatcher([(second, NodeStatus.Online), (first, NodeStatus.Online)]));
        Assert.Equal(second.Id, NodeStatusRules.ActiveDispatcher([(second, NodeStatus.Online), (first, NodeStatus.Offline)]));
        Assert.Null(NodeStatusRules.ActiveDispatcher([(second, NodeStatus.Offline)]));
    }

    [Theory]
    [InlineData(2, 24 * 1024, 8, 4)]
    [InlineData(16, 4 * 1024, 8, 8)]
    [InlineData(1, 512, 1, 1)]
    public void Concurrent_jobs_follow_cores_and_memory(int cores, long memoryMB, int max, int limit)
    {
        Assert.Equal(max, ConcurrencyRule.MaxConcurrentJobs(cores, memoryMB));
        Assert.Equal(limit, ConcurrencyRule.DefaultLimit(cores, memoryMB));
    }
}
