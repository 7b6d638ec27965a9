using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Pipelines;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class PipelineTests
{
    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();

    private static async Task<ControlPlane> WithDatasetsAsync()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.Resources.CreateOrUpdateAsync("default", FactoryResourceService.LinkedServices, "share",
            Doc("""{"properties": {"type": "FileServer", "typeProperties": {"host": "/data"}}}"""), default);
        foreach (var name in new[] { "in", "out" })
            await cp.Resources.CreateOrUpdateAsync("default", FactoryResourceService.Datasets, name, Doc($$$"""
                {"properties": {"type": "DelimitedText", "linkedServiceName": {"referenceName": "share", "type": "LinkedServiceReference"},
                 "typeProperties": {"location": {"type": "FileServerLocation", "fileName": "{{{name}}}.csv"}} }}
                """), default);
        return cp;
    }

    private static JsonObject Pipeline(string copyB = "\"@pipeline().parameters.folder\"", string dependsOn = "[{\"activity\": \"A\", \"dependencyConditions\": [\"Succeeded\"]}]",
        string typeA = "Copy") => Doc($$$"""
        {"properties": {"parameters": {"folder": {"type": "String", "defaultValue": "x"}},
          "activities": [
            {"name": "A", "type": "{{{typeA}}}", "inputs": [{"referenceName": "in", "type": "DatasetReference"}], "outputs": [{"referenceName": "out", "type": "DatasetReference"}],
             "policy": {"timeout": "0.00:10:00", "retry": 1, "retryIntervalInSeconds": 5},
             "typeProperties": {"source": {"type": "DelimitedTextSource"}, "sink": {"type": "DelimitedTextSink"}} },
            {"name": "B", "type": "Copy", "dependsOn": {{{dependsOn}}},
             "inputs": [{"referenceName": "in", "type": "DatasetReference"}], "outputs": [{"referenceName": "out", "type": "DatasetReference"}],
             "typeProperties": {"source": {"type": "DelimitedTextSource", "note": {{{copyB}}}}, "sink": {"type": "DelimitedTextSink", "x": "run @{pipeline().RunId} of @{activity('A').output.rowsCopied}"}} }
          ]}}
        """);

    [Fact]
    public async Task A_pipeline_with_supported_expressions_and_dependencies_is_saved()
    {
        var cp = await WithDatasetsAsync();
        var (saved, created) = await cp.Resources.CreateOrUpdateAsync("default", FactoryResourceService.Pipelines, "p1", Pipeline(), default);
        Assert.True(created);
        Assert.Equal("/factories/default/pipelines/p1", saved.Id);

        var inUse = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.DeleteAsync("default", FactoryResourceService.Datasets, "in", default));
        Assert.Contains("'p1'", inUse.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"@concat('a', 'b')\"", "the expression function 'concat' is not supported yet")]
    [InlineData("\"@pipeline().parameters.missing\"", "parameter 'missing' is not declared")]
    [InlineData("\"x @{utcnow()} y\"", "the expression function 'utcnow'")]
    [InlineData("{\"type\": \"Expression\", \"value\": \"@variables('v')\"}", "the expression function 'variables'")]
    public async Task An_expression_Ferry_does_not_run_is_refused_at_save_time_with_the_function_named(string value, string expected)
    {
        var cp = await WithDatasetsAsync();
        var e = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", FactoryResourceService.Pipelines, "p1", Pipeline(value), default));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("properties.activities[1].typeProperties.source.note", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_graphs_and_types_are_refused_with_what_is_wrong()
    {
        var cp = await WithDatasetsAsync();
        Task<FerryException> Refused(JsonObject doc) => Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", FactoryResourceService.Pipelines, "p", doc, default));

        var unknownActivity = await Refused(Pipeline(dependsOn: "[{\"activity\": \"Z\", \"dependencyConditions\": [\"Succeeded\"]}]"));
        var badCondition = await Refused(Pipeline(dependsOn: "[{\"activity\": \"A\", \"dependencyConditions\": [\"Maybe\"]}]"));
        var unsupported = await Refused(Pipeline(typeA: "ExecuteDataFlow"));
        var outputWithoutDependency = await Refused(Pipeline(dependsOn: "[]"));
        var cycle = Pipeline();
        cycle["properties"]!["activities"]![0]!["dependsOn"] = JsonNode.Parse("[{\"activity\": \"B\", \"dependencyConditions\": [\"Failed\"]}]");
        var circular = await Refused(cycle);

        Assert.Equal(ErrorCodes.ReferenceNotFound, unknownActivity.Code);
        Assert.Contains("\"Maybe\"", badCondition.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.UnsupportedType, unsupported.Code);
        Assert.Contains("activity 'A' is not one this activity depends on", outputWithoutDependency.Message, StringComparison.Ordinal);
        Assert.Contains("circle", circular.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expressions_evaluate_parameters_run_ids_and_activity_outputs()
    {
        var scope = new Expressions.Scope(new HashSet<string> { "folder" }, new HashSet<string> { "A" },
            new JsonObject { ["folder"] = new JsonObject { ["name"] = "in" } }, "run-1", "p1",
            new Dictionary<string, JsonNode?> { ["A"] = new JsonObject { ["rowsCopied"] = 42 } });
        var value = JsonNode.Parse("""
            {"a": "@pipeline().parameters.folder.name", "b": "@{pipeline().RunId}/@{activity('A').output.rowsCopied}", "c": "@@literal",
             "d": {"type": "Expression", "value": "@activity('A').output.rowsCopied"}, "e": ["@pipeline().Pipeline"]}
            """);

        var result = Expressions.Evaluate(value, scope)!;

        Assert.Equal("in", result["a"]!.GetValue<string>());
        Assert.Equal("run-1/42", result["b"]!.GetValue<string>());
        Assert.Equal("@literal", result["c"]!.GetValue<string>());
        Assert.Equal(42, result["d"]!.GetValue<int>());
        Assert.Equal("p1", result["e"]![0]!.GetValue<string>());
    }
}
