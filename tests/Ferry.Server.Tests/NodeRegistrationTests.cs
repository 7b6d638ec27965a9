using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;
using Ferry.Server.Hosting;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class NodeRegistrationTests
{
    [Fact]
    public async Task A_key_registers_a_node_bound_to_its_runtime()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");

        var node = await cp.RegisterAsync(key, "node-a");

        Assert.Equal(("default", "ir1", "node-a"), (node.Factory, node.Runtime, node.NodeName));
    }

    [Fact]
    public async Task Without_a_name_the_node_takes_its_machine_name()
    {
        var cp = await ControlPlane.StartAsync();
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), null);

        Assert.Equal("machine-1", node.NodeName);
    }

    [Fact]
    public async Task The_fifth_node_is_refused_by_default_with_the_limit_named()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        for (var i = 1; i <= 4; i++)
            await cp.RegisterAsync(key, $"node-{i}");

        var e = await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(key, "node-5"));

        Assert.Equal(ErrorCodes.NodeLimitReached, e.Code);
        Assert.Contains("already has 4 nodes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_setting_raises_the_node_limit()
    {
        var cp = await ControlPlane.StartAsync(new ServerOptions { MaxNodesPerRuntime = 6 });
        var key = await cp.CreateSelfHostedAsync("ir1");

        for (var i = 1; i <= 6; i++)
            await cp.RegisterAsync(key, $"node-{i}");

        Assert.Equal(ErrorCodes.NodeLimitReached, (await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(key, "node-7"))).Code);
    }

    [Fact]
    public async Task A_regenerated_key_no_longer_registers_and_says_it_was_regenerated()
    {
        var cp = await ControlPlane.StartAsync();
        var oldKey = await cp.CreateSelfHostedAsync("ir1");
        await cp.Runtimes.RegenerateAuthKeyAsync("default", "ir1", new JsonObject { ["keyName"] = "authKey1" }, default);

        var e = await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(oldKey, "node-a"));

        Assert.Equal(ErrorCodes.KeyRegenerated, e.Code);
        var newKey = (await cp.Runtimes.ListAuthKeysAsync("default", "ir1", default)).AuthKey1;
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal("node-a", (await cp.RegisterAsync(newKey, "node-a")).NodeName);
    }

    [Fact]
    public async Task Regenerating_one_key_leaves_the_other_working()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");
        var key2 = (await cp.Runtimes.ListAuthKeysAsync("default", "ir1", default)).AuthKey2;
        await cp.Runtimes.RegenerateAuthKeyAsync("default", "ir1", new JsonObject { ["keyName"] = "authKey1" }, default);

        Assert.Equal("n", (await cp.RegisterAsync(key2, "n")).NodeName);
    }

    [Fact]
    public async Task A_key_of_a_deleted_runtime_says_the_runtime_was_deleted()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        await cp.Runtimes.DeleteAsync("default", "ir1", default);

        var e = await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(key, "node-a"));

        Assert.Equal(ErrorCodes.RuntimeDeleted, e.Code);
        Assert.Contains("was deleted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_of_another_server_says_so()
    {
        var cp = await ControlPlane.StartAsync();
        var other = await ControlPlane.StartAsync();
        var foreignKey = await other.CreateSelfHostedAsync("ir1");

        var e = await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(foreignKey, "node-a"));

        Assert.Equal(ErrorCodes.RuntimeNotFound, e.Code);
    }

    [Fact]
    public async Task Truncated_and_garbled_keys_are_refused_with_their_defect()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        var garbled = key[..^8] + (key[^8] == 'x' ? 'y' : 'x') + key[^7..];

        Assert.Equal(ErrorCodes.KeyTruncated, (await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(key[..^5], "n"))).Code);
        Assert.Equal(ErrorCodes.KeyGarbled, (await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(garbled, "n"))).Code);
        Assert.Equal(ErrorCodes.KeyMalformed, (await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync("secret", "n"))).Code);
    }

    [Fact]
    public async Task A_second_machine_cannot_take_a_registered_nodes_name_but_the_same_node_may_register_again()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        using var nodeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var first = await cp.RegisterAsync(key, "node-a", nodeKey);

        var clash = await Assert.ThrowsAsync<FerryException>(() => cp.RegisterAsync(key, "NODE-A"));
        var again = await cp.RegisterAsync(key, "node-a", nodeKey);

        Assert.Equal(ErrorCodes.DuplicateNodeName, clash.Code);
        Assert.Equal(first.NodeId, again.NodeId);
    }
}
