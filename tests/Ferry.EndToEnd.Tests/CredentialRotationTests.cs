using System.Security.Cryptography;
using Ferry.Contracts.Credentials;
using Ferry.EndToEnd.Tests.Harness;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>Removing a node rotates the runtime's credential key: real server and node processes, the secret used against a real PostgreSQL.</summary>
public sealed class CredentialRotationTests : IDisposable
{
    private readonly TempDir _dirs;
    private readonly NodeFleet _nodes;

    public CredentialRotationTests()
    {
        _dirs = new TempDir();
        _nodes = new NodeFleet(_dirs);
    }

    [Fact]
    public async Task A_removed_node_cannot_open_secrets_after_the_remaining_node_rotated_the_key_and_a_new_node_gets_the_new_key()
    {
        var admin = Sql.Admin();
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var dirA = await _nodes.StartAsync(server, "rot-ir", "node-a");
        var dirB = await _nodes.StartAsync(server, "rot-ir", "node-b", createRuntime: false);
        var dirD = await _nodes.StartAsync(server, "rot-ir", "node-d", createRuntime: false);
        foreach (var dir in new[] { dirA, dirB, dirD })
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-elma")).ExitCode);
        // The test cluster trusts its superuser over loopback, so the connection succeeds exactly when the node could open the secret.
        var file = _dirs.Sub("pg.json");
        await File.WriteAllTextAsync(file, $$"""
            {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "rot-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"server": "{{admin.Host}}", "port": {{admin.Port}}, "database": "postgres", "username": "postgres", "sslMode": "disable",
                                 "password": {"type": "SecureString", "value": "rotated-secret"} } } }
            """);
        var before = (await server.FerryJsonAsync("linked-service", "create", "--name", "pg", "--file", file))["properties"]!["typeProperties"]!["encryptedCredential"]!.GetValue<string>();
        Assert.Equal(1, CredentialEnvelope.VersionOf(before));

        Assert.Equal(0, (await server.FerryAsync("ir", "node", "delete", "--name", "rot-ir", "--node-name", "node-b")).ExitCode);

        string after = before;
        await Commands.EventuallyAsync(async () =>
        {
            after = (await server.FerryJsonAsync("linked-service", "show", "--name", "pg"))["properties"]!["typeProperties"]!["encryptedCredential"]!.GetValue<string>();
            var info = await server.FerryJsonAsync("ir", "get-connection-info", "--name", "rot-ir");
            return (CredentialEnvelope.VersionOf(after) == 2 && info["publicKeyVersion"]!.GetValue<int>() == 2, info.ToJsonString());
        }, TimeSpan.FromSeconds(30), "the key rotated to version 2 and the secret re-sealed");

        // Whichever of node-a and node-d rotated, the other was behind by one version and catches up by itself.
        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync("rot-ir");
            return (s.State == "Online" && s.Nodes.Count == 2, FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), "node-a and node-d both on version 2");

        // node-b's key, still on its disk, opens the old envelope but not the new one.
        var storeB = new Ferry.Node.Credentials.CredentialStore(new Ferry.Node.Hosting.NodeDataDirectory(dirB),
            new Ferry.Node.Credentials.SecretProtector(new Ferry.Node.Hosting.NodeDataDirectory(dirB)));
        var materialB = storeB.Load()!;
        using (var keyB = storeB.OpenPrivateKey(materialB))
        {
            Assert.NotEmpty(CredentialEnvelope.Open(keyB, materialB.RuntimeId, before));
            Assert.ThrowsAny<CryptographicException>(() => CredentialEnvelope.Open(keyB, materialB.RuntimeId, after));
        }
        var history = await server.FerryAsync("ir", "status-history", "--name", "rot-ir");
        Assert.Contains("credential key rotated to version 2 by node node-", history.Stdout, StringComparison.Ordinal);
        _nodes.Stop("node-d");
        await Commands.EventuallyAsync(async () =>
        {
            var result = await server.FerryAsync("linked-service", "test-connection", "--name", "pg");
            return (result.ExitCode == 0 && result.Stdout.Contains("node-a", StringComparison.Ordinal), result.ToString());
        }, TimeSpan.FromSeconds(30), "node-a opens the re-sealed secret");

        // A node that joins now gets version 2 from node-a and can use the secret on its own.
        var dirC = await _nodes.StartAsync(server, "rot-ir", "node-c", createRuntime: false);
        Assert.Equal(0, (await Commands.DmgcmdAsync(dirC, "-elma")).ExitCode);
        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync("rot-ir");
            return (s.Nodes.GetValueOrDefault("node-c") == "Online", FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), "node-c in sync with version 2");
        _nodes.Stop("node-a");
        await Commands.EventuallyAsync(async () =>
        {
            var result = await server.FerryAsync("linked-service", "test-connection", "--name", "pg");
            return (result.ExitCode == 0 && result.Stdout.Contains("node-c", StringComparison.Ordinal), result.ToString());
        }, TimeSpan.FromSeconds(30), "node-c opens the re-sealed secret");
    }

    [Fact]
    public async Task With_node_approval_required_a_joining_node_gets_the_key_only_after_an_existing_node_approves_its_fingerprint()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "strict-ir", "--require-node-approval", "true");
        var dirA = await _nodes.StartAsync(server, "strict-ir", "node-a", createRuntime: false);
        var dirB = await _nodes.StartAsync(server, "strict-ir", "node-b", createRuntime: false, expectedState: "Limited");

        // node-a refuses until approved, and says how to approve; the server's history says it too.
        await Commands.EventuallyAsync(() => Task.FromResult((_nodes.OutputOf("node-a").Contains("dmgcmd -ApproveNode", StringComparison.Ordinal),
            _nodes.OutputOf("node-a"))), TimeSpan.FromSeconds(30), "node-a refusing node-b until approved");
        Assert.Equal("Limited", (await server.StatusAsync("strict-ir")).Nodes["node-b"]);
        var statusB = await Commands.DmgcmdAsync(dirB, "-Status");
        var fingerprint = statusB.Stdout.Split('\n').Single(l => l.StartsWith("Fingerprint:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Contains(fingerprint, (await server.FerryAsync("ir", "status-history", "--name", "strict-ir")).Stdout, StringComparison.Ordinal);
        Assert.Contains("Node approval:   required", (await Commands.DmgcmdAsync(dirA, "-Status")).Stdout, StringComparison.Ordinal);

        var approve = await Commands.DmgcmdAsync(dirA, "-ApproveNode", fingerprint.ToLowerInvariant());
        Assert.True(approve.ExitCode == 0, approve.ToString());

        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync("strict-ir");
            return (s.State == "Online", FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), "node-b in sync after approval");
        var wrong = await Commands.DmgcmdAsync(dirA, "-ApproveNode", "not-a-fingerprint");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("40 hex digits", wrong.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
