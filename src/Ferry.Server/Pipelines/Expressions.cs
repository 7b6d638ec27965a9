using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ferry.Server.Pipelines;

/// <summary>
/// The part of ADF's expression language Ferry runs so far: <c>@pipeline().parameters.x</c> (with a property path),
/// <c>@pipeline().RunId</c>, <c>@pipeline().Pipeline</c>, <c>@activity('A').output.x</c>, a whole string or
/// <c>@{...}</c> inside one, <c>@@</c> for a literal '@', and <c>{"type": "Expression", "value": ...}</c>. Anything
/// else is refused at save time, naming the function it does not know.
/// </summary>
public static partial class Expressions
{
    public const string Supported = "pipeline().parameters.<name>, pipeline().RunId, pipeline().Pipeline, activity('<name>').output.<path>";

    /// <summary>What an expression may refer to when it is checked, and what it evaluates against.</summary>
    public sealed record Scope(IReadOnlySet<string> Parameters, IReadOnlySet<string> Activities, JsonObject? ParameterValues = null,
        string? RunId = null, string? Pipeline = null, IReadOnlyDictionary<string, JsonNode?>? ActivityOutputs = null);

    /// <summary>Every expression in <paramref name="node"/>, with its JSON path, or the first problem found.</summary>
    public static string? Check(JsonNode? node, string path, Scope scope)
    {
        switch (node)
        {
            case JsonObject o when IsExpressionObject(o):
                return CheckString(o["value"]!.GetValue<string>(), path + ".value", scope);
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    if (Check(child, $"{path}.{key}", scope) is { } problem)
                        return problem;
                }
                return null;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (Check(a[i], $"{path}[{i}]", scope) is { } problem)
                        return problem;
                }
                return null;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return CheckString(v.GetValue<string>(), path, scope);
            default:
                return null;
        }
    }

    /// <summary>A copy of <paramref name="node"/> with every expression replaced by its value.</summary>
    public static JsonNode? Evaluate(JsonNode? node, Scope scope)
    {
        switch (node)
        {
            case JsonObject o when IsExpressionObject(o):
                return EvaluateString(o["value"]!.GetValue<string>(), scope);
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (key, child) in o)
                    copy[key] = Evaluate(child, scope);
                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(child => Evaluate(child, scope)).ToArray());
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return EvaluateString(v.GetValue<string>(), scope);
            default:
                return node?.DeepClone();
        }
    }

    private static bool IsExpressionObject(JsonObject o) =>
        o.Count == 2 && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "Expression"
        && o["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private static string? CheckString(string text, string path, Scope scope)
    {
        foreach (var expression in ExpressionsIn(text))
        {
            if (CheckOne(expression, scope) is { } problem)
                return $"{path}: {problem}";
        }
        return null;
    }

    private static JsonNode? EvaluateString(string text, Scope scope)
    {
        if (text.StartsWith("@@", StringComparison.Ordinal))
            return text[1..];
        if (text.StartsWith('@') && !text.StartsWith("@{", StringComparison.Ordinal))
            return EvaluateOne(text[1..].Trim(), scope)?.DeepClone();
        if (!text.Contains("@{", StringComparison.Ordinal))
            return text;
        var result = new StringBuilder();
        var position = 0;
        foreach (Match m in Interpolation().Matches(text))
        {
            result.Append(text, position, m.Index - position);
            var value = EvaluateOne(m.Groups[1].Value.Trim(), scope);
            result.Append(value is JsonValue jv && jv.GetValueKind() == JsonValueKind.String ? jv.GetValue<string>() : value?.ToJsonString() ?? "");
            position = m.Index + m.Length;
        }
        result.Append(text, position, text.Length - position);
        return result.ToString();
    }

    private static IEnumerable<string> ExpressionsIn(string text)
    {
        if (text.StartsWith("@@", StringComparison.Ordinal))
            yield break;
        if (text.StartsWith('@') && !text.StartsWith("@{", StringComparison.Ordinal))
        {
            yield return text[1..].Trim();
            yield break;
        }
        foreach (Match m in Interpolation().Matches(text))
            yield return m.Groups[1].Value.Trim();
    }

    private static string? CheckOne(string expression, Scope scope)
    {
        if (ParameterPath().Match(expression) is { Success: true } p)
            return scope.Parameters.Contains(p.Groups[1].Value) ? null
                : $"parameter '{p.Groups[1].Value}' is not declared in properties.parameters";
        if (PipelineProperty().IsMatch(expression))
            return null;
        if (ActivityOutput().Match(expression) is { Success: true } a)
            return scope.Activities.Contains(a.Groups[1].Value) ? null
                : $"activity '{a.Groups[1].Value}' is not one this activity depends on (add it to dependsOn)";
        var function = FunctionName().Match(expression);
        return function.Success
            ? $"the expression function '{function.Groups[1].Value}' is not supported yet (supported: {Supported})"
            : $"'@{expression}' is not an expression Ferry runs yet (supported: {Supported})";
    }

    private static JsonNode? EvaluateOne(string expression, Scope scope)
    {
        if (ParameterPath().Match(expression) is { Success: true } p)
            return Walk(scope.ParameterValues?[p.Groups[1].Value], p.Groups[2].Value);
        if (PipelineProperty().Match(expression) is { Success: true } property)
            return property.Groups[1].Value == "RunId" ? JsonValue.Create(scope.RunId) : JsonValue.Create(scope.Pipeline);
        if (ActivityOutput().Match(expression) is { Success: true } a)
            return Walk(scope.ActivityOutputs?.GetValueOrDefault(a.Groups[1].Value), a.Groups[2].Value);
        throw new InvalidOperationException($"'{expression}' was not checked before evaluation");
    }

    private static JsonNode? Walk(JsonNode? node, string dottedPath)
    {
        foreach (var part in dottedPath.Split('.', StringSplitOptions.RemoveEmptyEntries))
            node = node is JsonObject o ? o[part] : null;
        return node;
    }

    [GeneratedRegex(@"@\{([^}]*)\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"^pipeline\(\)\.parameters\.([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$")]
    private static partial Regex ParameterPath();

    [GeneratedRegex(@"^pipeline\(\)\.(RunId|Pipeline)$")]
    private static partial Regex PipelineProperty();

    [GeneratedRegex(@"^activity\('([^']+)'\)\.output((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$")]
    private static partial Regex ActivityOutput();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex FunctionName();
}
