using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Cli.Output;

/// <summary>Prints answers as indented JSON (the default, for scripts) or as plain tables (--output table, for people).</summary>
public sealed class OutputWriter(TextWriter output, bool table)
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public void Write(JsonNode? node)
    {
        if (node is null)
            return;
        if (!table)
        {
            output.WriteLine(node.ToJsonString(Indented));
            return;
        }
        if (node["value"] is JsonArray list)
            WriteTable(list.OfType<JsonObject>().ToList());
        else if (node["rows"] is JsonArray rows && node["columns"] is JsonArray header)
        {
            var names = header.Select(c => c?["name"]?.GetValue<string>() ?? "?").ToList();
            WriteTable(rows.OfType<JsonArray>().Select(r =>
            {
                var row = new JsonObject();
                for (var i = 0; i < names.Count; i++)
                    row[names[i]] = i < r.Count ? Scalar(r[i]) : "";
                return row;
            }).ToList());
            if (node["truncated"]?.GetValue<bool>() == true)
                output.WriteLine($"(first {rows.Count} rows)");
        }
        else if (node["columns"] is JsonArray columns)
            WriteTable(columns.OfType<JsonObject>().ToList());
        else if (node["items"] is JsonArray items)
            WriteTable(items.OfType<JsonObject>().ToList());
        else if (node is JsonObject o && o["properties"]?["typeProperties"]?["nodes"] is JsonArray nodes)
        {
            output.WriteLine($"Runtime {o["name"]}: {o["properties"]?["state"]} ({o["properties"]?["type"]})");
            WriteTable(nodes.OfType<JsonObject>().Select(n => new JsonObject
            {
                ["node"] = n["nodeName"]?.DeepClone(), ["status"] = n["status"]?.DeepClone(), ["version"] = n["version"]?.DeepClone(),
                ["lastConnectTime"] = n["lastConnectTime"]?.DeepClone(), ["dispatcher"] = n["isActiveDispatcher"]?.DeepClone(),
                ["jobsLimit"] = n["concurrentJobsLimit"]?.DeepClone(),
            }).ToList());
        }
        else if (node is JsonObject obj)
            WriteProperties(obj, "");
        else
            output.WriteLine(node.ToJsonString(Indented));
    }

    private void WriteProperties(JsonObject obj, string prefix)
    {
        foreach (var (key, value) in obj)
        {
            if (value is JsonObject child)
                WriteProperties(child, prefix + key + ".");
            else
                output.WriteLine($"{prefix + key,-40} {Scalar(value)}");
        }
    }

    private void WriteTable(List<JsonObject> rows)
    {
        if (rows.Count == 0)
        {
            output.WriteLine("(none)");
            return;
        }
        var columns = rows.SelectMany(r => r.Where(p => p.Value is not JsonObject and not JsonArray).Select(p => p.Key)).Distinct().ToList();
        var widths = columns.Select(c => Math.Max(c.Length, rows.Max(r => Scalar(r[c]).Length))).ToList();
        output.WriteLine(string.Join("  ", columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", columns.Select((c, i) => Scalar(row[c]).PadRight(widths[i]))).TrimEnd());
    }

    private static string Scalar(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(Indented),
    };
}
