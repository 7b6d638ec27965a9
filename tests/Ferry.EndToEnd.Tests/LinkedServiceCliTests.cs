using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>Linked services and datasets from ADF JSON files through the ferry CLI, against a real server.</summary>
public sealed class LinkedServiceCliTests : IDisposable
{
    private readonly TempDir _dirs = new();

    [Fact]
    public async Task A_user_brings_adf_json_for_a_linked_service_and_a_dataset_and_gets_it_back()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "onprem-ir");
        var linkedService = Write("pg.json", """
            {"name": "onprem-pg", "properties": {"type": "PostgreSqlV2",
              "connectVia": {"referenceName": "onprem-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"server": "db.internal", "port": 5432, "database": "sales", "username": "reader"}}}
            """);
        var dataset = Write("orders.json", """
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "onprem-pg", "type": "LinkedServiceReference"},
              "typeProperties": {"schema": "public", "table": "orders"}}}
            """);

        await server.FerryJsonAsync("linked-service", "create", "--name", "onprem-pg", "--file", linkedService);
        await server.FerryJsonAsync("dataset", "create", "--name", "orders", "--file", dataset);
        var shown = await server.FerryJsonAsync("dataset", "show", "--name", "orders");
        var list = await server.FerryAsync("linked-service", "list", "-o", "table");

        Assert.Equal("orders", shown["properties"]!["typeProperties"]!["table"]!.GetValue<string>());
        Assert.Contains("onprem-pg", list.Stdout, StringComparison.Ordinal);

        var inUse = await server.FerryAsync("ir", "delete", "--name", "onprem-ir");
        Assert.Equal(1, inUse.ExitCode);
        Assert.Contains("used by linked service(s) 'onprem-pg'", inUse.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_given_to_the_cli_reaches_only_the_runtimes_nodes()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        await server.FerryJsonAsync("ir", "create", "--name", "onprem-ir");
        var key = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", "onprem-ir"))["authKey1"]!.GetValue<string>();
        var nodeDir = _dirs.Sub("node");
        Assert.Equal(0, (await Commands.DmgcmdAsync(nodeDir, "-rn", key, "node-a")).ExitCode);
        const string password = "Pa55-only-for-the-node";
        var file = Write("pg.json", $$"""
            {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "onprem-ir", "type": "IntegrationRuntimeReference"},
              "typeProperties": {"server": "db.internal", "database": "sales", "username": "reader",
                                 "password": {"type": "SecureString", "value": "{{password}}"} } } }
            """);

        var saved = await server.FerryJsonAsync("linked-service", "create", "--name", "onprem-pg", "--file", file);

        var typeProperties = saved["properties"]!["typeProperties"]!;
        Assert.Null(typeProperties["password"]);
        var envelope = typeProperties["encryptedCredential"]!.GetValue<string>();
        // Nowhere on the server side: not in its answers, its log or its database file.
        var databaseBytes = await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "ferry.db"));
        var walPath = Path.Combine(server.DataDir, "ferry.db-wal");
        var walBytes = File.Exists(walPath) ? await File.ReadAllBytesAsync(walPath) : [];
        Assert.DoesNotContain(password, saved.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, System.Text.Encoding.UTF8.GetString(databaseBytes) + System.Text.Encoding.UTF8.GetString(walBytes), StringComparison.Ordinal);
        // The node opens it with the credential key it keeps encrypted at rest.
        var dir = new Ferry.Node.Hosting.NodeDataDirectory(nodeDir);
        var credentials = new Ferry.Node.Credentials.CredentialStore(dir, new Ferry.Node.Credentials.SecretProtector(dir));
        var material = credentials.Load()!;
        using var privateKey = credentials.OpenPrivateKey(material);
        var opened = Contracts.Credentials.CredentialEnvelope.Open(privateKey, material.RuntimeId, envelope);
        Assert.Equal($"{{\"password\":\"{password}\"}}", System.Text.Encoding.UTF8.GetString(opened));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.ProtectorKeyFile));
    }

    [Fact]
    public async Task Bad_files_and_bad_documents_get_clear_errors()
    {
        using var server = await FerryServer.StartAsync(_dirs.Sub("server"));
        var broken = Write("broken.json", "{\"properties\": ");
        var secret = Write("secret.json", """
            {"properties": {"type": "HttpServer", "typeProperties": {"url": "https://api.internal", "authenticationType": "Basic",
              "userName": "u", "password": {"type": "SecureString", "value": "p4ssw0rd-do-not-echo"}}}}
            """);

        var missingFile = await server.FerryAsync("linked-service", "create", "--name", "x", "--file", _dirs.Sub("nope.json"));
        var notJson = await server.FerryAsync("linked-service", "create", "--name", "x", "--file", broken);
        var withSecret = await server.FerryAsync("linked-service", "create", "--name", "x", "--file", secret);

        Assert.Equal(1, missingFile.ExitCode);
        Assert.Contains("cannot read", missingFile.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, notJson.ExitCode);
        Assert.Contains("is not valid JSON", notJson.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, withSecret.ExitCode);
        Assert.Contains("SecretsNotSupportedYet", withSecret.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("p4ssw0rd", withSecret.Stderr + server.Output, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = _dirs.Sub(name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => _dirs.Dispose();
}
