using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Names;
using Ferry.Contracts.Problems;
using Ferry.Server.Api;
using Ferry.Server.Errors;
using Ferry.Server.Store;

namespace Ferry.Server.Pipelines;

/// <summary>
/// Checks a pipeline document (ADF's JSON) before it is saved: its parameters, its activities (names, types, the
/// dependsOn graph without cycles, policy, the datasets a Copy reads and writes) and every expression in them.
/// </summary>
public static class PipelineCheck
{
    public const string Copy = "Copy";
    public static readonly IReadOnlyList<string> ActivityTypes = [Copy];
    public static readonly IReadOnlyList<string> Conditions = ["Succeeded", "Failed", "Completed", "Skipped"];
    private static readonly string[] ParameterTypes = ["String", "Int", "Float", "Bool", "Array", "Object", "SecureString"];

    public static async Task CheckAsync(IFerryStore store, string factory, JsonObject properties, CancellationToken ct)
    {
        var parameters = JsonRead.OptionalObject(properties, "parameters", "properties.parameters") ?? [];
        foreach (var (name, definition) in parameters)
        {
            var path = $"properties.parameters.{name}";
            if (definition is not JsonObject d)
                throw Invalid($"{path} must be an object: {{\"type\": \"String\", \"defaultValue\": ...}}");
            var type = JsonRead.RequiredString(d, "type", path + ".type");
            if (!ParameterTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
                throw Invalid($"{path}.type '{type}' is not one of {string.Join(", ", ParameterTypes)}");
        }

        if (properties["activities"] is not JsonArray activities || activities.Count == 0)
            throw Invalid("properties.activities must be a non-empty array of activities");
        var byName = new Dictionary<string, JsonObject>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < activities.Count; i++)
        {
            var path = $"properties.activities[{i}]";
            if (activities[i] is not JsonObject activity)
                throw Invalid($"{path} must be an object");
            var name = JsonRead.RequiredString(activity, "name", path + ".name");
            if (ResourceName.ValidateObjectName(name, "activity name") is { } nameError)
                throw FerryException.BadRequest(ErrorCodes.InvalidName, $"{path}.name: {nameError}");
            if (!byName.TryAdd(name, activity))
                throw Invalid($"{path}.name '{name}' is used by another activity of the pipeline");
            var type = JsonRead.RequiredString(activity, "type", path + ".type");
            var canonical = ActivityTypes.FirstOrDefault(t => t.Equals(type, StringComparison.OrdinalIgnoreCase))
                            ?? throw FerryException.BadRequest(ErrorCodes.UnsupportedType,
                                $"{path}.type '{type}' is not an activity Ferry runs yet; supported: {string.Join(", ", ActivityTypes)}.");
            activity["type"] = canonical;
            CheckPolicy(activity, path);
        }

        foreach (var (name, activity) in byName)
        {
            var path = $"properties.activities[{activities.IndexOf(activity)}]";
            var dependsOn = Dependencies(activity, path, byName);
            var scope = new Expressions.Scope(parameters.Select(p => p.Key).ToHashSet(StringComparer.Ordinal), dependsOn.ToHashSet(StringComparer.Ordinal));
            if (Expressions.Check(activity["typeProperties"], path + ".typeProperties", scope) is { } problem)
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, problem + ". Nothing was saved.");
            if (activity["type"]!.GetValue<string>() == Copy)
                await CheckCopyAsync(store, factory, activity, path, ct);
        }
        if (FindCycle(byName) is { } cycle)
            throw Invalid($"the activities depend on each other in a circle ({string.Join(" -> ", cycle)}); dependsOn must not loop");
    }

    /// <summary>The names an activity depends on, each checked: an activity of this pipeline, with ADF's conditions.</summary>
    public static List<string> Dependencies(JsonObject activity, string path, IReadOnlyDictionary<string, JsonObject> byName)
    {
        var names = new List<string>();
        if (activity["dependsOn"] is null)
            return names;
        if (activity["dependsOn"] is not JsonArray dependsOn)
            throw Invalid($"{path}.dependsOn must be an array");
        for (var j = 0; j < dependsOn.Count; j++)
        {
            var depPath = $"{path}.dependsOn[{j}]";
            if (dependsOn[j] is not JsonObject dependency)
                throw Invalid($"{depPath} must be an object: {{\"activity\": \"...\", \"dependencyConditions\": [\"Succeeded\"]}}");
            var target = JsonRead.RequiredString(dependency, "activity", depPath + ".activity");
            if (!byName.ContainsKey(target))
                throw FerryException.BadRequest(ErrorCodes.ReferenceNotFound, $"{depPath}.activity names '{target}', which is not an activity of this pipeline.");
            if (dependency["dependencyConditions"] is not JsonArray conditions || conditions.Count == 0)
                throw Invalid($"{depPath}.dependencyConditions must be a non-empty array of {string.Join(", ", Conditions)}");
            foreach (var condition in conditions)
            {
                if (condition?.GetValueKind() != JsonValueKind.String || !Conditions.Contains(condition.GetValue<string>()))
                    throw Invalid($"{depPath}.dependencyConditions holds {condition?.ToJsonString() ?? "null"}, not one of {string.Join(", ", Conditions)}");
            }
            names.Add(target);
        }
        return names;
    }

    private static void CheckPolicy(JsonObject activity, string path)
    {
        if (JsonRead.OptionalObject(activity, "policy", path + ".policy") is not { } policy)
            return;
        if (policy["timeout"] is { } timeout && (timeout.GetValueKind() != JsonValueKind.String || ParseTimeout(timeout.GetValue<string>()) is null))
            throw Invalid($"{path}.policy.timeout must be a duration d.hh:mm:ss (ADF's form, e.g. 0.12:00:00)");
        foreach (var (name, min, max) in new[] { ("retry", 0, 100), ("retryIntervalInSeconds", 1, 86400) })
        {
            if (policy[name] is { } value && (!value.AsValue().TryGetValue<int>(out var n) || n < min || n > max))
                throw Invalid($"{path}.policy.{name} must be a whole number from {min} to {max}");
        }
        foreach (var name in new[] { "secureInput", "secureOutput" })
        {
            if (policy[name] is { } value && value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                throw Invalid($"{path}.policy.{name} must be true or false");
        }
    }

    public static TimeSpan? ParseTimeout(string text) =>
        TimeSpan.TryParseExact(text, [@"d\.hh\:mm\:ss", @"hh\:mm\:ss"], CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero ? value : null;

    private static async Task CheckCopyAsync(IFerryStore store, string factory, JsonObject activity, string path, CancellationToken ct)
    {
        foreach (var side in new[] { "inputs", "outputs" })
        {
            if (activity[side] is not JsonArray references || references.Count != 1 || references[0] is not JsonObject reference)
                throw Invalid($"{path}.{side} must hold one DatasetReference: [{{\"referenceName\": \"...\", \"type\": \"DatasetReference\"}}]");
            var name = JsonRead.RequiredString(reference, "referenceName", $"{path}.{side}[0].referenceName");
            if (await store.GetResourceAsync(factory, FactoryResources.FactoryResourceService.Datasets, name, ct) is null)
                throw FerryException.BadRequest(ErrorCodes.ReferenceNotFound,
                    $"{path}.{side}[0] names dataset '{name}', which does not exist in factory '{factory}'. Create it first (`ferry dataset create`).");
        }
        var typeProperties = JsonRead.RequiredObject(activity, "typeProperties", path + ".typeProperties");
        foreach (var side in new[] { "source", "sink" })
            JsonRead.RequiredString(JsonRead.RequiredObject(typeProperties, side, $"{path}.typeProperties.{side}"), "type", $"{path}.typeProperties.{side}.type");
    }

    private static List<string>? FindCycle(IReadOnlyDictionary<string, JsonObject> byName)
    {
        var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase); // 1 visiting, 2 done
        var stack = new List<string>();
        List<string>? Visit(string name)
        {
            if (state.GetValueOrDefault(name) == 2)
                return null;
            if (state.GetValueOrDefault(name) == 1)
                return [.. stack.SkipWhile(s => !s.Equals(name, StringComparison.OrdinalIgnoreCase)), name];
            state[name] = 1;
            stack.Add(name);
            foreach (var dependency in (byName[name]["dependsOn"] as JsonArray ?? []).Select(d => d!["activity"]!.GetValue<string>()))
            {
                if (Visit(dependency) is { } cycle)
                    return cycle;
            }
            stack.RemoveAt(stack.Count - 1);
            state[name] = 2;
            return null;
        }
        return byName.Keys.Select(Visit).FirstOrDefault(c => c is not null);
    }

    private static FerryException Invalid(string message) => FerryException.BadRequest(ErrorCodes.InvalidProperty, message + ".");
}
