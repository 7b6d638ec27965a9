using System.Text.Json.Nodes;
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

    [Fact]
    public async Task A_secret_is_refused_without_being_repeated_and_nothing_is_saved()
    {
        var cp = await ControlPlane.StartAsync();
        var document = PostgresLinkedService();
        document["properties"]!["typeProperties"]!["password"] = new JsonObject { ["type"] = "SecureString", ["value"] = "hunter2-very-secret" };
        await cp.CreateSelfHostedAsync("ir1");

        var e = await Refused(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", document, default));

        Assert.Equal(ErrorCodes.SecretsNotSupportedYet, e.Code);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.Empty((await cp.Resources.ListAsync("default", Ls, default)).Value);
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
        Assert.Contains("needs a FileServer linked service; 'pg' is PostgreSqlV2", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal("Microsoft.DataFactory/factories/datasets", dataset.Type);
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
