using Ferry.Contracts.Resources;
using Ferry.Server.Store;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

/// <summary>One suite, run against both stores: whatever SQLite does, PostgreSQL must do the same.</summary>
public abstract class StoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    protected abstract Task<IFerryStore> CreateStoreAsync();

    private async Task<IFerryStore> StoreWithFactoryAsync()
    {
        var store = await CreateStoreAsync();
        await store.EnsureFactoryAsync("default", T0, CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task Status_events_are_read_after_a_cursor_with_the_one_before_and_an_alert_delivery_is_recorded_and_claimed_once()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        var before = await store.GetLastStatusEventIdAsync(default);
        await store.AddStatusEventAsync(runtime.Id, new StatusEvent(T0, "node-a", NodeStatus.Online, "first heartbeat"), default);
        await store.AddStatusEventAsync(runtime.Id, new StatusEvent(T0.AddSeconds(1), null, NodeStatus.Online, "node node-a: first heartbeat"), default);
        await store.AddStatusEventAsync(runtime.Id, new StatusEvent(T0.AddSeconds(30), "node-a", NodeStatus.Offline, "heartbeat lost"), default);

        var events = await store.ListStatusEventsAfterAsync(before, 10, default);
        Assert.Equal([("node-a", "Online"), (null, "Online"), ("node-a", "Offline")], events.Select(e => (e.NodeName, e.Status)));
        Assert.All(events, e => Assert.Equal(("default", "ir1"), (e.Factory, e.Runtime)));
        Assert.Equal(NodeStatus.Online, await store.GetStatusBeforeAsync(runtime.Id, "node-a", events[2].Id, default));
        Assert.Null(await store.GetStatusBeforeAsync(runtime.Id, null, events[1].Id, default));
        Assert.Equal(["default"], await store.ListFactoriesAsync(default));

        var delivery = new AlertDeliveryRow("d1", "default", "ops", "{}", "Pending", 0, T0, null, T0);
        Assert.True(await store.InsertAlertDeliveryAsync(delivery, default));
        Assert.False(await store.InsertAlertDeliveryAsync(delivery, default)); // another instance recording the same occurrence
        Assert.Equal("d1", Assert.Single(await store.ListDueAlertDeliveriesAsync(T0, default)).Id);
        Assert.True(await store.ClaimAlertDeliveryAsync("d1", T0, T0.AddMinutes(1), default));
        Assert.False(await store.ClaimAlertDeliveryAsync("d1", T0, T0.AddMinutes(1), default)); // taken already
        await store.UpdateAlertDeliveryAsync("d1", "Delivered", 1, T0, null, default);
        Assert.Equal(("Delivered", 1), (Assert.Single(await store.ListAlertDeliveriesAsync("default", "ops", 5, default)).Status, 1));
        Assert.Empty(await store.ListDueAlertDeliveriesAsync(T0.AddHours(1), default));
    }

    [Fact]
    public async Task Nodes_are_counted_by_status_and_queued_jobs_by_queue_with_the_oldest()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        Assert.True(await store.InsertNodeAsync(Rows.Node(runtime.Id, "node-a", T0), 4, default));
        Assert.True(await store.InsertNodeAsync(Rows.Node(runtime.Id, "node-b", T0), 4, default));
        foreach (var at in new[] { T0.AddSeconds(5), T0.AddSeconds(9) })
            await store.InsertJobAsync(new JobRow(Guid.NewGuid(), runtime.Id.ToString(), Guid.NewGuid(), "{}", JobStatus.Queued, null, null, 0, null, 0, 3, at, at, false, "[]"), default);

        var nodes = Assert.Single(await store.CountNodesByStatusAsync(default));
        Assert.Equal(("default", "ir1", 2L), (nodes.Factory, nodes.Runtime, nodes.Nodes));
        var queue = Assert.Single(await store.ListQueueDepthsAsync(default));
        Assert.Equal(("ir1", 2L, T0.AddSeconds(5)), (queue.Runtime, queue.Jobs, queue.OldestQueuedAt));
    }

    [Fact]
    public async Task Migrating_twice_is_harmless_and_keeps_data()
    {
        var store = await StoreWithFactoryAsync();
        await store.InsertRuntimeAsync(Rows.Runtime("ir1", T0), default);

        await store.MigrateAsync(default);

        Assert.NotNull(await store.GetRuntimeAsync("default", "ir1", default));
    }

    [Fact]
    public async Task A_runtime_round_trips_every_field()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0) with { UpdateDelayOffset = "PT3H", AutoUpdate = "Off", PropertiesJson = "{\"type\":\"SelfHosted\",\"x\":[1,2]}" };

        await store.InsertRuntimeAsync(runtime, default);

        Assert.Equal(runtime, await store.GetRuntimeByIdAsync(runtime.Id, default));
    }

    [Fact]
    public async Task Runtime_names_are_found_case_insensitively_and_listed_in_order()
    {
        var store = await StoreWithFactoryAsync();
        await store.InsertRuntimeAsync(Rows.Runtime("zeta", T0), default);
        await store.InsertRuntimeAsync(Rows.Runtime("Alpha", T0), default);

        Assert.Equal("Alpha", (await store.GetRuntimeAsync("default", "ALPHA", default))?.Name);
        Assert.Equal(["Alpha", "zeta"], (await store.ListRuntimesAsync("default", default)).Select(r => r.Name));
    }

    [Fact]
    public async Task Two_runtimes_with_the_same_name_in_a_factory_are_refused()
    {
        var store = await StoreWithFactoryAsync();
        await store.InsertRuntimeAsync(Rows.Runtime("ir1", T0), default);

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.InsertRuntimeAsync(Rows.Runtime("IR1", T0), default));
    }

    [Fact]
    public async Task Deleting_a_runtime_removes_its_nodes_and_remembers_it_as_deleted()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        var node = Rows.Node(runtime.Id, "n1", T0);
        await store.InsertNodeAsync(node, 4, default);

        await store.DeleteRuntimeAsync(runtime, T0.AddMinutes(1), default);

        Assert.Null(await store.GetRuntimeByIdAsync(runtime.Id, default));
        Assert.Null(await store.GetNodeAsync(node.Id, default));
        var deleted = await store.GetDeletedRuntimeAsync(runtime.Id, default);
        Assert.Equal(("ir1", T0.AddMinutes(1)), (deleted?.Name, deleted?.DeletedAt));
    }

    [Fact]
    public async Task A_runtime_takes_nodes_up_to_its_limit_and_no_more()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);

        var accepted = new List<bool>();
        for (var i = 0; i < 5; i++)
            accepted.Add(await store.InsertNodeAsync(Rows.Node(runtime.Id, $"n{i}", T0), 4, default));

        Assert.Equal([true, true, true, true, false], accepted);
        Assert.Equal(4, (await store.ListNodesAsync(runtime.Id, default)).Count);
    }

    [Fact]
    public async Task A_heartbeat_updates_the_figures_and_clears_a_stop()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        var node = Rows.Node(runtime.Id, "n1", T0);
        await store.InsertNodeAsync(node, 4, default);
        await store.MarkStoppedAsync(node.Id, T0.AddSeconds(5), default);

        await store.RecordHeartbeatAsync(new HeartbeatUpdate(node.Id, T0.AddSeconds(10), "0.2.0", T0.AddSeconds(9), Reconnected: true,
            12.5, 2048, 1, 100, 200, "10.1.2.3", "proxy unreachable"), default);

        var after = await store.GetNodeAsync(node.Id, default);
        Assert.NotNull(after);
        Assert.False(after.Stopped);
        Assert.Equal(T0.AddSeconds(10), after.LastHeartbeatAt);
        Assert.Equal(T0.AddSeconds(10), after.LastConnectAt);
        Assert.Equal(T0.AddSeconds(5), after.LastStopAt);
        Assert.Equal(T0.AddSeconds(9), after.LastStartAt);
        Assert.Equal(("0.2.0", 12.5, 2048L, 1, 100L, 200L, "10.1.2.3", "proxy unreachable"),
            (after.Version, after.CpuUtilization, after.AvailableMemoryMB, after.ConcurrentJobsRunning, after.SentBytes, after.ReceivedBytes,
                after.IpAddress, after.LastError));
    }

    [Fact]
    public async Task A_heartbeat_keeps_what_the_node_says_of_its_relay_and_remote_access()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        var node = Rows.Node(runtime.Id, "n1", T0);
        await store.InsertNodeAsync(node, 4, default);

        await store.RecordHeartbeatAsync(new HeartbeatUpdate(node.Id, T0, "0.2.0", T0, true, 1, 1, 0, 0, 0, null, null,
            RelayConnected: false, RelayError: "relay refused", RemotePort: 8060, RemoteCertificate: "AB12"), default);

        var after = (await store.GetNodeAsync(node.Id, default))!;
        Assert.Equal((false, "relay refused", 8060, "AB12"), (after.RelayConnected, after.RelayError, after.RemotePort, after.RemoteCertificate));
    }

    [Fact]
    public async Task A_credential_key_is_adopted_once_then_rotated_in_one_transaction_with_the_secrets()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        await store.UpsertResourceAsync(new FactoryResourceRow("default", "linkedservices", "pg",
            "{\"connectVia\":{\"referenceName\":\"ir1\"},\"typeProperties\":{\"encryptedCredential\":\"old\"}}", "e1", T0), default);

        Assert.True(await store.AdoptCredentialKeyAsync(runtime.Id, "key-1", default));
        Assert.False(await store.AdoptCredentialKeyAsync(runtime.Id, "key-x", default));
        Assert.False(await store.RotateCredentialKeyAsync(runtime.Id, 1, "key-2", [], "e2", default)); // nothing pending
        await store.MarkCredentialRotationPendingAsync(runtime.Id, default);
        var pending = (await store.GetHeartbeatStateAsync(runtime.Id, Guid.NewGuid(), default))!;
        var stale = await store.RotateCredentialKeyAsync(runtime.Id, 1, "key-2",
            [new Ferry.Contracts.Protocol.ResealedCredential("default", "pg", "not-what-is-stored", "new")], "e2", default);
        var rotated = await store.RotateCredentialKeyAsync(runtime.Id, 1, "key-2",
            [new Ferry.Contracts.Protocol.ResealedCredential("default", "pg", "old", "new")], "e3", default);

        Assert.Equal((1, "key-1", true), (pending.KeyVersion, pending.PublicKey, pending.RotationPending));
        Assert.False(stale);
        Assert.True(rotated);
        var state = (await store.GetHeartbeatStateAsync(runtime.Id, Guid.NewGuid(), default))!;
        Assert.Equal((2, "key-2", false), (state.KeyVersion, state.PublicKey, state.RotationPending));
        Assert.Contains("\"new\"", (await store.GetResourceAsync("default", "linkedservices", "pg", default))!.PropertiesJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_setting_waiting_for_a_node_comes_with_its_heartbeat_state_until_the_node_answers_that_one()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        var node = Rows.Node(runtime.Id, "n1", T0);
        var other = Rows.Node(runtime.Id, "n2", T0);
        await store.InsertNodeAsync(node, 4, default);
        await store.InsertNodeAsync(other, 4, default);

        await store.SetProxyDirectiveAsync(node.Id, "p1", "{\"id\":\"p1\"}", default);
        await store.SetProxyDirectiveAsync(node.Id, "p2", "{\"id\":\"p2\"}", default); // a newer setting replaces the first
        await store.ClearProxyDirectiveAsync(node.Id, "p1", default); // the node answering the first leaves the newer one

        Assert.Equal("{\"id\":\"p2\"}", (await store.GetHeartbeatStateAsync(runtime.Id, node.Id, default))!.PendingProxyDirective);
        Assert.Null((await store.GetHeartbeatStateAsync(runtime.Id, other.Id, default))!.PendingProxyDirective);
        await store.ClearProxyDirectiveAsync(node.Id, "p2", default);
        Assert.Null((await store.GetHeartbeatStateAsync(runtime.Id, node.Id, default))!.PendingProxyDirective);
    }

    [Fact]
    public async Task Silent_nodes_are_those_recorded_up_with_no_heartbeat_since_the_cutoff()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        var quiet = Rows.Node(runtime.Id, "quiet", T0) with { RecordedStatus = NodeStatus.Online, LastHeartbeatAt = T0 };
        var chatty = Rows.Node(runtime.Id, "chatty", T0) with { RecordedStatus = NodeStatus.Online, LastHeartbeatAt = T0.AddSeconds(25) };
        var alreadyOffline = Rows.Node(runtime.Id, "gone", T0) with { RecordedStatus = NodeStatus.Offline, LastHeartbeatAt = T0 };
        foreach (var n in new[] { quiet, chatty, alreadyOffline })
            await store.InsertNodeAsync(n, 4, default);

        var silent = await store.ListSilentNodesAsync(T0.AddSeconds(20), default);

        Assert.Equal(["quiet"], silent.Select(n => n.Name));
    }

    [Fact]
    public async Task Status_events_come_back_newest_first_with_their_causes()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);

        await store.AddStatusEventAsync(runtime.Id, new StatusEvent(T0, "n1", NodeStatus.Online, "first heartbeat"), default);
        await store.AddStatusEventAsync(runtime.Id, new StatusEvent(T0.AddSeconds(40), "n1", NodeStatus.Offline, "heartbeat lost"), default);
        await store.AddStatusEventAsync(runtime.Id, new StatusEvent(T0.AddSeconds(40), null, RuntimeState.Offline, "node n1: heartbeat lost"), default);

        var events = await store.ListStatusEventsAsync(runtime.Id, 2, default);

        Assert.Equal([(null, "Offline", "node n1: heartbeat lost"), ("n1", "Offline", "heartbeat lost")],
            events.Select(e => (e.NodeName, e.Status, e.Cause)));
    }

    [Fact]
    public async Task Resources_upsert_by_kind_and_name_keep_their_creation_time_and_delete()
    {
        var store = await StoreWithFactoryAsync();
        await store.UpsertResourceAsync(new FactoryResourceRow("default", "linkedservices", "pg", "{\"type\":\"PostgreSqlV2\"}", "\"1\"", T0), default);
        await store.UpsertResourceAsync(new FactoryResourceRow("default", "datasets", "pg", "{\"type\":\"PostgreSqlV2Table\"}", "\"1\"", T0), default);

        await store.UpsertResourceAsync(new FactoryResourceRow("default", "linkedservices", "PG", "{\"type\":\"Sqlite\"}", "\"2\"", T0.AddHours(1)), default);

        var linkedService = await store.GetResourceAsync("default", "linkedservices", "pg", default);
        Assert.Equal(("PG", "{\"type\":\"Sqlite\"}", "\"2\"", T0), (linkedService?.Name, linkedService?.PropertiesJson, linkedService?.Etag, linkedService?.CreatedAt));
        Assert.Single(await store.ListResourcesAsync("default", "linkedservices", default));
        Assert.True(await store.DeleteResourceAsync("default", "linkedservices", "pg", default));
        Assert.False(await store.DeleteResourceAsync("default", "linkedservices", "pg", default));
        Assert.NotNull(await store.GetResourceAsync("default", "datasets", "pg", default));
    }

    [Fact]
    public async Task Node_names_are_unique_in_a_runtime_whatever_their_case()
    {
        var store = await StoreWithFactoryAsync();
        var runtime = Rows.Runtime("ir1", T0);
        await store.InsertRuntimeAsync(runtime, default);
        await store.InsertNodeAsync(Rows.Node(runtime.Id, "node", T0), 4, default);

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.InsertNodeAsync(Rows.Node(runtime.Id, "NODE", T0), 4, default));
        Assert.Equal("node", (await store.GetNodeByNameAsync(runtime.Id, "Node", default))?.Name);
    }

    [Fact]
    public async Task An_attempt_of_an_activity_is_recorded_once_and_progress_never_overwrites_its_outcome()
    {
        var store = await StoreWithFactoryAsync();
        var run = new PipelineRunRow(Guid.NewGuid(), "default", "p", "InProgress", "{}", "{}", T0, null, null, false, T0);
        await store.InsertPipelineRunAsync(run, default);
        ActivityRunRow Attempt(int attempt) => new(Guid.NewGuid(), run.Id, "copy", "Copy", "InProgress", "ir1", "node-1", null, null, null, T0, T0, null, attempt);
        var first = Attempt(1);

        Assert.True(await store.InsertActivityRunAsync(first, default));
        Assert.False(await store.InsertActivityRunAsync(Attempt(1), default)); // a second caller moving the run on at the same moment
        Assert.True(await store.InsertActivityRunAsync(Attempt(2), default));
        await store.UpdateActivityRunProgressAsync(first.Id, "{\"rowsCopied\":5}", default);
        await store.UpdateActivityRunAsync(first with { Status = "Succeeded", OutputJson = "{\"rowsCopied\":10}", RunEnd = T0 }, default);
        await store.UpdateActivityRunProgressAsync(first.Id, "{\"rowsCopied\":7}", default); // a renewal that raced the completion

        var runs = await store.ListActivityRunsAsync(run.Id, default);
        Assert.Equal([1, 2], runs.Select(r => r.Attempt).Order());
        var ended = runs.Single(r => r.Id == first.Id);
        Assert.Equal(("Succeeded", "{\"rowsCopied\":10}"), (ended.Status, ended.OutputJson));
    }
}

public sealed class SqliteStoreTests : StoreContractTests
{
    protected override Task<IFerryStore> CreateStoreAsync() => StoreFactory.SqliteAsync();
}

public sealed class PostgresStoreTests : StoreContractTests
{
    protected override Task<IFerryStore> CreateStoreAsync() => StoreFactory.PostgresAsync();
}
