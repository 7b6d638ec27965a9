using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class FactoryResourceServiceTests
{
    private const string Ls = FactoryResourceService.LinkedServices;
    private const string Ds = FactoryResourceService.Datasets;

    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject PostgresLinkedService(string runtime = "ir1") => Doc($$"""
        {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "{{runtime}}", "type": "IntegrationRuntimeReference"},
         "typeProperties": {"server": "db.internal", "port": 5432, "database": "sales", "username": "reader", "sslMode": 2},
         "annotations": ["team-a"], "futureProperty": {"kept": true} } }
        """);

    private static async Task<FerryException> Refused(Func<Task> call) => await Assert.ThrowsAsync<FerryException>(call);

    [Fact]
    public async Task A_linked_service_on_an_existing_runtime_is_saved_whole()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");

        var (created, isNew) = await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", PostgresLinkedService(), default);
        var read = await cp.Resources.GetAsync("default", Ls, "PG", default);

        Assert.True(isNew);
        Assert.Equal("/factories/default/linkedservices/pg", created.Id);
        Assert.Equal("db.internal", read.Properties["typeProperties"]!["server"]!.GetValue<string>());
        Assert.True(read.Properties["futureProperty"]!["kept"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_connectVia_to_a_missing_runtime_is_refused_with_its_name()
    {
        var cp = await ControlPlane.StartAsync();

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", PostgresLinkedService("nowhere"), default));

        Assert.Equal(ErrorCodes.ReferenceNotFound, e.Code);
        Assert.Contains("'nowhere'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_type_is_refused_with_the_supported_ones()
    {
        var cp = await ControlPlane.StartAsync();

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "x", Doc("""{"properties": {"type": "Oracle", "typeProperties": {}}}"""), default));

        Assert.Equal(ErrorCodes.UnsupportedType, e.Code);
        Assert.Contains("PostgreSqlV2, Sqlite, FileServer, HttpServer", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"properties": {"type": "Sqlite", "typeProperties": {}}}""", "properties.typeProperties.path is required")]
    [InlineData("""{"properties": {"type": "Sqlite", "typeProperties": {"path": 3}}}""", "properties.typeProperties.path must be a string")]
    [InlineData("""{"properties": {"type": "PostgreSqlV2", "typeProperties": {"database": "x"}}}""", "needs one of")]
    [InlineData("""{"properties": {"type": "PostgreSqlV2", "typeProperties": {"server": "h", "port": "5432x"}}}""", "port must be a number")]
    [InlineData("""{"properties": {"type": "HttpServer", "typeProperties": {"url": "http://x", "authenticationType": "Kerberos"}}}""", "Anonymous, Basic")]
    [InlineData("""{"properties": {"type": "Sqlite"}}""", "properties.typeProperties is required")]
    public async Task Wrong_type_properties_name_their_json_path(string json, string message)
    {
        var cp = await ControlPlane.StartAsync();

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "ls", Doc(json), default));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expressions_are_accepted_where_a_literal_is()
    {
        var cp = await ControlPlane.StartAsync();

        await cp.Resources.CreateOrUpdateAsync("default", Ls, "dyn", Doc("""
            {"properties": {"type": "Sqlite", "parameters": {"p": {"type": "String"}},
             "typeProperties": {"path": {"type": "Expression", "value": "@linkedService().p"}}}}
            """), default);

        Assert.NotNull(await cp.Resources.GetAsync("default", Ls, "dyn", default));
    }

    private static JsonObject WithPassword(JsonObject document, JsonNode password)
    {
        document["properties"]!["typeProperties"]!["password"] = password;
        return document;
    }

    private static JsonObject SecureString(string value) => new() { ["type"] = "SecureString", ["value"] = value };

    [Fact]
    public async Task A_password_is_sealed_to_the_runtimes_credential_key_and_never_stored_or_returned_in_plain()
    {
        var cp = await ControlPlane.StartAsync();
        using var credentialKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a", credentialKey: credentialKey);

        await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", WithPassword(PostgresLinkedService(), SecureString("hunter2-very-secret")), default);

        var stored = (await cp.Store.GetResourceAsync("default", Ls, "pg", default))!.PropertiesJson;
        var read = await cp.Resources.GetAsync("default", Ls, "pg", default);
        Assert.DoesNotContain("hunter2", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", read.Properties.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(read.Properties["typeProperties"]!["password"]);
        var envelope = read.Properties["typeProperties"]!["encryptedCredential"]!.GetValue<string>();
        var opened = Encoding.UTF8.GetString(CredentialEnvelope.Open(credentialKey, node.RuntimeId, envelope));
        Assert.Equal("{\"password\":\"hunter2-very-secret\"}", opened);
    }

    [Fact]
    public async Task The_first_node_brings_the_credential_key_and_later_nodes_cannot_replace_it()
    {
        var cp = await ControlPlane.StartAsync();
        var key = await cp.CreateSelfHostedAsync("ir1");
        using var first = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var a = await cp.RegisterAsync(key, "node-a", credentialKey: first);
        var b = await cp.RegisterAsync(key, "node-b", credentialKey: second);
        var info = await cp.Runtimes.GetConnectionInfoAsync("default", "ir1", default);

        Assert.Equal((true, 1), (a.CredentialKeyAdopted, a.CredentialKeyVersion));
        Assert.Equal((false, 1), (b.CredentialKeyAdopted, b.CredentialKeyVersion));
        Assert.Equal(Convert.ToBase64String(first.ExportSubjectPublicKeyInfo()), info.PublicKey);
    }

    [Fact]
    public async Task A_secret_before_any_node_brought_a_credential_key_is_refused_without_being_repeated()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", WithPassword(PostgresLinkedService(), SecureString("hunter2-very-secret")), default));

        Assert.Equal(ErrorCodes.CredentialKeyMissing, e.Code);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.Empty((await cp.Resources.ListAsync("default", Ls, default)).Value);
    }

    [Fact]
    public async Task A_secret_on_the_managed_runtime_or_in_plain_text_is_refused()
    {
        var cp = await ControlPlane.StartAsync();
        using var credentialKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a", credentialKey: credentialKey);
        var managed = PostgresLinkedService();
        managed["properties"]!.AsObject().Remove("connectVia");

        var onManaged = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", WithPassword(managed, SecureString("x")), default));
        var plain = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", WithPassword(PostgresLinkedService(), "hunter2"), default));

        Assert.Equal(ErrorCodes.SecretsNotSupportedYet, onManaged.Code);
        Assert.Contains("must be {\"type\": \"SecureString\"", plain.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", plain.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_envelope_sealed_by_the_client_is_kept_when_it_matches_the_current_key()
    {
        var cp = await ControlPlane.StartAsync();
        using var credentialKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var node = await cp.RegisterAsync(await cp.CreateSelfHostedAsync("ir1"), "node-a", credentialKey: credentialKey);
        var envelope = CredentialEnvelope.Seal(credentialKey.ExportSubjectPublicKeyInfo(), 1, node.RuntimeId, Encoding.UTF8.GetBytes("{\"password\":\"p\"}"));
        var stale = CredentialEnvelope.Seal(credentialKey.ExportSubjectPublicKeyInfo(), 7, node.RuntimeId, Encoding.UTF8.GetBytes("{}"));
        JsonObject With(string e) { var d = PostgresLinkedService(); d["properties"]!["typeProperties"]!["encryptedCredential"] = e; return d; }

        await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", With(envelope), default);
        var wrongVersion = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg2", With(stale), default));
        var notEnvelope = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg3", With("plain"), default));

        Assert.Equal(envelope, (await cp.Resources.GetAsync("default", Ls, "pg", default)).Properties["typeProperties"]!["encryptedCredential"]!.GetValue<string>());
        Assert.Contains("version 7", wrongVersion.Message, StringComparison.Ordinal);
        Assert.Contains("not a Ferry credential envelope", notEnvelope.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my.service", "contains '.'")]
    [InlineData("-service", "must start with")]
    public async Task Object_names_follow_adfs_rules(string name, string message)
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, name, PostgresLinkedService(), default));

        Assert.Equal(ErrorCodes.InvalidName, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dataset_needs_an_existing_linked_service_of_the_right_type()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", PostgresLinkedService(), default);
        JsonObject Dataset(string type, string ls) => Doc($$"""
            {"properties": {"type": "{{type}}", "linkedServiceName": {"referenceName": "{{ls}}", "type": "LinkedServiceReference"},
             "typeProperties": {"schema": "public", "table": "orders", "location": {"type": "FileServerLocation", "folderPath": "in"} } } }
            """);

        var missing = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ds, "d1", Dataset("PostgreSqlV2Table", "ghost"), default));
        var mismatch = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ds, "d1", Dataset("DelimitedText", "pg"), default));
        var (dataset, _) = await cp.Resources.CreateOrUpdateAsync("default", Ds, "orders", Dataset("PostgreSqlV2Table", "pg"), default);

        Assert.Equal((ErrorCodes.ReferenceNotFound, true), (missing.Code, missing.Message.Contains("'ghost'", StringComparison.Ordinal)));
        Assert.Equal(ErrorCodes.ReferenceTypeMismatch, mismatch.Code);
        Assert.Contains("needs a FileServer or HttpServer linked service; 'pg' is PostgreSqlV2", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal("Microsoft.DataFactory/factories/datasets", dataset.Type);
    }

    [Fact]
    public async Task A_file_format_reads_from_a_file_server_or_an_http_server_with_the_matching_location()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "web", Doc("""{"properties": {"type": "HttpServer", "typeProperties": {"url": "https://example.test/", "authenticationType": "Anonymous"} } }"""), default);
        JsonObject Dataset(string type, string location) => Doc($$"""
            {"properties": {"type": "{{type}}", "linkedServiceName": {"referenceName": "web", "type": "LinkedServiceReference"},
             "typeProperties": {"location": {"type": "{{location}}", "relativeUrl": "exports/data.parquet"} } } }
            """);

        var (parquet, _) = await cp.Resources.CreateOrUpdateAsync("default", Ds, "p", Dataset("Parquet", "HttpServerLocation"), default);
        var wrong = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ds, "c", Dataset("DelimitedText", "FileServerLocation"), default));

        Assert.Equal("Parquet", parquet.Properties["type"]!.GetValue<string>());
        Assert.Equal(ErrorCodes.ReferenceTypeMismatch, wrong.Code);
        Assert.Contains("use HttpServerLocation", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_dataset_needs_a_file_server_location()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "share", Doc("""{"properties": {"type": "FileServer", "typeProperties": {"host": "/data"}}}"""), default);

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ds, "csv", Doc("""
            {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
             "typeProperties": {"columnDelimiter": ","}}}
            """), default));

        Assert.Contains("properties.typeProperties.location is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_in_use_can_be_deleted()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", PostgresLinkedService(), default);
        await cp.Resources.CreateOrUpdateAsync("default", Ds, "orders", Doc("""
            {"properties": {"type": "PostgreSqlV2Table", "linkedServiceName": {"referenceName": "pg", "type": "LinkedServiceReference"}}}
            """), default);

        var linkedServiceInUse = await Refused(() => cp.Resources.DeleteAsync("default", Ls, "pg", default));
        var runtimeInUse = await Refused(() => cp.Runtimes.DeleteAsync("default", "ir1", default));

        Assert.Equal(ErrorCodes.ResourceInUse, linkedServiceInUse.Code);
        Assert.Contains("'orders'", linkedServiceInUse.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.ResourceInUse, runtimeInUse.Code);
        Assert.Contains("'pg'", runtimeInUse.Message, StringComparison.Ordinal);
        Assert.True(await cp.Resources.DeleteAsync("default", Ds, "orders", default));
        Assert.True(await cp.Resources.DeleteAsync("default", Ls, "pg", default));
        Assert.True(await cp.Runtimes.DeleteAsync("default", "ir1", default));
    }
}
