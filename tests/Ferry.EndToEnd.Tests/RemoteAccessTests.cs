using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>dmgcmd -EnableRemoteAccess: a node's own TLS port, used from the local network without the control plane.</summary>
public sealed class RemoteAccessTests : IDisposable
{
    private readonly TempDir _dirs;
    private readonly NodeFleet _nodes;

    public RemoteAccessTests()
    {
        _dirs = new TempDir();
        _nodes = new NodeFleet(_dirs);
    }

    [Fact]
    public async Task A_credential_is_encrypted_on_the_node_itself_with_its_token_and_pinned_certificate_without_the_control_plane()
    {
        const string password = "sealed-on-the-node-5c1d";
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var port = FerryServer.FreePort();
        CommandResult enabled = null!;
        var nodeDir = await _nodes.StartAsync(server, "remote-ir", "node-a", beforeStart: async dir =>
        {
            enabled = await Commands.DmgcmdAsync(dir, "-EnableRemoteAccess", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(enabled.ExitCode == 0, enabled.ToString());
        });
        var token = Line(enabled.Stdout, "Remote access token (shown once, keep it safe): ");
        var fingerprint = Line(enabled.Stdout, "Certificate SHA-256: ");
        var file = _dirs.Sub("pg.json");
        await File.WriteAllTextAsync(file, $$"""
            {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "remote-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"server": "db.internal", "database": "sales", "username": "reader",
                                 "password": {"type": "SecureString", "value": "{{password}}"} } } }
            """);
        var url = $"https://127.0.0.1:{port}";
        // No control plane in reach: FERRY_SERVER points nowhere.
        Task<CommandResult> Encrypt(params string[] extra) => Commands.RunAsync(Binaries.FerryDll,
            ["linked-service", "encrypt-credential", "--file", file, "--node", url, .. extra],
            new Dictionary<string, string> { ["FERRY_SERVER"] = "http://127.0.0.1:1", ["FERRY_CONFIG"] = "/nonexistent" });

        var result = await Encrypt("--node-token", token, "--node-certificate", fingerprint);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain(password, result.Stdout, StringComparison.Ordinal);
        var envelope = JsonNode.Parse(result.Stdout)!["properties"]!["typeProperties"]!["encryptedCredential"]!.GetValue<string>();
        var dir = new Ferry.Node.Hosting.NodeDataDirectory(nodeDir);
        var credentials = new Ferry.Node.Credentials.CredentialStore(dir, new Ferry.Node.Credentials.SecretProtector(dir));
        var material = credentials.Load()!;
        using (var key = credentials.OpenPrivateKey(material))
            Assert.Equal($"{{\"password\":\"{password}\"}}", Encoding.UTF8.GetString(CredentialEnvelope.Open(key, material.RuntimeId, envelope)));
        // The sealed document is what the control plane then stores.
        var sealedFile = _dirs.Sub("pg.sealed.json");
        await File.WriteAllTextAsync(sealedFile, result.Stdout);
        await server.FerryJsonAsync("linked-service", "create", "--name", "pg", "--file", sealedFile);

        var wrongToken = await Encrypt("--node-token", "not-the-token", "--node-certificate", fingerprint);
        var unpinned = await Encrypt("--node-token", token);
        Assert.Equal(1, wrongToken.ExitCode);
        Assert.Contains("remote access token", wrongToken.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, unpinned.ExitCode);
        Assert.Contains("not trusted", unpinned.Stderr, StringComparison.Ordinal);

        // The remote port serves remote access only: the admin endpoints stay on the owner-only socket.
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{url}/status")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"{url}/stop", null)).StatusCode);
        Assert.Contains($"TLS port {port}", (await Commands.DmgcmdAsync(nodeDir, "-Status")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_joining_node_fetches_the_credential_key_directly_from_a_node_with_remote_access()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var port = FerryServer.FreePort();
        await _nodes.StartAsync(server, "direct-ir", "node-a", beforeStart: async dir =>
            Assert.Equal(0, (await Commands.DmgcmdAsync(dir, "-era", port.ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode));

        await _nodes.StartAsync(server, "direct-ir", "node-b", createRuntime: false);

        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync("direct-ir");
            return (s.State == "Online", FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), "node-b in sync");
        Assert.Contains($"from node node-a directly at https://127.0.0.1:{port}", _nodes.OutputOf("node-b"), StringComparison.Ordinal);
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();

    public void Dispose()
    {
        _nodes.Dispose();
        _dirs.Dispose();
    }
}
